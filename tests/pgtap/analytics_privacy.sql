-- Analysts: every analytics view is free of personal columns (a catalog walk, so a new view that
-- leaks fails here), analyst reads analytics across tenants and can write nothing and read no app table.
select plan(19);

-- the rule, as a query over the catalog: offending columns of every view in analytics
create function pg_temp.personal_columns()
returns setof text
language sql
as $$
    select format('%s.%s (%s)', c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod))
    from pg_class as c
    join pg_namespace as n on n.oid = c.relnamespace
    join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = 'analytics'
      and c.relkind in ('v', 'm', 'r', 'p', 'f')
      and (
          -- identifying or free-text columns
          a.attname ~* '(^|_)(vin|plate|license|licence|notes?|comments?|captions?|descriptions?|display_name|name|first_name|last_name|full_name|email|phone|address|street|postal|zip|storage_key|payload|text|ip)($|_)'
          or a.attname ~* '(^|_)(user_id|created_by|updated_by|actor|sub)$'
          -- JSON can carry anything
          or a.atttypid in ('json'::regtype, 'jsonb'::regtype)
          -- coordinates only at city precision: numeric with at most 1 decimal (~11 km)
          or (a.attname ~* '(^|_)(lat|latitude|lon|lng|longitude|coordinates?|geo|location|point)($|_)'
              and not (a.atttypid = 'numeric'::regtype and a.atttypmod > 0 and ((a.atttypmod - 4) & 65535) <= 1))
          or a.atttypid::regtype::text in ('point', 'cube', 'earth', 'geometry', 'geography')
      )
    order by 1
$$;

select ok((select count(*) from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
           where n.nspname = 'analytics' and c.relkind = 'v') >= 3, 'analytics has views to check');
select is(array(select pg_temp.personal_columns()), '{}'::text[], 'no analytics view has a personal column');
select is(
    array(select v from unnest(array['analytics.costs', 'analytics.cost_months', 'analytics.vehicle_tco_months',
                                     'analytics.vehicle_tco_years', 'analytics.fleet_tco_months', 'analytics.fleet_tco_years']) as v
          where to_regclass(v) is null),
    '{}'::text[], 'the money views (costs, cost per month, cost of ownership) are among the views walked');

-- the walk catches a leaking view (and coarse coordinates pass)
create view analytics.leak_check as
select v.id, v.vin, v.license_plate, v.display_name, g.name, g.notes, g.latitude, g.longitude,
       round(g.latitude, 1)::numeric(4, 1) as city_latitude
from app.vehicles as v join app.garages as g on g.tenant_id = v.tenant_id;
select is(
    array(select pg_temp.personal_columns()),
    array['analytics.leak_check.display_name (text)', 'analytics.leak_check.latitude (numeric(8,6))',
          'analytics.leak_check.license_plate (text)', 'analytics.leak_check.longitude (numeric(9,6))',
          'analytics.leak_check.name (text)', 'analytics.leak_check.notes (text)', 'analytics.leak_check.vin (text)'],
    'the catalog walk flags a new view that leaks VIN, plate, names, notes and exact coordinates');
drop view analytics.leak_check;

-- how analytics views are built
select is(
    array(select c.oid::regclass::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
          where n.nspname = 'analytics' and c.relkind = 'v' and pg_get_userbyid(c.relowner) <> 'motovault_owner'),
    '{}'::text[], 'every analytics view is owned by the owner role');
select is(
    array(select c.oid::regclass::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
          where n.nspname = 'analytics' and c.relkind = 'v' and coalesce(c.reloptions, '{}') @> array['security_invoker=true']),
    '{}'::text[], 'analytics views are not security_invoker (they span tenants through the owner''s policy)');
select is(
    array(select c.oid::regclass::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
          where n.nspname = 'analytics' and c.relkind = 'v' and not has_table_privilege('analyst', c.oid, 'select')),
    '{}'::text[], 'analyst can read every analytics view');

-- analyst writes nothing and reads no app, api or audit relation
select is(
    array(select c.oid::regclass::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
          where n.nspname in ('app', 'api', 'audit', 'analytics', 'public') and c.relkind in ('r', 'p', 'v', 'm', 'f')
            and has_table_privilege('analyst', c.oid, 'insert, update, delete, truncate, references, trigger')),
    '{}'::text[], 'analyst may write no table or view');
select is(
    array(select c.oid::regclass::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
          where n.nspname in ('app', 'api', 'audit') and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
            and has_table_privilege('analyst', c.oid, 'select')
            -- exceptions, with the reason:
            --   app.stations: shared reference data (public business locations, no tenant, nothing personal),
            --   granted by the stations change; app.exchange_rates: the ECB's published reference rates
            --   (no tenant, nothing personal), granted by the exchange_rates change
            and c.oid::regclass::text not in ('app.stations', 'app.exchange_rates')),
    '{}'::text[], 'analyst may read no app, api or audit relation (but the listed shared reference data)');
select ok(not has_schema_privilege('analyst', 'app', 'usage') and not has_schema_privilege('analyst', 'api', 'usage')
          and not has_schema_privilege('analyst', 'audit', 'usage'), 'analyst cannot even look up app, api, audit');
select ok(not has_schema_privilege('analyst', 'analytics', 'create'), 'analyst cannot create objects in analytics');

-- data in two tenants
select tests.new_tenant('Analytics A', 'household') as tenant_a \gset
select tests.new_tenant('Analytics B', 'fleet') as tenant_b \gset
select tests.new_vehicle(:'tenant_a', 'Mine', vin => '1HGCM82633A004352', license_plate => 'SECRET-1') as mine \gset
select tests.new_vehicle(:'tenant_b', 'Theirs', license_plate => 'SECRET-2') as theirs \gset
insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, payload)
select t, v, 'odometer', now() - make_interval(days => n), 1000 - n, '{}'
from (values (:'tenant_a'::uuid, :'mine'::uuid), (:'tenant_b', :'theirs')) as x (t, v),
     generate_series(1, 5) as n;

select tests.become_analyst();
select is((select count(distinct tenant_id)::int from analytics.vehicles where tenant_id in (:'tenant_a', :'tenant_b')), 2,
    'analyst sees vehicles of both tenants (no tenant claim needed)');
select is((select sum(events)::int from analytics.vehicle_event_months where tenant_id in (:'tenant_a', :'tenant_b')), 10,
    'analyst sees events of both tenants');
select is((select events_last_30_days::int from analytics.fleet_overview where tenant_id = :'tenant_b'), 5,
    'fleet overview counts a tenant''s recent events');
select throws_ok($$select * from app.vehicles$$, '42501', null, 'analyst cannot read app.vehicles');
-- a function in a view runs with the querying role's rights: the money views call none of schema app
select lives_ok($$select (select count(*) from analytics.costs) + (select count(*) from analytics.cost_months)
                       + (select count(*) from analytics.fleet_tco_years)$$,
    'analyst reads the money views (they call no app function)');
-- 55000: analytics views are not updatable at all (and the analyst has no write grant on them: see above)
select throws_ok($$delete from analytics.vehicles$$, '55000', null, 'analyst cannot delete through an analytics view');
select throws_ok($$update analytics.vehicles set year = 2000$$, '55000', null, 'analyst cannot update through an analytics view');
select tests.unbecome();
select is((select count(*)::int from app.vehicles where tenant_id in (:'tenant_a', :'tenant_b') and year is null), 2, 'and the vehicles are unchanged');

select * from finish();
