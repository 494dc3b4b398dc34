-- Revert motovault:stamp_row from pg

begin;

drop function app.stamp_row();

commit;
