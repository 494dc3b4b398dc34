-- Analytics over fuel logs, maintenance and reminders: figures for every tenant, right numbers.
select plan(9);

insert into app.tenants (id, name, kind) values
    ('e4000000-0000-4000-8000-000000000001', 'Costs A', 'household'),
    ('e4000000-0000-4000-8000-000000000002', 'Costs B', 'fleet');
insert into app.vehicles (tenant_id, id, display_name, odometer_unit, odometer_reading) values
    ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', 'km car', 'km', 0),
    ('e4000000-0000-4000-8000-000000000002', 'e4000000-0000-4000-8000-0000000000c2', 'mi van', 'mi', 0);
-- A: full 1000 km, partial 20 l at 1300, full 30 l at 1600 (600 km, 50 l: 8.33 l/100 km); missed then full
insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, odometer_unit, volume, volume_unit, total_cost, currency, is_full, missed_previous)
values
    ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', '2026-03-01', 1000, 'km', 40, 'l', 70, 'EUR', true, false),
    ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', '2026-03-10', 1300, 'km', 20, 'l', 35, 'EUR', false, false),
    ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', '2026-03-20', 1600, 'km', 30, 'l', 52, 'EUR', true, false),
    ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', '2026-04-05', 2200, 'km', 35, 'l', 60, 'EUR', true, true);
-- B (miles, US gallons): 300 mi on 10 gal = 482.8 km on 37.85 l
insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, odometer_unit, volume, volume_unit, total_cost, currency, is_full)
values
    ('e4000000-0000-4000-8000-000000000002', 'e4000000-0000-4000-8000-0000000000c2', '2026-03-01', 10000, 'mi', 12, 'gal_us', 40, 'USD', true),
    ('e4000000-0000-4000-8000-000000000002', 'e4000000-0000-4000-8000-0000000000c2', '2026-03-15', 10300, 'mi', 10, 'gal_us', 35, 'USD', true);
insert into app.maintenance (tenant_id, vehicle_id, status, type, completed_on, odometer, cost, currency)
values ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', 'completed', 'oil_change', '2026-03-25', 1650, 120, 'EUR');
insert into app.maintenance (tenant_id, vehicle_id, status, type, due_on)
values ('e4000000-0000-4000-8000-000000000002', 'e4000000-0000-4000-8000-0000000000c2', 'scheduled', 'inspection', current_date - 3);
insert into app.reminders (tenant_id, vehicle_id, title, category, due_on)
values ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000c1', 'Call Anna about the insurance', 'insurance', current_date + 5);

set role analyst;
select is(
    array(select per_100km from analytics.fuel_economy_intervals
          where vehicle_id = 'e4000000-0000-4000-8000-0000000000c1' and has_figure order by closed_on),
    array[8.33], 'full-to-full interval with a partial summed in: 50 l over 600 km');
select is(
    array(select no_figure_reason from analytics.fuel_economy_intervals
          where vehicle_id = 'e4000000-0000-4000-8000-0000000000c1' and not has_figure order by closed_on),
    array['first full fill-up', 'missed fill-up'], 'the first full fill-up and one after a missed fill-up have no figure');
select is(
    (select per_100km from analytics.fuel_economy_intervals where vehicle_id = 'e4000000-0000-4000-8000-0000000000c2' and has_figure),
    7.84, 'miles and US gallons are converted: 37.85 l over 482.8 km');
select is(
    (select per_100km from analytics.fuel_economy_months
     where vehicle_id = 'e4000000-0000-4000-8000-0000000000c1' and month = '2026-03-01'),
    8.33, 'economy per vehicle-month');
select is(
    (select (fuel_cost, maintenance_cost, total_cost)::text from analytics.cost_months
     where vehicle_id = 'e4000000-0000-4000-8000-0000000000c1' and month = '2026-03-01'),
    '(157.00,120.00,277.00)', 'cost per vehicle-month: fuel, maintenance, total');
select is(
    (select cost_per_100km from analytics.cost_months
     where vehicle_id = 'e4000000-0000-4000-8000-0000000000c1' and month = '2026-03-01'),
    round(100 * 277.00 / 650, 2), 'cost per 100 km over the month''s distance (1000 -> 1650 km from the events)');
select is(
    (select array_agg(urgency || ':' || category order by urgency) from analytics.maintenance_due
     where tenant_id::text like 'e4000000%'),
    array['past_due:inspection', 'very_urgent:insurance'], 'maintenance due across tenants, with urgency');
select is(
    (select count(distinct tenant_id)::int from analytics.cost_months where tenant_id::text like 'e4000000%'), 2,
    'analyst sees the costs of both tenants');
reset role;

-- the tenant's own costs through the API
insert into app.users (id) values ('e4000000-0000-4000-8000-0000000000a1');
insert into app.memberships (tenant_id, user_id, role)
values ('e4000000-0000-4000-8000-000000000001', 'e4000000-0000-4000-8000-0000000000a1', 'viewer');
set role app_user;
select set_config('request.jwt.claims',
    '{"sub":"e4000000-0000-4000-8000-0000000000a1","tenant_id":"e4000000-0000-4000-8000-000000000001"}', false);
select is(
    (select array_agg(distinct tenant_id) from api.vehicle_cost_months),
    array['e4000000-0000-4000-8000-000000000001'::uuid], 'api.vehicle_cost_months shows the active tenant only');
reset role;

select * from finish();
