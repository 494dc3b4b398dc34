-- Demo data for `make up`: one household with an owner, a member and a viewer,
-- two garages and three vehicles. Run as the owner role; idempotent.
-- The fixed ids are repeated in src/motovault/demo.py (for `motovault token --demo`).

begin;

insert into app.tenants (id, name, kind)
values ('d0000000-0000-4000-8000-000000000001', 'Demo household', 'household')
on conflict do nothing;

insert into app.users (id, display_name, email)
values
    ('d0000000-0000-4000-8000-0000000000a1', 'Dana Owner', 'dana@example.com'),
    ('d0000000-0000-4000-8000-0000000000a2', 'Max Member', 'max@example.com'),
    ('d0000000-0000-4000-8000-0000000000a3', 'Vic Viewer', 'vic@example.com')
on conflict do nothing;

insert into app.memberships (tenant_id, user_id, role)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000a1', 'owner'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000a2', 'member'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000a3', 'viewer')
on conflict do nothing;

insert into app.garages (tenant_id, id, name, address, latitude, longitude, timezone, is_default)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000b1',
     'Home', '12 Elm Street, Springfield', 39.781721, -89.650148, 'America/Chicago', true),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000b2',
     'Cabin', 'Lake Road 4, Door County', 45.053810, -87.113510, 'America/Chicago', false)
on conflict do nothing;

insert into app.vehicles (tenant_id, id, garage_id, vin, make, model, year, color, license_plate, odometer_reading, odometer_unit)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000c1', 'd0000000-0000-4000-8000-0000000000b1',
     '1HGCM82633A004352', 'Honda', 'Accord', 2003, 'silver', 'DEMO-001', 152340, 'mi'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000c2', 'd0000000-0000-4000-8000-0000000000b1',
     '1FTMW1T88MFA00001', 'Ford', 'F-150', 2021, 'blue', 'DEMO-002', 28410, 'mi'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000c3', 'd0000000-0000-4000-8000-0000000000b2',
     'WVWZZZ1KZAW000001', 'Volkswagen', 'Golf', 2010, 'red', 'DEMO-003', 98200, 'km')
on conflict do nothing;

-- stations (shared), fill-ups, odometer entries, maintenance, reminders, settings -------------
-- Dates are relative to the day the demo is first loaded; fixed ids keep it idempotent.

insert into app.stations (id, name, brand, address, latitude, longitude, source)
values
    ('d0000000-0000-4000-8000-0000000000e1', 'Shell Springfield Downtown', 'Shell', '500 S 6th St, Springfield', 39.7990, -89.6440, 'manual'),
    ('d0000000-0000-4000-8000-0000000000e2', 'BP North Grand', 'BP', '1200 N Grand Ave E, Springfield', 39.8170, -89.6330, 'manual'),
    ('d0000000-0000-4000-8000-0000000000e3', 'Tesla Supercharger Springfield', 'Tesla', '3165 Wabash Ave, Springfield', 39.7700, -89.6920, 'manual'),
    ('d0000000-0000-4000-8000-0000000000e4', 'Kwik Trip Sturgeon Bay', 'Kwik Trip', '1412 Egg Harbor Rd, Sturgeon Bay', 44.8490, -87.3710, 'manual')
on conflict do nothing;

-- Accord (miles, US gallons): a fill-up every 14 days, ~340 mi apart; one partial, one missed
insert into app.fuel_logs (tenant_id, id, vehicle_id, filled_on, odometer, odometer_unit, fuel_type, grade,
                           volume, volume_unit, price_per_unit, currency, is_full, missed_previous, station_id)
select 'd0000000-0000-4000-8000-000000000001',
       ('d0000000-0000-4000-8000-0001000000' || lpad(n::text, 2, '0'))::uuid,
       'd0000000-0000-4000-8000-0000000000c1',
       current_date - (12 - n) * 14 - 2,
       152340 - (12 - n) * 340,
       'mi', 'gasoline', '87',
       case when n = 6 then 6.000 when n = 7 then 16.000 else 11.000 + (n % 4) * 0.350 end,
       'gal_us', 3.199 + (n % 3) * 0.100, 'USD',
       n <> 6, n = 9,
       case when n % 2 = 0 then 'd0000000-0000-4000-8000-0000000000e1'::uuid else 'd0000000-0000-4000-8000-0000000000e2'::uuid end
from generate_series(1, 12) as n
on conflict do nothing;

-- Golf (km, litres, EUR)
insert into app.fuel_logs (tenant_id, id, vehicle_id, filled_on, odometer, odometer_unit, fuel_type,
                           volume, volume_unit, total_cost, currency, is_full, station_name)
select 'd0000000-0000-4000-8000-000000000001',
       ('d0000000-0000-4000-8000-0003000000' || lpad(n::text, 2, '0'))::uuid,
       'd0000000-0000-4000-8000-0000000000c3',
       current_date - (8 - n) * 21 - 1,
       98200 - (8 - n) * 620,
       'km', 'diesel',
       36.500 + (n % 3) * 1.200, 'l', round((36.500 + (n % 3) * 1.200) * 1.689, 2), 'EUR',
       true, 'Aral Autohof'
from generate_series(1, 8) as n
on conflict do nothing;

-- F-150: odometer entries, an oil change done and the next one scheduled
insert into app.odometer_entries (tenant_id, id, vehicle_id, kind, read_on, odometer, odometer_unit)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0002000000f1', 'd0000000-0000-4000-8000-0000000000c2',
     'reading', current_date - 80, 26210, 'mi'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0002000000f2', 'd0000000-0000-4000-8000-0000000000c2',
     'reading', current_date - 3, 28410, 'mi')
on conflict do nothing;

insert into app.maintenance (tenant_id, id, vehicle_id, series_id, status, type, description, completed_on, odometer,
                             odometer_unit, cost, currency, service_location, due_on, due_odometer, recur_months, recur_distance)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0002000000d1', 'd0000000-0000-4000-8000-0000000000c2',
     'd0000000-0000-4000-8000-0002000000d1', 'completed', 'oil_change', 'Oil and filter, 5W-30', current_date - 60, 26800,
     'mi', 89.95, 'USD', 'Quick Lube Springfield', null, null, 6, 5000),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0002000000d2', 'd0000000-0000-4000-8000-0000000000c2',
     'd0000000-0000-4000-8000-0002000000d1', 'scheduled', 'oil_change', 'Oil and filter, 5W-30', null, null,
     'mi', null, null, 'Quick Lube Springfield', current_date + 120, 31800, 6, 5000),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0001000000d3', 'd0000000-0000-4000-8000-0000000000c1',
     'd0000000-0000-4000-8000-0001000000d3', 'scheduled', 'inspection', 'State safety inspection', null, null,
     'mi', null, null, null, current_date - 4, null, 12, null)
on conflict do nothing;

insert into app.reminders (tenant_id, id, vehicle_id, title, category, due_on, due_odometer, odometer_unit, recur_months, dedupe_key)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0002000000a1', 'd0000000-0000-4000-8000-0000000000c2',
     'Registration renewal', 'registration', current_date + 5, null, 'mi', 12, 'registration'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0003000000a2', 'd0000000-0000-4000-8000-0000000000c3',
     'Replace winter tyres', 'tires', null, 99000, 'km', null, 'tires'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0001000000a3', 'd0000000-0000-4000-8000-0000000000c1',
     'Insurance renewal', 'insurance', current_date + 25, null, 'mi', 12, 'insurance')
on conflict do nothing;

insert into app.tenant_settings (tenant_id, id, reminder_urgent_days, reminder_very_urgent_days, reminder_urgent_km, reminder_very_urgent_km)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000f0', 30, 7, 1500, 500)
on conflict do nothing;

commit;
