-- Deploy motovault:roles to pg
--
-- Roles are cluster-wide: a second database in the same cluster finds them
-- already there, so every role is created only when missing. The deploying
-- role (the owner role, with CREATEROLE) creates them.
--
-- The authenticator's password comes from the environment through a sqitch
-- variable: sqitch deploy --set authenticator_password=...

begin;

select format('create role %I nologin', role_name)
from unnest(array['anon', 'app_user', 'analyst', 'vin_worker']) as role_name
where not exists (select from pg_roles where rolname = role_name)
\gexec

select 'create role authenticator login noinherit'
where not exists (select from pg_roles where rolname = 'authenticator')
\gexec

alter role authenticator with login noinherit nocreatedb nocreaterole;

\if :{?authenticator_password}
alter role authenticator with password :'authenticator_password';
\else
\warn 'authenticator_password not set: authenticator keeps its current password (sqitch deploy --set authenticator_password=...)'
\endif

-- PostgREST logs in as authenticator and switches to the role named in the JWT.
grant anon, app_user to authenticator;

comment on role anon is 'motovault: requests without a JWT; reaches only the OpenAPI root';
comment on role app_user is 'motovault: authenticated API users; every row they see is filtered by tenant (RLS)';
comment on role analyst is 'motovault: read-only access to the analytics views, for people using psql';
comment on role vin_worker is 'motovault: the VIN decode worker; writes the shared VIN cache';
comment on role authenticator is 'motovault: PostgREST login role; switches to anon or app_user';

commit;
