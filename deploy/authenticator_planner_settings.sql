-- Deploy motovault:authenticator_planner_settings to pg
-- requires: roles
-- requires: event_read_plans
--
-- PostgREST's sessions (it logs in as authenticator) plan without constraint exclusion in this
-- database. Partitions are pruned by their bounds (enable_partition_pruning), not by CHECK
-- constraints; with constraint_exclusion = partition (the default) the planner also tries to refute
-- the query with each partition's nine CHECK constraints, one of them the payload validator, for all
-- ~38 monthly partitions of app.vehicle_events. Measured (bench/events.py, 1M and 10M events, a
-- statement planned anew, as for the first five runs of each statement on a PostgREST connection,
-- every keyset page, and every request behind PgBouncer in transaction mode): planning a timeline
-- page fell from 7.3-7.8 ms to 4.6-5.1 ms, the fleet overview from 8.6-9.5 ms to 4.4-4.8 ms.
-- Results cannot change: constraint exclusion only ever skips scans. A login role's
-- settings for a database apply when it connects (ALTER ROLE ... IN DATABASE: this database only);
-- `motovault backup` records and restores them.

begin;

set local lock_timeout = '5s';

select format('alter role authenticator in database %I set constraint_exclusion = off', current_database())
\gexec

commit;
