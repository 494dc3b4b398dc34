-- The mileage log: trips checked once per statement against each other and the vehicle's odometer
-- (a bad row in a batch writes nothing and is named), rates and totals, isolation; closing a log
-- (gap-free), closed entries never change, a visible counter-entry and a correction instead, and
-- the audit trail that proves it.
select plan(26);

select tests.new_tenant('Company') as company \gset
select tests.new_member(:'company', 'member') as driver \gset
select tests.new_member(:'company', 'viewer') as viewer \gset
select tests.new_vehicle(:'company', 'Pool car', 'km') as car \gset
select tests.new_tenant('Neighbours') as other \gset
select tests.new_member(:'other', 'owner') as neighbour \gset

select tests.become(:'driver', :'company');
insert into api.odometer_entries (vehicle_id, read_on, odometer) values (:'car', current_date - 40, 10000);

-- a batch of trips, one bad row in the middle: nothing is written, the bad row is named
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%1$L, current_date - 30 + time '08:00', current_date - 30 + time '09:00', 10000, 10050, 'business', 'Ann'),
                    (%1$L, current_date - 30 + time '08:30', current_date - 30 + time '10:00', 10050, 10080, 'personal', 'Ann'),
                    (%1$L, current_date - 28 + time '08:00', current_date - 28 + time '09:00', 10080, 10120, 'commute', 'Bob')$$, :'car'),
    'started_at: trip % (% 08:00:00 - % 09:00:00, 10000 - 10050 km) overlaps trip % (% 08:30:00 - % 10:00:00, 10050 - 10080 km)',
    'a batch with an overlapping trip in the middle is refused, naming it'
);
select is((select count(*)::int from api.trips), 0, 'and writes nothing');
insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver, route_note)
values (:'car', current_date - 30 + time '08:00', current_date - 30 + time '09:00', 10000, 10050, 'business', 'Ann', 'Office - client A'),
       (:'car', current_date - 29 + time '18:00', current_date - 29 + time '19:00', 10050, 10080, 'personal', 'Ann', null),
       (:'car', current_date - 28 + time '08:00', current_date - 28 + time '09:00', 10080, 10120, 'commute', 'Bob', 'Home - office');
select is((select count(*)::int from api.trips), 3, 'the batch without it is accepted');

-- consistent with the vehicle's readings
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%L, current_date - 20, current_date - 20 + time '01:00', 9000, 9010, 'business', 'Ann')$$, :'car'),
    'start_odometer: 9000 km at % is lower than 10000 km read on % (odometer_entries)',
    'a trip starting below an earlier odometer reading is refused'
);
insert into api.odometer_entries (vehicle_id, read_on, odometer) values (:'car', current_date - 15, 10300);
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%L, current_date - 20, current_date - 20 + time '01:00', 10200, 10400, 'business', 'Ann')$$, :'car'),
    'end_odometer: 10400 km at % is higher than 10300 km read on % (odometer_entries)',
    'a trip ending above a later odometer reading is refused'
);
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%L, current_date - 20, current_date - 20, 10200, 10210, 'holiday', 'Ann')$$, :'car'),
    '%trips_purpose_known%',
    'purpose is business, personal or commute'
);
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%L, current_date - 20, current_date - 21, 10200, 10210, 'business', 'Ann')$$, :'car'),
    '%trips_ended_at_after_start%',
    'a trip ends after it starts'
);

-- rates and totals
insert into api.trip_rates (purpose, valid_from, rate, distance_unit, currency)
values ('business', current_date - 365, 0.30, 'km', 'EUR');
select results_eq(
    $$select purpose, trips::int, distance::int, reimbursement from api.trip_totals where purpose = 'business'$$,
    $$values ('business'::text, 1, 50, 15.00::numeric)$$,
    'totals: 50 business km at 0.30 EUR/km'
);
select results_eq(
    $$select driver, sum(distance)::int from api.trip_totals group by driver order by driver$$,
    $$values ('Ann'::text, 80), ('Bob', 40)$$,
    'totals per driver'
);

-- closing: refused while the log has a gap, then closed
insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
values (:'car', current_date - 20, current_date - 20 + time '01:00', 10200, 10250, 'business', 'Ann')
returning id as after_gap \gset
select throws_like(
    format($$select * from api.close_trip_log(%L, current_date - 10)$$, :'car'),
    'start_odometer: trip of % starts at 10200 km, the one before (%) ended at 10120 km%',
    'a log with a gap cannot be closed'
);
select results_eq(
    format($$select closed_through, trips from api.close_trip_log(%L, current_date - 25)$$, :'car'),
    $$values (current_date - 25, 3)$$,
    'the gap-free part is closed'
);
select throws_ok(
    format($$select * from api.close_trip_log(%L, current_date - 26)$$, :'car'),
    'PT409', null,
    'closing an earlier date again is refused'
);
select throws_ok(
    format($$select * from api.close_trip_log(%L, current_date)$$, :'car'),
    '23514', null,
    'a log is closed through a past date only'
);

-- a closed entry never changes; a new trip cannot go into the closed log
select id as closed_trip from api.trips where purpose = 'business' and start_odometer = 10000 \gset
select throws_ok(
    format($$update api.trips set driver = 'Eve' where id = %L$$, :'closed_trip'),
    'PT409', null,
    'a closed trip cannot be changed'
);
select throws_ok(
    format($$delete from api.trips where id = %L$$, :'closed_trip'),
    'PT409', null,
    'nor deleted'
);
select throws_like(
    format($$insert into api.trips (vehicle_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver)
             values (%L, current_date - 27, current_date - 27 + time '01:00', 10120, 10121, 'business', 'Ann')$$, :'car'),
    'started_at: trip % lies in the closed log%',
    'nor can a new trip be dated in it'
);
select lives_ok(
    format($$update api.trips set driver = 'Eve' where id = %L$$, :'after_gap'),
    'an open trip can still be changed'
);

-- the counter-entry and the correction
select is(
    (select kind || ' ' || distance from api.reverse_trip(:'closed_trip')),
    'reversal 50',
    'reverse_trip records the counter-entry of a closed trip'
);
select throws_ok(
    format($$select * from api.reverse_trip(%L)$$, :'closed_trip'),
    '23505', null,
    'a trip is reversed once'
);
insert into api.trips (vehicle_id, kind, corrects_id, started_at, ended_at, start_odometer, end_odometer, purpose, driver, route_note)
values (:'car', 'correction', :'closed_trip', current_date - 30 + time '08:00', current_date - 30 + time '09:00', 10000, 10050,
        'personal', 'Ann', 'was entered as business by mistake');
select results_eq(
    $$select line_no::int, kind, distance, purpose, closed from api.trip_log order by line_no$$,
    $$values (1, 'trip'::text, 50, 'business'::text, true), (2, 'trip', 30, 'personal', true), (3, 'trip', 40, 'commute', true),
             (4, 'trip', 50, 'business', false), (5, 'reversal', -50, 'business', false), (6, 'correction', 50, 'personal', false)$$,
    'the log keeps the closed entries as they were and shows the counter-entry and correction after them'
);
select results_eq(
    $$select purpose, sum(trips)::int, sum(distance)::int, sum(reimbursement) from api.trip_totals group by purpose order by purpose$$,
    $$values ('business'::text, 1, 50, 15.00::numeric), ('commute', 1, 40, null), ('personal', 2, 80, null)$$,
    'totals: the reversed business trip no longer counts, its correction counts as personal'
);

-- isolation and roles
select tests.become(:'viewer', :'company');
select throws_ok(
    format($$select * from api.close_trip_log(%L, current_date - 5)$$, :'car'),
    '42501', null,
    'viewers cannot close a log'
);
select tests.become(:'neighbour', :'other');
select is((select count(*)::int from api.trip_log), 0, 'another tenant sees no log');
select is((select count(*)::int from api.trip_totals), 0, 'nor totals');

-- the audit trail proves the closed entries never changed: one INSERT each, nothing else
select tests.unbecome();
select results_eq(
    format($$select a.operation, count(*)::int
             from audit.record_version as a
             join app.trips as t on t.tenant_id = a.tenant_id and t.id = a.row_id
             where a.tenant_id = %L and a.table_name = 'app.trips' and t.started_at < current_date - 25
             group by a.operation order by 1$$, :'company'),
    $$values ('INSERT'::text, 5)$$,
    'audit: the 3 closed trips, the reversal and the correction were inserted, never updated or deleted'
);
select results_eq(
    format($$select a.operation, count(*)::int from audit.record_version as a
             where a.tenant_id = %L and a.table_name = 'app.trips' and a.row_id = %L group by 1 order by 1$$,
           :'company', :'after_gap'),
    $$values ('INSERT'::text, 1), ('UPDATE', 1)$$,
    'while the open trip shows its change'
);

select * from finish();
