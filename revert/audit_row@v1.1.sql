-- Revert motovault:audit_row from pg

begin;

drop function app.tg_audit_row();

commit;
