-- Fuel economy: hand-computed cases (partials, missed, first fill-up, mixed units, two fuels, reset).
select plan(16);

insert into app.tenants (id, name) values ('10000000-0000-4000-8000-000000000001', 'Economy test');
insert into app.users (id) values ('10000000-0000-4000-8000-0000000000a1');
insert into app.memberships (tenant_id, user_id, role)
values ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000a1', 'owner');
insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
values
    ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000c1', 'A: km, litres', 'km'),
    ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000c2', 'B: miles, gallons', 'mi'),
    ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000c3', 'C: plug-in hybrid', 'km'),
    ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000c4', 'D: cluster replaced', 'km');

set role app_user;
select set_config('request.jwt.claims',
    '{"sub":"10000000-0000-4000-8000-0000000000a1","tenant_id":"10000000-0000-4000-8000-000000000001"}', false);

-- A: first full (no figure), partial + full (600 km / 40 l), missed (no figure), full (500 km / 40 l)
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, is_full, missed_previous)
values
    ('10000000-0000-4000-8000-0000000000c1', '2024-01-01', 1000, 40, 'l', true, false),
    ('10000000-0000-4000-8000-0000000000c1', '2024-01-10', 1300, 10, 'l', false, false),
    ('10000000-0000-4000-8000-0000000000c1', '2024-01-20', 1600, 30, 'l', true, false),
    ('10000000-0000-4000-8000-0000000000c1', '2024-02-01', 2100, 25, 'l', true, true),
    ('10000000-0000-4000-8000-0000000000c1', '2024-02-15', 2600, 40, 'l', true, false),
    ('10000000-0000-4000-8000-0000000000c1', '2024-02-20', 2700, 5, 'l', false, false);

select results_eq(
    $$select economy, note from api.fuel_economy_intervals('10000000-0000-4000-8000-0000000000c1', 'l_per_100km')$$,
    $$values (null::numeric, 'first full fill-up: no previous full fill-up to measure from'),
             (6.67, null), (null, 'missed fill-up: the chain is broken'), (8.00, null)$$,
    'intervals: first has none, partial summed (40 l over 600 km), missed breaks the chain, trailing partial waits'
);
select results_eq(
    $$select intervals, distance, volume, economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c1', 'l_per_100km')$$,
    $$values (2, 1100.0, 80.000, 7.27)$$,
    'period average is total distance / total volume (80 l / 1100 km = 7.27), not the mean of 6.67 and 8.00'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c1', 'km_per_l')),
    13.75, 'km_per_l: 1100 km / 80 l'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c1', 'mpg_us')),
    32.34, 'mpg_us converted from km and litres'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c1', null)),
    7.27, 'a vehicle in km defaults to l_per_100km'
);
select results_eq(
    $$select intervals, economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c1', 'l_per_100km', '2024-02-01', '2024-02-28')$$,
    $$values (1, 8.00)$$,
    'the period selects intervals by their closing fill-up'
);

-- B: miles; gallons, then litres, then an odometer reading in km
insert into api.fuel_logs (vehicle_id, filled_on, odometer, odometer_unit, volume, volume_unit)
values
    ('10000000-0000-4000-8000-0000000000c2', '2024-01-01', 10000, 'mi', 10, 'gal_us'),
    ('10000000-0000-4000-8000-0000000000c2', '2024-01-15', 10300, 'mi', 10, 'gal_us'),
    ('10000000-0000-4000-8000-0000000000c2', '2024-02-01', 10650, 'mi', 37.854, 'l'),
    ('10000000-0000-4000-8000-0000000000c2', '2024-02-15', 17381, 'km', 5, 'gal_us');
select results_eq(
    $$select economy from api.fuel_economy_intervals('10000000-0000-4000-8000-0000000000c2') where economy is not null$$,
    $$values (30.00), (35.00), (30.01)$$,
    'mixed units: 300 mi / 10 gal, 350 mi / 37.854 l, (17381 km - 10650 mi) / 5 gal, in mpg_us (the default for a vehicle in miles)'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c2')),
    32.00, 'average over mixed units: 800.05 mi / 25.0 gal'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c2', 'mpg_imp')),
    38.43, 'mpg_imp'
);

-- C: plug-in hybrid, gasoline and electricity interleaved: one chain per energy kind
insert into api.fuel_logs (vehicle_id, filled_on, odometer, fuel_type, volume)
values
    ('10000000-0000-4000-8000-0000000000c3', '2024-03-01', 5000, 'gasoline', 30),
    ('10000000-0000-4000-8000-0000000000c3', '2024-03-02', 5050, 'electric', 10),
    ('10000000-0000-4000-8000-0000000000c3', '2024-03-05', 5200, 'electric', 20),
    ('10000000-0000-4000-8000-0000000000c3', '2024-03-10', 5600, 'gasoline', 24);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c3', 'l_per_100km')),
    4.00, 'gasoline chain skips the charges: 24 l over 600 km'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c3', 'kwh_per_100km')),
    13.33, 'electric chain: 20 kWh over 150 km'
);
select is(
    (select economy from api.fuel_economy('10000000-0000-4000-8000-0000000000c3', 'mi_per_kwh')),
    4.66, 'mi_per_kwh'
);
select is(
    (select volume_unit from api.fuel_logs where vehicle_id = '10000000-0000-4000-8000-0000000000c3' and fuel_type = 'electric' limit 1),
    'kwh', 'an electric charge defaults to kWh'
);

-- D: a reset between two full fill-ups breaks the chain
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values ('10000000-0000-4000-8000-0000000000c4', '2024-01-01', 90000, 40);
insert into api.odometer_entries (vehicle_id, kind, read_on, odometer)
values ('10000000-0000-4000-8000-0000000000c4', 'reset', '2024-02-01', 0);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values ('10000000-0000-4000-8000-0000000000c4', '2024-02-10', 500, 30);
select results_eq(
    $$select economy, note from api.fuel_economy_intervals('10000000-0000-4000-8000-0000000000c4') order by filled_on desc limit 1$$,
    $$values (null::numeric, 'odometer reset inside the interval')$$,
    'an odometer reset inside an interval leaves it without a figure'
);

select throws_like(
    $$select * from api.fuel_economy('10000000-0000-4000-8000-0000000000c1', 'furlongs')$$,
    'unit: furlongs is not an economy unit',
    'an unknown unit is refused, naming unit'
);
select throws_ok(
    $$select * from api.fuel_economy('10000000-0000-4000-8000-0000000000ff')$$,
    'PT404', null,
    'an unknown vehicle is 404'
);

select * from finish();
