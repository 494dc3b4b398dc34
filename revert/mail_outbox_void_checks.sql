-- Revert motovault:mail_outbox_void_checks from pg: nothing to undo (a validated constraint stays valid)

begin;

select 1;

commit;
