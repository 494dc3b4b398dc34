-- The tenant rules hold for every table of the fuel work: tenant_id first in the primary key,
-- RLS enabled and forced, stamp and audit triggers, every FK to a tenant table includes tenant_id,
-- api views are security_invoker with a trash view.
select plan(8);

create temp table fuel_tables as
select unnest(array['app.fuel_logs', 'app.odometer_entries', 'app.maintenance', 'app.reminders', 'app.tenant_settings'])::regclass as t;

select is(
    array(select t::text from fuel_tables where not exists (
        select from pg_constraint as c
        where c.conrelid = t and c.contype = 'p'
          and (select attname from pg_attribute where attrelid = t and attnum = c.conkey[1]) = 'tenant_id')),
    '{}'::text[], 'primary keys start with tenant_id');
select is(
    array(select t::text from fuel_tables join pg_class as c on c.oid = t where not (c.relrowsecurity and c.relforcerowsecurity)),
    '{}'::text[], 'RLS enabled and forced');
select is(
    array(select t::text from fuel_tables where (
        select count(*) from pg_trigger as g
        where g.tgrelid = t and g.tgfoid in ('app.tg_stamp_row()'::regprocedure, 'app.tg_audit_row()'::regprocedure)) <> 4),
    '{}'::text[], 'stamp and audit triggers on every table (audit: one per statement and event)');
select is(
    array(select c.conname::text
          from pg_constraint as c
          join fuel_tables on c.conrelid = t
          where c.contype = 'f'
            and exists (select from pg_attribute where attrelid = c.confrelid and attname = 'tenant_id')
            and (select attname from pg_attribute where attrelid = c.conrelid and attnum = c.conkey[1]) <> 'tenant_id'),
    '{}'::text[], 'every foreign key to a tenant table includes tenant_id');
select is(
    array(select v::text from unnest(array['api.fuel_logs', 'api.odometer_entries', 'api.maintenance', 'api.reminders',
                                           'api.tenant_settings', 'api.stations', 'api.reminders_due', 'api.odometer_readings']) as v
          join pg_class as c on c.oid = v::regclass
          where not coalesce('security_invoker=true' = any(c.reloptions), false)),
    '{}'::text[], 'api views are security_invoker');
select is(
    array(select v from unnest(array['fuel_logs', 'odometer_entries', 'maintenance', 'reminders', 'tenant_settings']) as v
          where to_regclass('api.' || v || '_trash') is null),
    '{}'::text[], 'every table has a trash view');
select is(
    array(select t::text from fuel_tables where not exists (
        select from pg_index as i where i.indrelid = t and i.indexrelid::regclass::text like '%vehicle%'
    ) and t <> 'app.tenant_settings'::regclass),
    '{}'::text[], 'the vehicle foreign key is indexed');
select ok(
    (select relrowsecurity and relforcerowsecurity from pg_class where oid = 'app.stations'::regclass)
    and not has_table_privilege('app_user', 'app.stations', 'insert')
    and not has_table_privilege('app_user', 'app.stations', 'update'),
    'stations: shared, RLS forced, app_user reads only'
);

select * from finish();
