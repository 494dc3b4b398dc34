-- Every table in app follows the tenant rules. The catalog walk below fails the build when a
-- future table forgets one. Exceptions are written once, with their reason, in .doctor-ignore.toml
-- (their `checks`), which the harness turns into tests.rule_exceptions().
begin;
select plan(40);

create temporary view rule_exceptions as
select substr(object, 5) as table_name, rule, reason
from tests.rule_exceptions()
where object like 'app.%';

create temporary view app_tables as
select c.oid, c.relname as table_name, c.relrowsecurity, c.relforcerowsecurity
from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'app'
  and c.relkind in ('r', 'p')
  and not c.relispartition;

create temporary view rule_breaks as
with cols as (
    select t.table_name, array_agg(a.attname::text) as names
    from app_tables as t
    join pg_attribute as a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
    group by t.table_name
)
select t.table_name, r.rule
from app_tables as t
join cols using (table_name)
cross join lateral (
    values
        ('rls', t.relrowsecurity),
        ('force_rls', t.relforcerowsecurity),
        ('tenant_id', 'tenant_id' = any (cols.names)),
        ('created_at', 'created_at' = any (cols.names)),
        ('updated_at', 'updated_at' = any (cols.names)),
        ('deleted_at', 'deleted_at' = any (cols.names)),
        ('policy', exists (select from pg_policy as p where p.polrelid = t.oid)),
        ('tenant_policy', exists (
            select from pg_policy as p
            where p.polrelid = t.oid
              and p.polcmd = 'r'
              and pg_get_expr(p.polqual, p.polrelid) like '%tenant_id = app.current_tenant_id()%')),
        ('stamp_trigger', exists (
            select from pg_trigger as g
            where g.tgrelid = t.oid and g.tgname = '_500_stamp' and g.tgfoid = 'app.tg_stamp_row()'::regprocedure)),
        -- audited per statement (app.attach_audit_triggers): one AFTER trigger per event with its
        -- transition tables, and no row-level audit trigger (bulk writes, docs/bulk.md)
        ('audit_trigger', (
            select count(*)
            from pg_trigger as g
            where g.tgrelid = t.oid
              and g.tgfoid = 'app.tg_audit_row()'::regprocedure
              and (g.tgname, g.tgtype, g.tgoldtable is not null, g.tgnewtable is not null) in (
                  ('_900_audit_insert', 4, false, true),
                  ('_900_audit_update', 16, true, true),
                  ('_900_audit_delete', 8, true, false))) = 3
            and not exists (
                select from pg_trigger as g
                where g.tgrelid = t.oid and g.tgfoid = 'app.tg_audit_row()'::regprocedure and g.tgtype & 1 = 1)),
        -- a table with deleted_at has its soft-delete surface: an api view over it whose DELETE
        -- soft-deletes, <view>_trash and a restore RPC (app.create_trash_api)
        ('soft_delete_api', not ('deleted_at' = any (cols.names)) or exists (
            select
            from pg_depend as d
            join pg_rewrite as rw on rw.oid = d.objid and d.classid = 'pg_rewrite'::regclass
            join pg_class as v on v.oid = rw.ev_class and v.relnamespace = 'api'::regnamespace
            where d.refclassid = 'pg_class'::regclass
              and d.refobjid = t.oid
              and exists (
                  select from pg_trigger as g
                  where g.tgrelid = v.oid and g.tgname = '_500_soft_delete'
                    and g.tgfoid = 'app.tg_soft_delete_row()'::regprocedure)
              and to_regclass(format('api.%I', v.relname || '_trash')) is not null
              and exists (
                  select from pg_proc as p
                  where p.pronamespace = 'api'::regnamespace and p.proname like 'restore\_%'
                    and p.prorettype = v.reltype and p.proretset))),
        ('pk_led_by_tenant_id', exists (
            select from pg_constraint as k
            join pg_attribute as a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
            where k.conrelid = t.oid and k.contype = 'p' and a.attname in ('tenant_id', 'id')
              and (a.attname = 'tenant_id' or not ('tenant_id' = any (cols.names)))))
) as r(rule, holds)
where not r.holds
  and not exists (select from rule_exceptions as e where e.table_name = t.table_name and e.rule = r.rule);

select ok((select count(*) from app_tables) >= 5, 'the catalog walk sees the app tables');
select ok((select count(*) from rule_exceptions) >= 10, 'the walk sees the exceptions of .doctor-ignore.toml');
select is(
    array(select table_name || ': ' || rule from rule_breaks order by 1),
    '{}'::text[],
    'every app table has RLS enabled and forced, a tenant policy, tenant_id, timestamps, deleted_at, stamp and audit triggers (audit per statement), a primary key led by tenant_id, and the soft-delete API when it has deleted_at'
);
select is(
    array(
        select e.table_name || ': ' || e.rule
        from rule_exceptions as e
        where not exists (select from app_tables as t where t.table_name = e.table_name)
        order by 1
    ),
    '{}'::text[],
    'every exception names a table that exists'
);

-- trigger order is written in trigger names, and trigger functions say what they are
select is(
    array(
        select g.tgrelid::regclass || ': ' || g.tgname
        from pg_trigger as g
        join pg_class as c on c.oid = g.tgrelid
        where c.relnamespace in ('app'::regnamespace, 'api'::regnamespace, 'audit'::regnamespace)
          and not g.tgisinternal
          and not c.relispartition
          and g.tgname !~ '^_[0-9]{3}_[a-z0-9_]+$'
        order by 1
    ),
    '{}'::text[],
    'every trigger is named _NNN_<what> (PostgreSQL fires them in name order)'
);
select is(
    array(
        select p.oid::regprocedure::text
        from pg_proc as p
        where p.pronamespace in ('app'::regnamespace, 'api'::regnamespace, 'audit'::regnamespace)
          and (p.prorettype = 'trigger'::regtype) <> (p.proname like 'tg\_%')
        order by 1
    ),
    '{}'::text[],
    'trigger functions, and only they, are named tg_*'
);

-- every foreign key between tenant tables includes tenant_id, and is indexed
select is(
    array(
        select k.conname::text
        from pg_constraint as k
        join pg_class as c on c.oid = k.conrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'app'
          and k.contype = 'f'
          and exists (select from pg_attribute where attrelid = k.confrelid and attname = 'tenant_id')
          and (select attname from pg_attribute where attrelid = k.conrelid and attnum = k.conkey[1]) <> 'tenant_id'
        order by 1
    ),
    '{}'::text[],
    'foreign keys into tenant tables start with tenant_id'
);
select is(
    array(
        select k.conname::text
        from pg_constraint as k
        join pg_class as c on c.oid = k.conrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'app'
          and k.contype = 'f'
          and k.conparentid = 0
          and not exists (
              select from pg_index as i
              where i.indrelid = k.conrelid
                and (i.indkey::int2[])[0:array_length(k.conkey, 1) - 1] = k.conkey
          )
        order by 1
    ),
    '{}'::text[],
    'every foreign key has an index led by its columns'
);

-- api views run with the caller's rights
select is(
    array(
        select c.relname::text
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'api' and c.relkind = 'v'
          and not coalesce('security_invoker=true' = any (c.reloptions), false)
        order by 1
    ),
    '{}'::text[],
    'every api view is security_invoker'
);
select is(
    array(
        select c.relname::text
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'api' and c.relkind = 'v'
          and pg_relation_is_updatable(c.oid::regclass, true) & 28 <> 28
          and not exists (select from pg_trigger as t where t.tgrelid = c.oid and t.tgtype & 64 <> 0)
        order by 1
    ),
    '{}'::text[],
    'every api view is auto-updatable or has INSTEAD OF triggers (else a write is a 500): see app.protect_read_only_view()'
);
select is(
    array(
        select c.oid::regclass::text
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'api' and c.relkind = 'v' and obj_description(c.oid, 'pg_class') is null
        union all
        select p.oid::regprocedure::text
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = 'api' and obj_description(p.oid, 'pg_proc') is null
        order by 1
    ),
    '{}'::text[],
    'every api view and function has a COMMENT (its OpenAPI description)'
);
select is(
    array(
        select p.oid::regprocedure::text
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname in ('app', 'api', 'audit', 'analytics')
          and p.prosecdef
          and not exists (select from unnest(p.proconfig) as cfg where cfg like 'search_path=%')
        order by 1
    ),
    '{}'::text[],
    'no SECURITY DEFINER function without a fixed search_path'
);

-- policies per table and command
select policies_are('app', 'vehicles', array['vehicles_members_read', 'vehicles_writers_insert', 'vehicles_writers_update', 'vehicles_owner_role_all', 'vehicles_vin_worker_read', 'vehicles_vin_worker_fill']);
select policy_cmd_is('app'::name, 'vehicles'::name, 'vehicles_members_read'::name, 'select'::text);
select policy_cmd_is('app'::name, 'vehicles'::name, 'vehicles_writers_insert'::name, 'insert'::text);
select policy_cmd_is('app'::name, 'vehicles'::name, 'vehicles_writers_update'::name, 'update'::text);
select policy_cmd_is('app'::name, 'vehicles'::name, 'vehicles_owner_role_all'::name, 'all'::text);
select policy_roles_are('app', 'vehicles', 'vehicles_members_read', array['app_user']);
select policies_are('app', 'garages', array['garages_members_read', 'garages_writers_insert', 'garages_writers_update', 'garages_owner_role_all']);
select policy_cmd_is('app'::name, 'garages'::name, 'garages_members_read'::name, 'select'::text);
select policy_cmd_is('app'::name, 'garages'::name, 'garages_writers_insert'::name, 'insert'::text);
select policy_cmd_is('app'::name, 'garages'::name, 'garages_writers_update'::name, 'update'::text);
select policies_are('app', 'memberships', array['memberships_members_read', 'memberships_owner_role_all']);
select policies_are('app', 'tenants', array['tenants_members_read', 'tenants_owners_update', 'tenants_owner_role_all']);
select policies_are('app', 'users', array['users_self_and_comembers_read', 'users_self_update', 'users_owner_role_all']);
select policies_are('audit', 'record_version', array['record_version_owners_admins_read']);
select policies_are('audit', 'shared_record_version', array['shared_record_version_owner_role_read']);

-- grants of each role
select table_privs_are('app', 'vehicles', 'app_user', array['SELECT', 'INSERT', 'UPDATE']);
select table_privs_are('app', 'memberships', 'app_user', array['SELECT']);
select table_privs_are('audit', 'record_version', 'app_user', array['SELECT']);
select table_privs_are('audit', 'shared_record_version', 'app_user', '{}'::text[]);
select table_privs_are('api', 'vehicles', 'app_user', array['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
select table_privs_are('api', 'vehicles', 'anon', '{}'::text[]);
select table_privs_are('api', 'vehicles', 'analyst', '{}'::text[]);
select function_privs_are('app', 'purge_deleted', array['integer'], 'app_user', '{}'::text[]);
select function_privs_are('app', 'purge_deleted', array['integer'], 'motovault_owner', array['EXECUTE']);
select ok(
    not exists (
        select
        from information_schema.role_table_grants
        where table_schema = 'audit' and grantee in ('app_user', 'anon', 'analyst', 'vin_worker')
          and privilege_type in ('UPDATE', 'DELETE', 'TRUNCATE', 'INSERT')
    ),
    'no API role may write the audit log'
);
select ok(
    not exists (
        select
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname in ('app', 'api', 'audit', 'analytics')
          and has_function_privilege('public', p.oid, 'execute')
    ),
    'no function is executable by PUBLIC'
);
select is(
    array(
        select distinct e.table_name || ': ' || r.role_name
        from rule_exceptions as e
        cross join unnest(array['anon', 'app_user', 'analyst']) as r(role_name)
        where e.rule = 'rls'
          and has_table_privilege(r.role_name, 'app.' || e.table_name, 'select, insert, update, delete')
        order by 1
    ),
    '{}'::text[],
    'tables excused from RLS are reachable by no API or analyst role'
);
select ok(
    (select relrowsecurity from pg_class where oid = 'audit.record_version'::regclass),
    'the audit log has row level security'
);

select * from finish();
rollback;
