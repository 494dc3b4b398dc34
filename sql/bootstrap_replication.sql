-- Before a streaming read replica is cloned, as a superuser on the primary: the two login roles it
-- needs. Used by `motovault replica up` and docker-compose's replica service.
--   psql -v replication_password=... -v analyst_password=... -f sql/bootstrap_replication.sql
--   motovault_replicator  LOGIN REPLICATION: pg_basebackup and the standby's WAL stream; nothing else
--   motovault_analyst     LOGIN, member of analyst: what analysts log in as on the replica (the
--                         standby refuses every write, and analyst may read only the analytics views)
-- Cluster-level roles, like the owner role (sql/bootstrap_owner.sql), so not a sqitch change. Needs the
-- role analyst, which the plan creates (sqitch deploy first). Idempotent: a second run only resets the
-- passwords (and gives motovault_analyst its membership back if a revert of the plan took it).

\set ON_ERROR_STOP 1

select 'create role motovault_replicator login replication'
where not exists (select from pg_roles where rolname = 'motovault_replicator')
\gexec

alter role motovault_replicator with login replication nosuperuser nocreatedb nocreaterole noinherit
    password :'replication_password';
comment on role motovault_replicator is 'motovault: streaming replication of read replicas (pg_basebackup, WAL stream)';

select 'create role motovault_analyst login'
where not exists (select from pg_roles where rolname = 'motovault_analyst')
\gexec

alter role motovault_analyst with login inherit nosuperuser nocreatedb nocreaterole noreplication
    password :'analyst_password';

select 'grant analyst to motovault_analyst'
where not pg_has_role('motovault_analyst', 'analyst', 'member')
\gexec

-- the analyst role's limits (change role_timeouts), for the login that analysts use
alter role motovault_analyst set statement_timeout = '30s';
alter role motovault_analyst set idle_in_transaction_session_timeout = '10min';
comment on role motovault_analyst is 'motovault: analysts'' login on the read replica; member of analyst';
