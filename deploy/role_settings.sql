-- Deploy motovault:role_settings to pg
-- requires: roles
-- requires: schemas
--
-- Settings of the API roles in this database only (ALTER ROLE ... IN DATABASE: roles are cluster-wide,
-- a second database keeps its own):
--   statement_timeout  app_user 5s (API requests), analyst 30s (+ idle_in_transaction 10min),
--                      anon 2s, vin_worker 60s: one expensive query cannot hold the server;
--                      a cancelled statement fails with SQLSTATE 57014
--   authenticator      constraint_exclusion = off: PostgREST's sessions prune partitions by their
--                      bounds; refuting each query with every partition's CHECKs cost most of the
--                      planning time over ~38 monthly partitions of app.vehicle_events (bench/events.py)
-- PostgREST 12 ignores ALTER ROLE ... IN DATABASE for the impersonated role: app.check_request()
-- applies these timeouts per request. pg_dump does not carry these settings: `motovault backup` does.

begin;

set local lock_timeout = '5s';

select format('alter role %I in database %I set statement_timeout = %L', r.role_name, current_database(), r.timeout)
from (
    values ('app_user', '5s'), ('analyst', '30s'), ('anon', '2s'), ('vin_worker', '60s')
) as r (role_name, timeout)
\gexec

select format('alter role analyst in database %I set idle_in_transaction_session_timeout = %L', current_database(), '10min')
\gexec

select format('alter role authenticator in database %I set constraint_exclusion = off', current_database())
\gexec

commit;
