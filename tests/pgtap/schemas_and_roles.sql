-- Schemas and roles of the foundation: who may reach what.
select plan(17);

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
select set_eq(
    $$
        select p.oid::regprocedure::text
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname in ('app', 'api', 'audit', 'analytics', 'auth_private')
          and has_function_privilege('anon', p.oid, 'execute')
    $$,
    array[
        'app.check_request()',
        'app.check_request_citus()',
        'api.sign_up(text,text,text)',
        'api.sign_in(text,text,uuid)',
        'api.refresh(text,uuid)',
        'api.request_password_reset(text)',
        'api.reset_password(text,text)',
        'api.exchange_api_key(text)',
        'api.calendar(text)'
    ],
    'anon may execute the pre-request checks (plain and Citus), the sign-in RPCs and the calendar feed (its secret is in the URL), nothing else'
);
select is(
    array(
        select c.oid::regclass::text
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('app', 'api', 'audit', 'analytics')
          and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and has_table_privilege('anon', c.oid, 'select, insert, update, delete')
    ),
    '{}'::text[],
    'anon may read or write no table or view: only the OpenAPI root answers it'
);
select ok(not has_schema_privilege('app_user', 'analytics', 'usage'), 'API users cannot reach analytics');

-- the workers SET ROLE app_user to act as a member, but the policies TO app_user never apply to the
-- owner role (they would hide rows from the SECURITY DEFINER functions it owns)
select ok(pg_has_role('motovault_owner', 'app_user', 'member'), 'the owner role may SET ROLE app_user');
select ok(not pg_has_role('motovault_owner', 'app_user', 'usage'),
          'the owner role does not inherit app_user (act_as_member is NOINHERIT), so policies TO app_user skip it');

select * from finish();
