-- Revert motovault:stamp_row from pg

begin;

drop function app.tg_stamp_row();

commit;
