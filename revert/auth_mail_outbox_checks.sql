-- Revert motovault:auth_mail_outbox_checks from pg: nothing to undo (a validated constraint stays valid)

begin;

select 1;

commit;
