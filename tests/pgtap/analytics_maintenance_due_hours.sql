-- analytics.maintenance_due by hours: hours left, the meter's hours per day, the date it reaches
-- due_hours at that trend and the urgency of that date, as the analyst reads them; still no titles.
select plan(3);

select tests.new_tenant('Farm') as farm \gset
select tests.new_member(:'farm', 'member') as farmer \gset
select tests.new_vehicle(:'farm', 'Tractor', 'km') as tractor \gset

select tests.become(:'farmer', :'farm');
-- 100 h in 50 days: 2 h/day, 1100 h now
insert into api.hour_readings (vehicle_id, read_at, hours)
values (:'tractor', current_date - 60, 1000), (:'tractor', current_date - 10, 1100);
insert into api.maintenance (vehicle_id, status, type, due_hours, description)
values (:'tractor', 'scheduled', 'oil_change', 1130, 'Private note: oil at the Smiths');
insert into api.reminders (vehicle_id, title, category, due_hours)
values (:'tractor', 'Grease', 'maintenance', 1500),
       (:'tractor', 'Hydraulics', 'inspection', 1090);
insert into api.reminders (vehicle_id, title, category, due_on)
values (:'tractor', 'Insurance', 'insurance', current_date + 5);

select tests.become_analyst();
select results_eq(
    $$select source, category, urgency, due_hours, hours_left, hours_per_day, projected_due_on
      from analytics.maintenance_due order by category, source$$,
    $$values ('reminder'::text, 'inspection'::text, 'past_due'::text, 1090.0::numeric, -10.0::numeric, 2.00::numeric, current_date),
             ('reminder', 'insurance', 'very_urgent', null, null, null, null),
             ('reminder', 'maintenance', 'not_urgent', 1500.0, 400.0, 2.00, current_date + 200),
             ('maintenance', 'oil_change', 'urgent', 1130.0, 30.0, 2.00, current_date + 15)$$,
    'hours left, hours per day, projected date and urgency by hours (30 h at 2 h/day: 15 days, urgent)'
);
select is(
    (select hour_meter from analytics.maintenance_due where category = 'oil_change'), 'engine',
    'the hour meter is named'
);
select is(
    array(select column_name::text from information_schema.columns
          where table_schema = 'analytics' and table_name = 'maintenance_due' order by ordinal_position),
    array['tenant_id', 'vehicle_id', 'source', 'category', 'due_on', 'days_left', 'km_left', 'urgency',
          'hour_meter', 'due_hours', 'hours_left', 'hours_per_day', 'projected_due_on'],
    'no free text: no title, description or notes'
);

select tests.unbecome();
select * from finish();
