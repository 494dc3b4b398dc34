-- Schemas and roles of the foundation: who may reach what.
select plan(14);

select has_schema('app');
select has_schema('api');
select has_schema('audit');
select has_schema('analytics');

select has_role('authenticator');
select has_role('anon');
select has_role('app_user');
select has_role('analyst');
select has_role('vin_worker');

select ok(
    (select rolcanlogin and not rolinherit from pg_roles where rolname = 'authenticator'),
    'authenticator logs in and does not inherit the roles it may switch to'
);
select is_member_of('app_user', 'authenticator');
select schema_privs_are('api', 'anon', array['USAGE'], 'anon may only look up the api schema');
select ok(not has_schema_privilege('anon', 'app', 'usage'), 'anon cannot reach app');
select ok(not has_schema_privilege('app_user', 'analytics', 'usage'), 'API users cannot reach analytics');

select * from finish();
