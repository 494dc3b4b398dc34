-- Deploy motovault:schemas to pg
-- requires: roles
--
-- The schemas and what PostgREST may see of them:
--   app        private tables and helpers, never exposed
--   api        the only schema PostgREST serves
--   audit      the append-only change log
--   analytics  read-only views for analysts
--   ext        extensions (cube, pg_trgm), so their objects stay out of the others

begin;

set local lock_timeout = '5s';

create schema app;
comment on schema app is 'Private tables and helper functions. Never exposed by PostgREST.';

create schema api;
comment on schema api is $$motovault REST API
Vehicle records for households, fleets and shops. Every request carries a JWT whose
tenant_id claim names the active tenant; every row is filtered to that tenant by the
database (row level security). Errors are JSON with a message naming the field and the rule.$$;

create schema audit;
comment on schema audit is 'Append-only change log written by triggers.';

create schema analytics;
comment on schema analytics is 'Read-only views for analysts: fuel economy, costs, maintenance due, fleet overview.';

-- Nothing is executable by PUBLIC unless granted on purpose.
alter default privileges revoke execute on functions from public;

-- PostgREST serves only the api schema; app holds helper functions the api
-- roles call through views, policies and triggers.
grant usage on schema api to anon, app_user;
grant usage on schema app to app_user, vin_worker;
grant usage on schema analytics to analyst;

create schema ext;
comment on schema ext is 'Extensions (cube, pg_trgm). Not exposed by PostgREST.';
create extension cube schema ext;
create extension pg_trgm schema ext;
grant usage on schema ext to app_user, analyst;

commit;
