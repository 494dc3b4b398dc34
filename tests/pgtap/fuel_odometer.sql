-- Odometer consistency across sources, back-dated entries, resets; vehicles.odometer_reading is the latest reading;
-- the cost rule of fuel logs.
select plan(24);

select tests.new_tenant('Odometer test') as tenant \gset
select tests.new_member(:'tenant', 'member') as member \gset
select tests.new_vehicle(:'tenant', 'km car', 'km') as km_car \gset
select tests.new_vehicle(:'tenant', 'reset car', 'km') as reset_car \gset

select tests.become(:'member', :'tenant');

insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values
    (:'km_car', '2024-01-10', 1300, 10),
    (:'km_car', '2024-01-20', 1600, 30);
insert into api.odometer_entries (vehicle_id, read_on, odometer)
values (:'km_car', '2024-01-15', 1450);

select is(
    (select odometer_reading from api.vehicles where id = :'km_car'),
    1600, 'vehicles.odometer_reading is the latest reading'
);
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (%L, '2024-01-18', 1400, 10)$$, :'km_car'),
    '23514',
    'odometer: 1400 km on 2024-01-18 00:00:00 is lower than 1450 km recorded earlier on 2024-01-15 00:00:00 (odometer_entries)',
    'a reading lower than an earlier-dated one (from another table) is refused, naming both'
);
select throws_ok(
    format($$insert into api.odometer_entries (vehicle_id, read_on, odometer) values (%L, '2024-01-05', 1350)$$, :'km_car'),
    '23514',
    'odometer: 1350 km on 2024-01-05 00:00:00 is higher than 1300 km recorded later on 2024-01-10 00:00:00 (fuel_logs)',
    'a back-dated reading higher than a later-dated one is refused, naming both'
);
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (%L, '2024-01-05', 1100, 20)$$, :'km_car'),
    'a consistent back-dated fill-up is accepted'
);
select is(
    (select odometer_reading from api.vehicles where id = :'km_car'),
    1600, 'a back-dated reading does not change the latest reading'
);
select throws_ok(
    format($$update api.fuel_logs set odometer = 1700 where vehicle_id = %L and filled_on = '2024-01-10'$$, :'km_car'),
    '23514', null,
    'an update that makes a reading inconsistent is refused'
);
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, filled_time, odometer, odometer_unit, volume)
      values (%L, '2024-02-01', '08:30', 1000, 'mi', 20)$$, :'km_car'),
    'a reading in miles is compared after conversion (1000 mi = 1609 km > 1600 km)'
);
select is(
    (select odometer_reading from api.vehicles where id = :'km_car'),
    1609, 'the latest reading is converted to the vehicle''s unit'
);
select throws_ok(
    format($$update api.vehicles set odometer_reading = 5 where id = %L$$, :'km_car'),
    '23514', null,
    'odometer_reading cannot be set by hand once the vehicle has readings'
);
update api.vehicles set odometer_unit = 'mi' where id = :'km_car';
select is(
    (select odometer_reading from api.vehicles where id = :'km_car'),
    1000, 'changing the vehicle''s unit converts odometer_reading from the latest reading (1000 mi)'
);
update api.vehicles set odometer_unit = 'km' where id = :'km_car';
delete from api.fuel_logs where vehicle_id = :'km_car' and filled_on = '2024-02-01';
select is(
    (select odometer_reading from api.vehicles where id = :'km_car'),
    1600, 'deleting the latest reading falls back to the one before'
);

-- resets
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values (:'reset_car', '2024-01-01', 90000, 40);
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (%L, '2024-02-10', 500, 30)$$, :'reset_car'),
    '23514', null,
    'without a reset, a much lower reading is refused'
);
insert into api.odometer_entries (vehicle_id, kind, read_on, odometer, notes)
values (:'reset_car', 'reset', '2024-02-01', 0, 'cluster replaced');
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (%L, '2024-02-10', 500, 30)$$, :'reset_car'),
    'with a reset between them, the lower reading is accepted'
);
select is(
    (select odometer_reading from api.vehicles where id = :'reset_car'),
    500, 'after a reset the latest reading is the new cluster''s'
);
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (%L, '2024-01-20', 95000, 30)$$, :'reset_car'),
    'a reading before the reset is not compared with the (lower) readings after it'
);
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (%L, '2024-01-25', 80000, 30)$$, :'reset_car'),
    '23514', null,
    'before the reset, readings still only go up'
);
select throws_ok(
    format($$delete from api.odometer_entries where vehicle_id = %L and kind = 'reset'$$, :'reset_car'),
    '23514', null,
    'removing the reset that explains a drop is refused'
);
select is(
    (select count(*)::int from api.odometer_entries where vehicle_id = :'reset_car' and kind = 'reset'),
    1, 'the reset is still there'
);
select is(app.odometer_problem(:'tenant', :'reset_car'), null,
    'the whole-vehicle check finds nothing wrong');

-- the cost rule
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, currency)
values (:'reset_car', '2024-03-01', 900, 40.5, 1.799, 'eur');
select results_eq(
    format($$select total_cost, currency from api.fuel_logs where vehicle_id = %L and filled_on = '2024-03-01'$$, :'reset_car'),
    $$values (72.86::numeric, 'EUR')$$,
    'volume and price give the total (40.5 x 1.799 = 72.86), currency upper-cased'
);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, total_cost, price_per_unit, currency)
values (:'reset_car', '2024-03-02', 950, 50.00, 2.00, 'EUR');
select is(
    (select volume from api.fuel_logs where vehicle_id = :'reset_car' and filled_on = '2024-03-02'),
    25.000, 'total and price give the volume'
);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, total_cost, currency)
values (:'reset_car', '2024-03-03', 1000, 30, 45.00, 'EUR');
select is(
    (select price_per_unit from api.fuel_logs where vehicle_id = :'reset_car' and filled_on = '2024-03-03'),
    1.5000, 'volume and total give the price'
);
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, total_cost, currency)
      values (%L, '2024-03-04', 1010, 10, 1.50, 15.02, 'EUR')$$, :'reset_car'),
    '23514',
    'total_cost: 15.02 does not match volume x price_per_unit = 10.000 x 1.5000 = 15.00',
    'three values that disagree by more than a cent are refused, saying which'
);
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, total_cost, currency)
      values (%L, '2024-03-04', 1010, 10, 1.50, 15.01, 'EUR')$$, :'reset_car'),
    'within a cent of rounding is accepted'
);

select * from finish();
