-- Fuel economy: hand-computed cases (partials, missed, first fill-up, mixed units, two fuels, reset).
select plan(16);

select tests.new_tenant('Economy test') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'A: km, litres', 'km') as car_a \gset
select tests.new_vehicle(:'tenant', 'B: miles, gallons', 'mi') as car_b \gset
select tests.new_vehicle(:'tenant', 'C: plug-in hybrid', 'km') as car_c \gset
select tests.new_vehicle(:'tenant', 'D: cluster replaced', 'km') as car_d \gset

select tests.become(:'owner', :'tenant');

-- A: first full (no figure), partial + full (600 km / 40 l), missed (no figure), full (500 km / 40 l)
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, is_full, missed_previous)
values
    (:'car_a', '2024-01-01', 1000, 40, 'l', true, false),
    (:'car_a', '2024-01-10', 1300, 10, 'l', false, false),
    (:'car_a', '2024-01-20', 1600, 30, 'l', true, false),
    (:'car_a', '2024-02-01', 2100, 25, 'l', true, true),
    (:'car_a', '2024-02-15', 2600, 40, 'l', true, false),
    (:'car_a', '2024-02-20', 2700, 5, 'l', false, false);

select results_eq(
    format($$select economy, note from api.fuel_economy_intervals(%L, 'l_per_100km')$$, :'car_a'),
    $$values (null::numeric, 'first full fill-up: no previous full fill-up to measure from'),
             (6.67, null), (null, 'missed fill-up: the chain is broken'), (8.00, null)$$,
    'intervals: first has none, partial summed (40 l over 600 km), missed breaks the chain, trailing partial waits'
);
select results_eq(
    format($$select intervals, distance, volume, economy from api.fuel_economy(%L, 'l_per_100km')$$, :'car_a'),
    $$values (2, 1100.0, 80.000, 7.27)$$,
    'period average is total distance / total volume (80 l / 1100 km = 7.27), not the mean of 6.67 and 8.00'
);
select is(
    (select economy from api.fuel_economy(:'car_a', 'km_per_l')),
    13.75, 'km_per_l: 1100 km / 80 l'
);
select is(
    (select economy from api.fuel_economy(:'car_a', 'mpg_us')),
    32.34, 'mpg_us converted from km and litres'
);
select is(
    (select economy from api.fuel_economy(:'car_a', null)),
    7.27, 'a vehicle in km defaults to l_per_100km'
);
select results_eq(
    format($$select intervals, economy from api.fuel_economy(%L, 'l_per_100km', '2024-02-01', '2024-02-28')$$, :'car_a'),
    $$values (1, 8.00)$$,
    'the period selects intervals by their closing fill-up'
);

-- B: miles; gallons, then litres, then an odometer reading in km
insert into api.fuel_logs (vehicle_id, filled_on, odometer, odometer_unit, volume, volume_unit)
values
    (:'car_b', '2024-01-01', 10000, 'mi', 10, 'gal_us'),
    (:'car_b', '2024-01-15', 10300, 'mi', 10, 'gal_us'),
    (:'car_b', '2024-02-01', 10650, 'mi', 37.854, 'l'),
    (:'car_b', '2024-02-15', 17381, 'km', 5, 'gal_us');
select results_eq(
    format($$select economy from api.fuel_economy_intervals(%L) where economy is not null$$, :'car_b'),
    $$values (30.00), (35.00), (30.01)$$,
    'mixed units: 300 mi / 10 gal, 350 mi / 37.854 l, (17381 km - 10650 mi) / 5 gal, in mpg_us (the default for a vehicle in miles)'
);
select is(
    (select economy from api.fuel_economy(:'car_b')),
    32.00, 'average over mixed units: 800.05 mi / 25.0 gal'
);
select is(
    (select economy from api.fuel_economy(:'car_b', 'mpg_imp')),
    38.43, 'mpg_imp'
);

-- C: plug-in hybrid, gasoline and electricity interleaved: one chain per energy kind
insert into api.fuel_logs (vehicle_id, filled_on, odometer, fuel_type, volume)
values
    (:'car_c', '2024-03-01', 5000, 'gasoline', 30),
    (:'car_c', '2024-03-02', 5050, 'electric', 10),
    (:'car_c', '2024-03-05', 5200, 'electric', 20),
    (:'car_c', '2024-03-10', 5600, 'gasoline', 24);
select is(
    (select economy from api.fuel_economy(:'car_c', 'l_per_100km')),
    4.00, 'gasoline chain skips the charges: 24 l over 600 km'
);
select is(
    (select economy from api.fuel_economy(:'car_c', 'kwh_per_100km')),
    13.33, 'electric chain: 20 kWh over 150 km'
);
select is(
    (select economy from api.fuel_economy(:'car_c', 'mi_per_kwh')),
    4.66, 'mi_per_kwh'
);
select is(
    (select volume_unit from api.fuel_logs where vehicle_id = :'car_c' and fuel_type = 'electric' limit 1),
    'kwh', 'an electric charge defaults to kWh'
);

-- D: a reset between two full fill-ups breaks the chain
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values (:'car_d', '2024-01-01', 90000, 40);
insert into api.odometer_entries (vehicle_id, kind, read_on, odometer)
values (:'car_d', 'reset', '2024-02-01', 0);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values (:'car_d', '2024-02-10', 500, 30);
select results_eq(
    format($$select economy, note from api.fuel_economy_intervals(%L) order by filled_on desc limit 1$$, :'car_d'),
    $$values (null::numeric, 'odometer reset inside the interval')$$,
    'an odometer reset inside an interval leaves it without a figure'
);

select throws_like(
    format($$select * from api.fuel_economy(%L, 'furlongs')$$, :'car_a'),
    'unit: furlongs is not an economy unit',
    'an unknown unit is refused, naming unit'
);
select throws_ok(
    $$select * from api.fuel_economy(gen_random_uuid())$$,
    'PT404', null,
    'an unknown vehicle is 404'
);

select * from finish();
