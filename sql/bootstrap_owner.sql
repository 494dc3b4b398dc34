-- Before the first sqitch deploy, as a superuser: the owner role that owns every
-- object and runs sqitch, and (when :dbname is set) the database it owns.
-- Used by `make up`, the test harness and docker-compose's deploy service.
--   psql -v owner_password=... [-v dbname=motovault] -f sql/bootstrap_owner.sql
-- Idempotent: a second run only resets the password.

select 'create role motovault_owner login createrole'
where not exists (select from pg_roles where rolname = 'motovault_owner')
\gexec

alter role motovault_owner with login createrole password :'owner_password';

\if :{?dbname}
select format('create database %I owner motovault_owner', :'dbname')
where not exists (select from pg_database where datname = :'dbname')
\gexec
\endif
