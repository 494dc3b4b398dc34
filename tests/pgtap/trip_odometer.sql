-- Trips and the odometer agree both ways: a reading (fill-up, odometer entry, service) that
-- contradicts a logged trip next to it is refused (above the start of a later trip, below the end
-- of an earlier one, outside a trip it falls in), once per statement; a trip with a reading taken
-- during it outside its range is refused; a reset entry separates them, and removing one re-checks.
select plan(15);

select tests.new_tenant('Company') as company \gset
select tests.new_member(:'company', 'member') as driver \gset
select tests.new_vehicle(:'company', 'Pool car', 'km') as car \gset
select tests.new_vehicle(:'company', 'Van', 'km') as van \gset

select tests.become(:'driver', :'company');
insert into api.odometer_entries (vehicle_id, read_on, odometer) values (:'car', current_date - 40, 10000);
insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
values (:'car', current_date - 30 + time '08:00', current_date - 30 + time '09:00', 10000, 10050, 'business', 'Ann'),
       (:'car', current_date - 28 + time '08:00', current_date - 28 + time '10:00', 10080, 10120, 'commute', 'Bob'),
       (:'car', current_date - 20 + time '23:00', current_date - 19 + time '01:00', 10200, 10260, 'business', 'Ann');

-- readings against the trips
select throws_like(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
             values (%1$L, current_date - 35, 10000, 40, 'EUR'),
                    (%1$L, current_date - 29, 10045, 40, 'EUR'),
                    (%1$L, current_date - 27, 10130, 40, 'EUR')$$, :'car'),
    'odometer: 10045 km on % (fuel_logs) is lower than the end of trip % (10050 km at % 09:00:00)',
    'a fill-up below the end of the trip before it is refused, in a batch, naming it'
);
select is((select count(*)::int from api.fuel_logs), 0, 'and the batch writes nothing');
-- a batch over a vehicle without trips and one with them (the readings of the first are not read)
select throws_like(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
             values (%1$L, current_date - 35, 500, 40, 'EUR'),
                    (%2$L, current_date - 29, 10045, 40, 'EUR'),
                    (%1$L, current_date - 27, 900, 40, 'EUR')$$, :'van', :'car'),
    'odometer: 10045 km on % (fuel_logs) is lower than the end of trip % (10050 km at % 09:00:00)',
    'a batch over a vehicle without trips and one with them: the bad row in the middle is refused, named'
);
select is((select count(*)::int from api.fuel_logs), 0, 'and nothing of that batch is written');
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
             values (%1$L, current_date - 35, 500, 40, 'EUR'), (%1$L, current_date - 27, 900, 40, 'EUR')$$, :'van'),
    'a batch of a vehicle without trips goes in'
);
select throws_like(
    format($$insert into api.odometer_entries (vehicle_id, read_on, odometer) values (%L, current_date - 31, 10020)$$, :'car'),
    'odometer: 10020 km on % (odometer_entries) is higher than the start of trip % (10000 km at % 08:00:00)',
    'an entry above the start of the next trip is refused'
);
select throws_like(
    format($$insert into api.odometer_entries (vehicle_id, read_on, odometer) values (%L, current_date - 19, 10300)$$, :'car'),
    'odometer: 10300 km on % (odometer_entries) lies outside trip % (10200 - 10260 km, % 23:00:00 - % 01:00:00)',
    'an entry taken during a trip outside its range is refused'
);
select lives_ok(
    format($$insert into api.odometer_entries (vehicle_id, read_on, odometer) values (%L, current_date - 19, 10230)$$, :'car'),
    'one within the range is accepted'
);
select throws_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, odometer)
             values (%L, 'completed', 'oil_change', current_date - 29, 10090)$$, :'car'),
    '23514', null,
    'a service between two trips above the start of the next is refused'
);
select lives_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, odometer)
             values (%L, 'completed', 'oil_change', current_date - 29, 10060)$$, :'car'),
    'one between the end of one and the start of the next is accepted'
);
select throws_ok(
    $$update api.maintenance set odometer = 10030$$,
    '23514', null,
    'an update that moves it below the end of the trip before is refused'
);

-- a trip against readings taken during it
insert into api.odometer_entries (vehicle_id, read_on, odometer) values (:'car', current_date - 10, 10500);
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%L, current_date - 11 + time '23:00', current_date - 10 + time '01:00', 10400, 10450, 'business', 'Ann')$$, :'car'),
    'end_odometer: 10450 km at % 01:00:00 (trip %) is lower than 10500 km read on % 00:00:00 during the trip (odometer_entries)',
    'a trip whose end is below a reading taken during it is refused'
);

-- a reset entry separates readings and trips; removing it checks the trips again
insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
values (:'car', current_date - 9 + time '08:00', current_date - 9 + time '09:00', 10500, 10600, 'business', 'Ann');
insert into api.odometer_entries (vehicle_id, kind, read_on, odometer)
values (:'car', 'reset', current_date - 8, 10550) returning id as reset \gset
select lives_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency) values (%L, current_date - 7, 10560, 40, 'EUR')$$, :'car'),
    'after a reset a reading below the end of the earlier trip is fine'
);
select throws_like(
    format($$delete from api.odometer_entries where id = %L$$, :'reset'),
    'odometer: without this reset entry a trip no longer fits the readings: end_odometer: 10600 km at % is higher than 10560 km read on % (fuel_logs)',
    'deleting the reset is refused: the trip would end above the fill-up after it'
);

-- a reversed trip carries no reading
insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
values (:'car', current_date - 6 + time '08:00', current_date - 6 + time '09:00', 10560, 10700, 'business', 'Ann')
returning id as wrong \gset
select api.reverse_trip(:'wrong');
select lives_ok(
    format($$insert into api.odometer_entries (vehicle_id, read_on, odometer) values (%L, current_date - 5, 10620)$$, :'car'),
    'a reading below the end of a reversed trip is accepted'
);

select tests.unbecome();
select * from finish();
