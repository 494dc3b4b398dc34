-- Verify motovault:stamp_row on pg

select 'app.stamp_row()'::regprocedure;
