-- Revert motovault:audit_row from pg

begin;

drop function app.audit_row();

commit;
