-- Revert motovault:fuel_logs_source_fk from pg: nothing to undo (a validated constraint stays valid)

begin;

select 1;

commit;
