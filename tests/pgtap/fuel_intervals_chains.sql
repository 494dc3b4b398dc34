-- app.fuel_intervals from running figures (fuel_economy reworked after @v1.3): the figures of an interval
-- are the fill-ups after the previous full fill-up of the chain up to its own, whatever came before;
-- flex-fuel on the implicit chain (no source declared) still gets its blend; hand-computed.
select plan(3);

select tests.new_tenant('Fuel chains test') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'H: flex-fuel, no source declared', 'km') as car_h \gset

select tests.become(:'owner', :'tenant');
-- petrol and E85 in one implicit chain; a missed fill-up before the partial of 10 February breaks the
-- interval it belongs to (the one closing on 20 February) and no other; the partial of 10 March comes
-- after the last full fill-up: no interval yet
insert into api.fuel_logs (vehicle_id, filled_on, odometer, fuel_type, volume, is_full, missed_previous)
values
    (:'car_h', '2024-01-01', 1000, 'gasoline', 50, true, false),
    (:'car_h', '2024-01-10', 1400, 'e85', 30, false, false),
    (:'car_h', '2024-01-20', 1800, 'gasoline', 20, true, false),
    (:'car_h', '2024-02-01', 2200, 'e85', 40, true, false),
    (:'car_h', '2024-02-10', 2500, 'gasoline', 10, false, true),
    (:'car_h', '2024-02-20', 2800, 'gasoline', 30, true, false),
    (:'car_h', '2024-03-01', 3300, 'e85', 25, true, false),
    (:'car_h', '2024-03-10', 3500, 'gasoline', 10, false, false);

select results_eq(
    format($$select filled_on, distance, volume, fill_ups, economy, note, source_id, fuel_types, blend
             from api.fuel_economy_intervals(%L, 'l_per_100km')$$, :'car_h'),
    $$values ('2024-01-01'::date, null::numeric, 50.000, 1, null::numeric,
              'first full fill-up: no previous full fill-up to measure from', null::uuid, '{gasoline}'::text[],
              '{"gasoline": 1.000}'::jsonb),
             ('2024-01-20', 800.0, 50.000, 2, 6.25, null, null, '{e85,gasoline}', '{"e85": 0.600, "gasoline": 0.400}'),
             ('2024-02-01', 400.0, 40.000, 1, 10.00, null, null, '{e85}', '{"e85": 1.000}'),
             ('2024-02-20', 600.0, 40.000, 2, null, 'missed fill-up: the chain is broken', null, '{gasoline}',
              '{"gasoline": 1.000}'),
             ('2024-03-01', 500.0, 25.000, 1, 5.00, null, null, '{e85}', '{"e85": 1.000}')$$,
    'one implicit flex-fuel chain: volume, fill-ups and blend per interval; the missed fill-up breaks its own interval only'
);
select is(
    (select economy from api.fuel_economy(:'car_h', 'l_per_100km')),
    6.76, 'average over the intervals with a figure: 115 l / 1700 km'
);
select is(
    (select count(*)::int from app.fuel_intervals(app.current_tenant_id(), :'car_h')),
    5, 'the trailing partial fill-up closes no interval'
);
select tests.unbecome();

select * from finish();
