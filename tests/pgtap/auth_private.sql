-- Secrets (password, refresh-token, API-key and one-time-token hashes, signing keys) live in
-- auth_private, which no API or analyst role can read; the catalog walk proves it.
begin;
select plan(10);

select is(
    array(
        select r.rolname::text
        from pg_roles as r
        where r.rolname in ('anon', 'app_user', 'analyst', 'vin_worker', 'authenticator')
          and has_schema_privilege(r.rolname, 'auth_private', 'usage')
        order by 1
    ),
    '{}'::text[],
    'no API, analyst or worker role may use schema auth_private'
);
select is(
    array(
        select format('%s on %s', r.rolname, c.oid::regclass)
        from pg_class as c
        cross join pg_roles as r
        where c.relnamespace = 'auth_private'::regnamespace
          and c.relkind in ('r', 'p', 'v', 'm')
          and r.rolname in ('anon', 'app_user', 'analyst', 'vin_worker', 'authenticator')
          and has_table_privilege(r.rolname, c.oid, 'select, insert, update, delete')
        order by 1
    ),
    '{}'::text[],
    'no such role holds a privilege on any table of auth_private'
);
select ok(
    (select count(*) from pg_class where relnamespace = 'auth_private'::regnamespace and relkind = 'r') >= 8,
    'the secrets are in auth_private'
);
select is(
    array(
        select format('%s.%s', c.oid::regclass, a.attname)
        from pg_attribute as a
        join pg_class as c on c.oid = a.attrelid
        where c.relnamespace in ('app'::regnamespace, 'api'::regnamespace, 'audit'::regnamespace, 'analytics'::regnamespace)
          and c.relkind in ('r', 'p', 'v', 'm')
          and not c.relispartition
          and a.attnum > 0 and not a.attisdropped
          and a.attname ~ '(hash|secret|password|refresh_token|token)$'
        order by 1
    ),
    '{}'::text[],
    'no table or view outside auth_private has a hash, secret, password or token column'
);
-- functions that touch auth_private and are callable by API roles are SECURITY DEFINER with search_path ''
select is(
    array(
        select p.oid::regprocedure::text
        from pg_proc as p
        where p.pronamespace in ('app'::regnamespace, 'api'::regnamespace)
          and p.prosrc ~ 'auth_private\.'
          and (has_function_privilege('app_user', p.oid, 'execute') or has_function_privilege('anon', p.oid, 'execute'))
          and not (p.prosecdef and p.proconfig @> array['search_path=""'])
        order by 1
    ),
    '{}'::text[],
    'every API-callable function that reads auth_private is SECURITY DEFINER with an empty search_path'
);
select is(
    array(
        select p.oid::regprocedure::text
        from pg_proc as p
        where p.pronamespace = 'auth_private'::regnamespace
          and (has_function_privilege('app_user', p.oid, 'execute') or has_function_privilege('anon', p.oid, 'execute'))
          and has_schema_privilege('app_user', 'auth_private', 'usage')
        order by 1
    ),
    '{}'::text[],
    'no function of auth_private is reachable by an API role'
);

-- an unknown email costs what a wrong password costs: both run bcrypt once (counted, not timed)
set local track_functions = 'all';
select ok(tests.new_user(email => 'known@example.org') is not null, 'a user with a password');
insert into auth_private.passwords (user_id, hash)
select id, auth_private.hash_password('the right one 1') from app.users where email = 'known@example.org';
create temporary table crypt_calls as
select coalesce((select calls from pg_stat_xact_user_functions where funcid = 'ext.crypt(text, text)'::regprocedure), 0) as before;
select ok(not auth_private.password_matches((select id from app.users where email = 'known@example.org'), 'wrong password'), 'a wrong password does not match');
select ok(not auth_private.password_matches(null, 'wrong password'), 'an unknown account does not match');
select is(
    (select calls from pg_stat_xact_user_functions where funcid = 'ext.crypt(text, text)'::regprocedure) - (select before from crypt_calls),
    2::bigint,
    'each of the two ran bcrypt once (the unknown account against auth_private.dummy_hash)'
);

select * from finish();
rollback;
