-- Revert motovault:document_expenses_checks from pg: nothing to undo (a validated constraint stays valid)

begin;

select 1;

commit;
