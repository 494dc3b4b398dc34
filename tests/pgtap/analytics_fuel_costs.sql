-- Analytics over fuel logs, maintenance and reminders: figures for every tenant, right numbers.
select plan(9);

select tests.new_tenant('Costs A', 'household') as tenant_a \gset
select tests.new_tenant('Costs B', 'fleet') as tenant_b \gset
select tests.new_vehicle(:'tenant_a', 'km car', 'km') as km_car \gset
select tests.new_vehicle(:'tenant_b', 'mi van', 'mi') as mi_van \gset
-- A (km, litres): full 1000 km, partial 20 l at 1300, full 30 l at 1600 (600 km, 50 l: 8.33 l/100 km); missed then full
select tests.new_fuel_log(:'km_car', '2026-03-01', 1000, 40, 'l', 70, 'EUR');
select tests.new_fuel_log(:'km_car', '2026-03-10', 1300, 20, 'l', 35, 'EUR', is_full => false);
select tests.new_fuel_log(:'km_car', '2026-03-20', 1600, 30, 'l', 52, 'EUR');
select tests.new_fuel_log(:'km_car', '2026-04-05', 2200, 35, 'l', 60, 'EUR', missed_previous => true);
-- B (miles, US gallons): 300 mi on 10 gal = 482.8 km on 37.85 l
select tests.new_fuel_log(:'mi_van', '2026-03-01', 10000, 12, 'gal_us', 40, 'USD');
select tests.new_fuel_log(:'mi_van', '2026-03-15', 10300, 10, 'gal_us', 35, 'USD');
insert into app.maintenance (tenant_id, vehicle_id, status, type, completed_on, odometer, cost, currency)
values (:'tenant_a', :'km_car', 'completed', 'oil_change', '2026-03-25', 1650, 120, 'EUR');
insert into app.maintenance (tenant_id, vehicle_id, status, type, due_on)
values (:'tenant_b', :'mi_van', 'scheduled', 'inspection', current_date - 3);
insert into app.reminders (tenant_id, vehicle_id, title, category, due_on)
values (:'tenant_a', :'km_car', 'Call Anna about the insurance', 'insurance', current_date + 5);

select tests.become_analyst();
select is(
    array(select per_100km from analytics.fuel_economy_intervals
          where vehicle_id = :'km_car' and has_figure order by closed_on),
    array[8.33], 'full-to-full interval with a partial summed in: 50 l over 600 km');
select is(
    array(select no_figure_reason from analytics.fuel_economy_intervals
          where vehicle_id = :'km_car' and not has_figure order by closed_on),
    array['first full fill-up', 'missed fill-up'], 'the first full fill-up and one after a missed fill-up have no figure');
select is(
    (select per_100km from analytics.fuel_economy_intervals where vehicle_id = :'mi_van' and has_figure),
    7.84, 'miles and US gallons are converted: 37.85 l over 482.8 km');
select is(
    (select per_100km from analytics.fuel_economy_months
     where vehicle_id = :'km_car' and month = '2026-03-01'),
    8.33, 'economy per vehicle-month');
select is(
    (select (fuel_cost, maintenance_cost, total_cost)::text from analytics.cost_months
     where vehicle_id = :'km_car' and month = '2026-03-01'),
    '(157.00,120.00,277.00)', 'cost per vehicle-month: fuel, maintenance, total');
select is(
    (select cost_per_100km from analytics.cost_months
     where vehicle_id = :'km_car' and month = '2026-03-01'),
    round(100 * 277.00 / 650, 2), 'cost per 100 km over the month''s distance (1000 -> 1650 km from the events)');
select is(
    (select array_agg(urgency || ':' || category order by urgency) from analytics.maintenance_due
     where tenant_id in (:'tenant_a', :'tenant_b')),
    array['past_due:inspection', 'very_urgent:insurance'], 'maintenance due across tenants, with urgency');
select is(
    (select count(distinct tenant_id)::int from analytics.cost_months where tenant_id in (:'tenant_a', :'tenant_b')), 2,
    'analyst sees the costs of both tenants');
select tests.unbecome();

-- the tenant's own costs through the API
select tests.new_member(:'tenant_a', 'viewer') as viewer \gset
select tests.become(:'viewer', :'tenant_a');
select is(
    (select array_agg(distinct tenant_id) from api.vehicle_cost_months),
    array[:'tenant_a'::uuid], 'api.vehicle_cost_months shows the active tenant only');
select tests.unbecome();

select * from finish();
