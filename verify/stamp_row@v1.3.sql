-- Verify motovault:stamp_row on pg

select 'app.tg_stamp_row()'::regprocedure;
