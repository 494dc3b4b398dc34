-- Hour meters: readings per vehicle and meter, monotonic per meter with resets, checked once per
-- statement (a bad row in a batch writes nothing and is named), isolation; maintenance and reminders
-- due and recurring by hours, with projected dates from the hours trend.
select plan(28);

select tests.new_tenant('Farm') as farm \gset
select tests.new_member(:'farm', 'member') as farmer \gset
select tests.new_member(:'farm', 'viewer') as viewer \gset
select tests.new_vehicle(:'farm', 'Tractor', 'km') as tractor \gset
select tests.new_tenant('Neighbours') as other \gset
select tests.new_member(:'other', 'owner') as neighbour \gset

select tests.become(:'farmer', :'farm');

-- 100 hours in 50 days = 2 h/day on the engine; a PTO meter of its own
insert into api.hour_readings (vehicle_id, read_at, hours)
values (:'tractor', current_date - 60, 1000),
       (:'tractor', current_date - 10, 1100);
insert into api.hour_readings (vehicle_id, meter, read_at, hours)
values (:'tractor', 'pto', current_date - 5, 10);
select results_eq(
    $$select meter, hours, hours_per_day from api.hour_meters order by meter$$,
    $$values ('engine'::text, 1100.0::numeric, 2.00::numeric), ('pto', 10.0, null)$$,
    'hour_meters: latest reading and hours per day per meter'
);

-- monotonic per meter
select throws_ok(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours) values (%L, localtimestamp, 1050)$$, :'tractor'),
    '23514', null,
    'a reading lower than an earlier one is refused'
);
select throws_ok(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours) values (%L, current_date - 30, 1200)$$, :'tractor'),
    '23514', null,
    'a back-dated reading higher than a later one is refused'
);
select lives_ok(
    format($$insert into api.hour_readings (vehicle_id, meter, read_at, hours) values (%L, 'pto', localtimestamp, 11)$$, :'tractor'),
    'meters are checked separately: the pto meter at 11 h is fine'
);

-- a batch with a bad row in the middle: nothing is written, the bad reading is named
select throws_like(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours)
             values (%1$L, current_date - 9, 1102),
                    (%1$L, current_date - 8, 1090),
                    (%1$L, current_date - 7, 1110)$$, :'tractor'),
    'hours: 1090.0 h on % is lower than 1102.0 h recorded earlier on %',
    'a batch with a lower reading in the middle is refused, naming it'
);
select is((select count(*)::int from api.hour_readings where meter = 'engine'), 2, 'and writes nothing');
select lives_ok(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours)
             values (%1$L, current_date - 9, 1102),
                    (%1$L, current_date - 8, 1104),
                    (%1$L, current_date - 7, 1110)$$, :'tractor'),
    'the same batch in order is accepted'
);
select throws_ok(
    $$update api.hour_readings set hours = 2000 where hours = 1102$$,
    '23514', null,
    'an update that breaks the order is refused'
);

-- resets: a replaced meter starts a new sequence; deleting the reset is then refused
insert into api.hour_readings (vehicle_id, kind, read_at, hours)
values (:'tractor', 'reset', current_date - 6, 0) returning id as reset \gset
select lives_ok(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours) values (%L, current_date - 5, 12)$$, :'tractor'),
    'after a reset a low reading is fine'
);
select throws_ok(
    format($$delete from api.hour_readings where id = %L$$, :'reset'),
    '23514', null,
    'deleting the reset between them is refused'
);

-- bad input names the rule
select throws_ok(
    format($$insert into api.hour_readings (vehicle_id, hours) values (%L, -1)$$, :'tractor'),
    '23514', 'new row for relation "hour_readings" violates check constraint "hour_readings_hours_range"',
    'negative hours: hour_readings_hours_range'
);
select throws_like(
    format($$insert into api.hour_readings (vehicle_id, meter, hours) values (%L, 'Engine 2', 5)$$, :'tractor'),
    '%hour_readings_meter_format%',
    'a meter name is lower case: hour_readings_meter_format'
);
select throws_like(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours) values (%L, localtimestamp + interval '3 days', 5000)$$, :'tractor'),
    '%hour_readings_read_at_range%',
    'a reading in the future: hour_readings_read_at_range'
);

-- roles and isolation
select tests.become(:'viewer', :'farm');
select throws_ok(
    format($$insert into api.hour_readings (vehicle_id, hours) values (%L, 5000)$$, :'tractor'),
    '42501', null,
    'viewers do not write readings'
);
select tests.become(:'neighbour', :'other');
select is((select count(*)::int from api.hour_readings), 0, 'another tenant sees no readings');
select is((select count(*)::int from api.hour_meters), 0, 'nor meters');
select throws_ok(
    format($$insert into api.hour_readings (vehicle_id, hours) values (%L, 1)$$, :'tractor'),
    '23503', null,
    'nor writes one for a vehicle of another tenant'
);

-- maintenance recurring by hours
select tests.become(:'farmer', :'farm');
insert into api.maintenance (vehicle_id, status, type, due_hours, recur_hours)
values (:'tractor', 'scheduled', 'oil_change', 250, 250) returning id as oil \gset
select is((select hour_meter from api.maintenance where id = :'oil'), 'engine', 'hour_meter defaults to engine');
update api.maintenance set status = 'completed', completed_on = current_date, hours = 30 where id = :'oil';
select results_eq(
    format($$select due_hours, recur_hours, hour_meter from api.maintenance where previous_id = %L$$, :'oil'),
    $$values (280.0::numeric, 250.0::numeric, 'engine'::text)$$,
    'completing it schedules the next one 250 h after the completion reading'
);
select throws_like(
    format($$insert into api.maintenance (vehicle_id, status, type) values (%L, 'scheduled', 'inspection')$$, :'tractor'),
    '%maintenance_scheduled_has_due%',
    'a schedule needs a due date, odometer or hours'
);

-- reminders by hours: hours left and a projected date from the trend
-- (engine since the reset: 0 h six days ago, 12 h five days ago: 12 h/day)
insert into api.reminders (vehicle_id, title, due_hours, recur_hours)
values (:'tractor', 'Grease the loader', 72, 50) returning id as grease \gset
select results_eq(
    format($$select api.hours_left(r), api.projected_due_on(r), api.urgency(r) from api.reminders as r where r.id = %L$$, :'grease'),
    $$values (60.0::numeric, current_date + 5, 'very_urgent'::text)$$,
    '60 h left at 12 h/day: due in 5 days, very urgent'
);
select results_eq(
    $$select title, hours_left, urgency from api.reminders_due where source = 'reminder'$$,
    $$values ('Grease the loader'::text, 60.0::numeric, 'very_urgent'::text)$$,
    'reminders_due lists it with its hours left'
);
select results_eq(
    $$select title, urgency from api.reminders_due where source = 'maintenance' and hour_meter = 'engine'$$,
    $$values ('oil change'::text, 'urgent'::text)$$,
    'and the scheduled oil change at 280 h (268 h left, 23 days at 12 h/day): urgent'
);
update api.reminders set status = 'done' where id = :'grease';
select results_eq(
    format($$select due_hours, status from api.reminders where previous_id = %L$$, :'grease'),
    $$values (122.0::numeric, 'open'::text)$$,
    'a recurring reminder done opens the next one recur_hours later'
);
select throws_like(
    format($$insert into api.reminders (vehicle_id, title, recur_hours) values (%L, 'x', 10)$$, :'tractor'),
    '%reminders_due_date_odometer_or_hours%',
    'a reminder needs a due date, odometer or hours'
);
select throws_like(
    format($$insert into api.reminders (vehicle_id, title, due_on, recur_hours) values (%L, 'y', current_date, 10)$$, :'tractor'),
    '%reminders_recur_hours_needs_due_hours%',
    'recur_hours needs due_hours'
);
insert into api.hour_readings (vehicle_id, read_at, hours) values (:'tractor', localtimestamp, 130);
select results_eq(
    format($$select api.hours_left(r), api.urgency(r) from api.reminders as r where r.previous_id = %L$$, :'grease'),
    $$values (-8.0::numeric, 'past_due'::text)$$,
    'past the due hours: past_due'
);

select tests.unbecome();
-- the last reset of a meter is one index probe (app.daily_hours at 1M rows: bench/meters_bench.py)
select has_index('app', 'hour_readings', 'hour_readings_reset_idx', array['tenant_id', 'vehicle_id', 'meter', 'read_at'],
                 'the last reset of a meter has its own partial index, led by tenant_id');
select * from finish();
