-- Revert motovault:import_jobs_checks from pg: nothing to undo (a validated check stays valid; reverting
-- import_jobs drops them)

begin;

commit;
