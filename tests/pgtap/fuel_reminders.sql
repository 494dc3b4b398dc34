-- Maintenance schedules and completion; reminders: recurrence, dedupe, urgency at each threshold,
-- projected due date, tenant thresholds, reminders_due.
select plan(33);

select tests.new_tenant('Reminder test') as tenant \gset
select tests.new_member(:'tenant', 'admin') as admin \gset
select tests.new_vehicle(:'tenant', 'Van', 'km') as van \gset
select tests.new_vehicle(:'tenant', 'Truck', 'mi') as truck \gset

-- urgency at each threshold (defaults 30 / 7 days, 1500 / 500 km)
select is(app.urgency(-1, null, 30, 7, 1500, 500), 'past_due', 'one day late: past_due');
select is(app.urgency(0, null, 30, 7, 1500, 500), 'very_urgent', 'due today: very_urgent');
select is(app.urgency(7, null, 30, 7, 1500, 500), 'very_urgent', '7 days left: very_urgent');
select is(app.urgency(8, null, 30, 7, 1500, 500), 'urgent', '8 days left: urgent');
select is(app.urgency(30, null, 30, 7, 1500, 500), 'urgent', '30 days left: urgent');
select is(app.urgency(31, null, 30, 7, 1500, 500), 'not_urgent', '31 days left: not_urgent');
select is(app.urgency(null, -1, 30, 7, 1500, 500), 'past_due', 'due odometer passed: past_due');
select is(app.urgency(null, 500, 30, 7, 1500, 500), 'very_urgent', '500 km left: very_urgent');
select is(app.urgency(null, 501, 30, 7, 1500, 500), 'urgent', '501 km left: urgent');
select is(app.urgency(null, 1500, 30, 7, 1500, 500), 'urgent', '1500 km left: urgent');
select is(app.urgency(null, 1501, 30, 7, 1500, 500), 'not_urgent', '1501 km left: not_urgent');
select is(app.urgency(100, 400, 30, 7, 1500, 500), 'very_urgent', 'date far, distance near: the nearer decides');

select tests.become(:'admin', :'tenant');

-- readings: 1000 km in 50 days = 20 km/day
insert into api.odometer_entries (vehicle_id, read_on, odometer)
values (:'van', current_date - 60, 10000),
       (:'van', current_date - 10, 11000);

insert into api.reminders (vehicle_id, title, category, due_odometer)
values (:'van', 'Tyres', 'tires', 12000);
select results_eq(
    $$select distance_left, projected_due_on, urgency from api.reminders_due where title = 'Tyres'$$,
    $$values (1000, current_date + 50, 'urgent')$$,
    '1000 km left at 20 km/day: urgent, projected 50 days out'
);
select results_eq(
    $$select api.urgency(r), api.projected_due_on(r) from api.reminders as r where r.title = 'Tyres'$$,
    $$values ('urgent', current_date + 50)$$,
    'urgency and projected_due_on are computed fields of reminders'
);

insert into api.reminders (vehicle_id, title, category, due_on)
values (:'van', 'Insurance renewal', 'insurance', current_date + 45);
select is((select count(*)::int from api.reminders_due where title = 'Insurance renewal'), 0,
    '45 days left is not due with the default thresholds');
insert into api.tenant_settings (reminder_urgent_days, reminder_very_urgent_days) values (60, 14);
select results_eq(
    $$select urgency, days_left from api.reminders_due where title = 'Insurance renewal'$$,
    $$values ('urgent', 45)$$,
    'with the tenant''s threshold at 60 days it is urgent'
);
select throws_ok(
    $$insert into api.tenant_settings (reminder_urgent_days) values (10)$$,
    '23505', null,
    'one settings row per tenant'
);
select throws_ok(
    $$update api.tenant_settings set reminder_very_urgent_days = 90$$,
    '23514', null,
    'very urgent days cannot exceed urgent days'
);

-- recurrence and dedupe
insert into api.reminders (vehicle_id, title, category, due_on, recur_months)
values (:'van', 'Registration', 'registration', current_date - 2, 12);
select results_eq(
    $$select urgency, days_left from api.reminders_due where title = 'Registration'$$,
    $$values ('past_due', -2)$$,
    'two days late: past_due'
);
select throws_ok(
    format($$insert into api.reminders (vehicle_id, title, category, due_on) values (%L, ' registration ', 'registration', current_date)$$, :'van'),
    '23505', 'duplicate key value violates unique constraint "reminders_one_open_per_dedupe_key"',
    'a second open reminder with the same dedupe key is refused'
);
update api.reminders set status = 'done' where title = 'Registration' and status = 'open';
select results_eq(
    $$select status, due_on from api.reminders where title = 'Registration' order by due_on$$,
    $$values ('done', current_date - 2), ('open', (current_date - 2 + interval '12 months')::date)$$,
    'marking a recurring reminder done opens the next one 12 months after its due date'
);
select is(
    (select count(distinct dedupe_key)::int from api.reminders where title = 'Registration'),
    1, 'the next occurrence keeps the dedupe key'
);
update api.reminders set status = 'snoozed', snoozed_until = current_date + 3 where title = 'Tyres';
select is((select count(*)::int from api.reminders_due where title = 'Tyres'), 0, 'a snoozed reminder is not due until its snooze ends');
select throws_ok(
    $$update api.reminders set status = 'snoozed' where title = 'Insurance renewal'$$,
    '23514', null,
    'snoozing needs snoozed_until'
);

-- maintenance schedules
insert into api.maintenance (vehicle_id, status, type, due_on, due_odometer, recur_months, recur_distance)
values (:'van', 'scheduled', 'oil_change', current_date + 20, 12000, 6, 5000)
returning id as oil_change \gset
select results_eq(
    format($$select source, urgency from api.reminders_due where id = %L$$, :'oil_change'),
    $$values ('maintenance', 'urgent')$$,
    'scheduled maintenance is listed by reminders_due'
);
select results_eq(
    format($$select status, odometer, due_on, due_odometer from api.complete_maintenance(%L, current_date, 11500, 59.90, 'usd')$$, :'oil_change'),
    $$values ('completed', 11500, current_date + 20, 12000), ('scheduled', null, (current_date + interval '6 months')::date, 16500)$$,
    'completing records the service and creates the next occurrence (6 months / 5000 km later)'
);
select is(
    (select odometer_reading from api.vehicles where id = :'van'),
    11500, 'the completion odometer is a reading: the vehicle''s odometer follows'
);
select throws_ok(
    format($$select * from api.complete_maintenance(%L)$$, :'oil_change'),
    'PT409', null,
    'completing twice is 409'
);
select throws_ok(
    format($$insert into api.maintenance (vehicle_id, type, completed_on, odometer) values (%L, 'repair', current_date, 9000)$$, :'van'),
    '23514', null,
    'a maintenance record with an inconsistent odometer is refused'
);
select throws_ok(
    format($$insert into api.maintenance (vehicle_id, type, completed_on) values (%L, 'polishing', current_date)$$, :'van'),
    '23514', 'new row for relation "maintenance" violates check constraint "maintenance_type_known"',
    'the maintenance type comes from the checked list'
);
select throws_ok(
    format($$insert into api.maintenance (vehicle_id, status, type) values (%L, 'scheduled', 'inspection')$$, :'van'),
    '23514', null,
    'a schedule needs a due date or odometer'
);
insert into api.maintenance (vehicle_id, status, type, description, due_on)
values (:'van', 'scheduled', 'inspection', 'Annual inspection', current_date - 3);
select results_eq(
    $$select source, title, urgency from api.reminders_due limit 1$$,
    $$values ('maintenance', 'Annual inspection', 'past_due')$$,
    'reminders_due lists the most urgent first'
);
select lives_ok(
    $$update api.maintenance set status = 'completed', completed_on = current_date where description = 'Annual inspection'$$,
    'a schedule without recurrence can be completed by PATCH'
);

select * from finish();
