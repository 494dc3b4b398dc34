-- Demo data for `make up`: three tenants (a household with an owner, a member and a viewer; a
-- delivery fleet; a repair shop), twelve vehicles including a plug-in hybrid and an electric car,
-- and two years of vehicle events. Run as the owner role; idempotent (fixed ids, fixed dates,
-- on conflict do nothing).
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

-- two more tenants and nine more vehicles ------------------------------------------------------

begin;

insert into app.tenants (id, name, kind)
values
    ('d0000000-0000-4000-8000-000000000002', 'Northwind Deliveries', 'fleet'),
    ('d0000000-0000-4000-8000-000000000003', 'Pit Stop Garage', 'shop')
on conflict do nothing;

insert into app.users (id, display_name, email)
values
    ('d0000000-0000-4000-8000-0000000000a4', 'Fiona Fleet', 'fiona@northwind.example'),
    ('d0000000-0000-4000-8000-0000000000a5', 'Sam Shop', 'sam@pitstop.example')
on conflict do nothing;

insert into app.memberships (tenant_id, user_id, role)
values
    ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000a4', 'owner'),
    ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000a5', 'owner'),
    ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000a1', 'viewer')
on conflict do nothing;

insert into app.garages (tenant_id, id, name, address, latitude, longitude, timezone, is_default)
values
    ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000b3',
     'Depot Hamburg', 'Hafenstrasse 1, Hamburg', 53.546000, 9.966000, 'Europe/Berlin', true),
    ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000b4',
     'Workshop', '200 Main St, Portland', 45.523064, -122.676483, 'America/Los_Angeles', true)
on conflict do nothing;

-- VINs get their check digit computed (position 9)
insert into app.vehicles (tenant_id, id, garage_id, vin, make, model, year, color, license_plate, odometer_reading, odometer_unit)
select tenant_id, id, garage_id, overlay(vin placing app.vin_check_digit(vin) from 9), make, model, year, color, plate, odometer, unit
from (
    values
        ('d0000000-0000-4000-8000-000000000001'::uuid, 'd0000000-0000-4000-8000-0000000000c4'::uuid, 'd0000000-0000-4000-8000-0000000000b1'::uuid,
         'JTDKARFP0L3000001', 'Toyota', 'Prius Prime', 2020, 'white', 'DEMO-004', 41200, 'mi'),
        ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000c5', 'd0000000-0000-4000-8000-0000000000b3',
         'WF0XXXTTGX0000001', 'Ford', 'Transit', 2019, 'white', 'HH-NW-101', 184300, 'km'),
        ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000c6', 'd0000000-0000-4000-8000-0000000000b3',
         'WF0XXXTTGX0000002', 'Ford', 'Transit', 2021, 'white', 'HH-NW-102', 121900, 'km'),
        ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000c7', 'd0000000-0000-4000-8000-0000000000b3',
         'WDB9066330S000001', 'Mercedes-Benz', 'Sprinter', 2020, 'silver', 'HH-NW-103', 156700, 'km'),
        ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000c8', 'd0000000-0000-4000-8000-0000000000b3',
         'VF1FW0ZBC00000001', 'Renault', 'Kangoo E-Tech', 2023, 'blue', 'HH-NW-104', 48200, 'km'),
        ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000c9', 'd0000000-0000-4000-8000-0000000000b3',
         'WV1ZZZSYZL0000001', 'Volkswagen', 'Caddy', 2020, 'grey', 'HH-NW-105', 98400, 'km'),
        ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000ca', 'd0000000-0000-4000-8000-0000000000b4',
         '5YJ3E1EA0NF000001', 'Tesla', 'Model 3', 2022, 'red', 'EV-7731', 38100, 'mi'),
        ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000cb', 'd0000000-0000-4000-8000-0000000000b4',
         '4S4BTACC0N3000001', 'Subaru', 'Outback', 2022, 'green', 'PSG-202', 45800, 'mi'),
        ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000cc', 'd0000000-0000-4000-8000-0000000000b4',
         'WB10J3303P6000001', 'BMW', 'R 1250 GS', 2023, 'black', 'PSG-M1', 14300, 'mi')
) as v (tenant_id, id, garage_id, vin, make, model, year, color, plate, odometer, unit)
on conflict do nothing;

commit;

-- two years of history (2024-11-25 .. 2026-11-17), fixed ids and dates: weekly odometer readings
-- from the cars' telematics (events), fill-ups, maintenance, reminders, registrations -----------

begin;

do $$
begin
    perform app.ensure_vehicle_event_partitions('2024-11-01', 12);  -- if deployed long after the demo dates
end
$$;

create temporary table demo_fleet on commit drop as
select *
from (
    values
        -- vehicle, weekly distance (vehicle's unit), energy: ice | phev | ev, fuel type, volume unit,
        -- distance per volume unit (mpg, km/l, mi/kWh, km/kWh), currency, price per unit
        ('d0000000-0000-4000-8000-0000000000c1'::uuid, 180, 'ice', 'gasoline', 'gal_us', 28.0, 'USD', 3.45),
        ('d0000000-0000-4000-8000-0000000000c2', 260, 'ice', 'gasoline', 'gal_us', 19.0, 'USD', 3.45),
        ('d0000000-0000-4000-8000-0000000000c3', 150, 'ice', 'gasoline', 'l', 15.0, 'EUR', 1.79),
        ('d0000000-0000-4000-8000-0000000000c4', 160, 'phev', 'gasoline', 'gal_us', 52.0, 'USD', 3.45),
        ('d0000000-0000-4000-8000-0000000000c5', 820, 'ice', 'diesel', 'l', 10.0, 'EUR', 1.69),
        ('d0000000-0000-4000-8000-0000000000c6', 760, 'ice', 'diesel', 'l', 10.5, 'EUR', 1.69),
        ('d0000000-0000-4000-8000-0000000000c7', 700, 'ice', 'diesel', 'l', 9.5, 'EUR', 1.69),
        ('d0000000-0000-4000-8000-0000000000c8', 420, 'ev', 'electric', 'kwh', 5.5, 'EUR', 0.32),
        ('d0000000-0000-4000-8000-0000000000c9', 540, 'ice', 'diesel', 'l', 15.0, 'EUR', 1.69),
        ('d0000000-0000-4000-8000-0000000000ca', 220, 'ev', 'electric', 'kwh', 4.0, 'USD', 0.16),
        ('d0000000-0000-4000-8000-0000000000cb', 210, 'ice', 'gasoline', 'gal_us', 27.0, 'USD', 3.45),
        ('d0000000-0000-4000-8000-0000000000cc', 90, 'ice', 'gasoline', 'gal_us', 45.0, 'USD', 3.45)
) as f (vehicle_id, per_week, energy, fuel_type, volume_unit, per_unit, currency, price)
join app.vehicles as v on v.id = f.vehicle_id;

-- weekly odometer readings, ending at the vehicle's current reading
insert into app.vehicle_events (tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
select
    f.tenant_id,
    md5('demo-odometer-' || f.vehicle_id || '-' || w)::uuid,
    f.vehicle_id,
    'odometer',
    timestamptz '2024-11-25 08:00+00' + make_interval(weeks => w, hours => abs(hashtext(f.vehicle_id::text || w)) % 10),
    greatest(f.odometer_reading - f.per_week * (103 - w) + abs(hashtext(f.vehicle_id::text || w || 'd')) % 30, 0),
    f.odometer_unit,
    '{"source":"obd"}'
from demo_fleet as f, generate_series(0, 103) as w
on conflict do nothing;

-- fill-ups of the nine vehicles the household demo above does not cover (its Accord, F-150 and
-- Golf have theirs): combustion every second week (every 7th partial, every 19th after a missed
-- one), charging every week (the EVs and the plug-in hybrid). They emit their fuel events.
insert into app.fuel_logs (tenant_id, id, vehicle_id, filled_on, filled_time, odometer, odometer_unit, fuel_type,
                           volume, volume_unit, price_per_unit, currency, is_full, missed_previous)
select
    f.tenant_id,
    md5('demo-fuel-' || f.vehicle_id || '-' || w || '-' || x.fuel_type)::uuid,
    f.vehicle_id,
    date '2024-11-26' + 7 * w,
    x.at,
    greatest(f.odometer_reading - f.per_week * (103 - w), 0) + f.per_week / 7,
    f.odometer_unit,
    x.fuel_type,
    x.volume,
    x.volume_unit,
    x.price,
    f.currency,
    w % 7 <> 3,
    w % 19 = 5
from demo_fleet as f
cross join generate_series(0, 103) as w
cross join lateral (
    select f.fuel_type, f.volume_unit, f.price, time '17:30' as at,
           -- the distance since the last fill-up (2 weeks; 3 on petrol and 40 % of it for the plug-in
           -- hybrid; 1 for the EVs) over the vehicle's economy, +-10 %
           round((f.per_week * case f.energy when 'ice' then 2 when 'phev' then 3 * 0.4 else 1 end / f.per_unit
                  * (0.9 + (abs(hashtext(f.vehicle_id::text || w || 'v')) % 21) / 100.0))::numeric, 2) as volume
    where f.energy = 'ice' and w % 2 = 0
       or f.energy = 'phev' and w % 3 = 0
       or f.energy = 'ev'
    union all
    select 'electric', 'kwh', 0.16, time '20:30',
           round((f.per_week * 0.6 / 3.8 * (0.9 + (abs(hashtext(f.vehicle_id::text || w || 'k')) % 21) / 100.0))::numeric, 2)
    where f.energy = 'phev'
) as x
where f.vehicle_id not in ('d0000000-0000-4000-8000-0000000000c1', 'd0000000-0000-4000-8000-0000000000c2',
                           'd0000000-0000-4000-8000-0000000000c3')
on conflict do nothing;

-- maintenance of the same nine vehicles, twice a year (they emit their maintenance events)
insert into app.maintenance (tenant_id, id, vehicle_id, status, type, description, completed_on, odometer, odometer_unit,
                             cost, currency)
select
    f.tenant_id,
    md5('demo-maintenance-' || f.vehicle_id || '-' || m.w)::uuid,
    f.vehicle_id,
    'completed',
    m.type,
    m.description,
    date '2024-11-27' + 7 * m.w,
    greatest(f.odometer_reading - f.per_week * (103 - m.w), 0) + 2 * f.per_week / 7,
    f.odometer_unit,
    m.cost,
    f.currency
from demo_fleet as f
cross join lateral (
    values
        (20, case f.energy when 'ev' then 'tire_rotation' else 'oil_change' end, null, case f.energy when 'ev' then 60 else 89.90 end),
        (46, 'brake_service', 'front pads and discs', 420),
        (72, case f.energy when 'ev' then 'cabin_filter' else 'oil_change' end, null, case f.energy when 'ev' then 45 else 94.50 end),
        (98, 'other', 'four new tires', 780)
) as m (w, type, description, cost)
where f.vehicle_id not in ('d0000000-0000-4000-8000-0000000000c1', 'd0000000-0000-4000-8000-0000000000c2',
                           'd0000000-0000-4000-8000-0000000000c3')
on conflict do nothing;

-- reminders of the fleet and the shop: one overdue, one due within days, one by odometer
insert into app.reminders (tenant_id, id, vehicle_id, title, category, due_on, due_odometer, odometer_unit, recur_months, dedupe_key)
values
    ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000d1', 'd0000000-0000-4000-8000-0000000000c5',
     'Tachograph calibration', 'inspection', date '2026-11-01', null, 'km', 24, null),
    ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000d2', 'd0000000-0000-4000-8000-0000000000c7',
     'Registration renewal', 'registration', date '2026-11-28', null, 'km', 12, null),
    ('d0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-0000000000d3', 'd0000000-0000-4000-8000-0000000000c6',
     'Timing belt', 'maintenance', null, 124000, 'km', null, null),
    ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000d4', 'd0000000-0000-4000-8000-0000000000ca',
     'Tire rotation', 'maintenance', date '2026-12-15', 40000, 'mi', 6, null),
    ('d0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-0000000000d5', 'd0000000-0000-4000-8000-0000000000cc',
     'Chain and sprockets', 'maintenance', date '2026-10-15', null, 'mi', null, null)
on conflict do nothing;

-- registration and inspection yearly, a note
insert into app.vehicle_events (tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
select
    f.tenant_id,
    md5('demo-' || e.kind || '-' || f.vehicle_id || '-' || e.w)::uuid,
    f.vehicle_id,
    e.type,
    timestamptz '2024-11-27 10:00+00' + make_interval(weeks => e.w),
    null,
    null,
    e.payload
from demo_fleet as f
cross join lateral (
    values
        ('r1', 'registration', 8, jsonb_build_object('expires_on', '2026-01-31', 'cost', 95, 'currency', f.currency)),
        ('r2', 'registration', 60, jsonb_build_object('expires_on', '2027-01-31', 'cost', 98, 'currency', f.currency)),
        ('i1', 'inspection', 30, jsonb_build_object('result', 'pass', 'expires_on', '2027-06-30')),
        ('i2', 'inspection', 82, jsonb_build_object('result', case when f.vehicle_id::text like '%c1' then 'advisory' else 'pass' end,
            'expires_on', '2028-06-30')),
        ('n1', 'note', 51, jsonb_build_object('text', 'Rattle from the rear left door at low speed.'))
) as e (kind, type, w, payload)
on conflict do nothing;

-- a typo in a reading of the Accord, corrected: the correction voids it
insert into app.vehicle_events (tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000f1', 'd0000000-0000-4000-8000-0000000000c1',
        'odometer', '2026-06-14 09:00+00', 514930, 'mi', '{"source":"manual","comment":"typed one digit too many"}')
on conflict do nothing;
insert into app.vehicle_events (tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, voids_event_id)
select 'd0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000000f2', 'd0000000-0000-4000-8000-0000000000c1',
       'odometer', '2026-06-14 09:00+00', 151493, 'mi', '{"source":"manual","comment":"corrected"}', 'd0000000-0000-4000-8000-0000000000f1'
where not exists (
    select from app.vehicle_event_voids
    where tenant_id = 'd0000000-0000-4000-8000-000000000001' and voided_event_id = 'd0000000-0000-4000-8000-0000000000f1'
)
on conflict do nothing;

-- photos of the household's cars (metadata; the bytes would live in object storage): each records
-- a photo event at taken_at
insert into app.vehicle_images (tenant_id, id, vehicle_id, storage_key, content_type, bytes, sha256, width, height,
                                caption, is_primary, taken_at)
values
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0001000000b1', 'd0000000-0000-4000-8000-0000000000c1',
     'demo/accord-front.jpg', 'image/jpeg', 2483115, encode(sha256('demo/accord-front.jpg'), 'hex'), 4032, 3024,
     'Accord after the spring wash', true, '2026-04-12 15:20+00'),
    ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0003000000b1', 'd0000000-0000-4000-8000-0000000000c3',
     'demo/golf-dashboard.png', 'image/png', 812044, encode(sha256('demo/golf-dashboard.png'), 'hex'), 1920, 1080,
     'Dashboard warning light', false, '2026-09-03 07:45+00')
on conflict do nothing;

-- Release 1.2 tables: one row each for the household's F-150, so that every API endpoint has a demo
-- row (the hostile-input tests aim at it) and the analysts' views show something.
insert into app.energy_sources (tenant_id, id, vehicle_id, tank_number, name, energy_kind, fuel_types, unit, capacity)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e1', 'd0000000-0000-4000-8000-0000000000c2', 1, 'Main tank', 'liquid', '{gasoline}', 'gal_us', 26)
on conflict do nothing;

insert into app.reporting_currencies (tenant_id, id, currency)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e2', 'EUR')
on conflict do nothing;

insert into app.expenses (tenant_id, id, vehicle_id, category, title, incurred_on, amount, currency)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e3', 'd0000000-0000-4000-8000-0000000000c2', 'registration', 'Registration renewal',
        '2025-03-01', 101.00, 'USD')
on conflict do nothing;

insert into app.vehicle_ownership (tenant_id, id, vehicle_id, purchased_on, purchase_price, purchase_odometer, currency)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e4', 'd0000000-0000-4000-8000-0000000000c2', '2021-03-15', 41000, 12, 'USD')
on conflict do nothing;

insert into app.hour_readings (tenant_id, id, vehicle_id, read_at, hours)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e5', 'd0000000-0000-4000-8000-0000000000c2', '2025-06-01 08:00', 812.5)
on conflict do nothing;

insert into app.trip_rates (tenant_id, id, purpose, valid_from, rate, distance_unit, currency)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e6', 'commute', '2021-01-01', 0.2000, 'mi', 'USD')
on conflict do nothing;

insert into app.trips (tenant_id, id, vehicle_id, started_at, ended_at, start_odometer, end_odometer, odometer_unit,
                       purpose, driver, logged_at)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e7', 'd0000000-0000-4000-8000-0000000000c2', current_date - 1 + time '07:30', current_date - 1 + time '08:05', 28410, 28432, 'mi',
        'commute', 'Dana', current_date - 1 + time '08:10')
on conflict do nothing;

insert into app.tire_sets (tenant_id, id, vehicle_id, name, brand, size, season, dot_code)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e8', 'd0000000-0000-4000-8000-0000000000c2', 'All-season', 'Goodyear', '275/65 R18', 'all_season',
        'DOT 4B9X 3VR 0721')
on conflict do nothing;

insert into app.tires (tenant_id, id, tire_set_id, label, position, added_on)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001e9', 'd0000000-0000-4000-8000-0000000001e8', '1', 'front_left', '2021-03-15')
on conflict do nothing;

insert into app.tire_mounts (tenant_id, id, tire_set_id, vehicle_id, mounted_on, mount_odometer, odometer_unit)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001ea', 'd0000000-0000-4000-8000-0000000001e8', 'd0000000-0000-4000-8000-0000000000c2', '2021-03-15', 12, 'mi')
on conflict do nothing;

insert into app.tread_measurements (tenant_id, id, tire_id, measured_on, depth_mm)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001eb', 'd0000000-0000-4000-8000-0000000001e9', '2025-06-01', 6.5)
on conflict do nothing;

insert into app.document_files (tenant_id, id, sha256, content_type, bytes, content)
values ('d0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-0000000001ec', '', '', 0, decode('255044462d312e340a312030206f626a0a3c3c202f54797065202f436174616c6f67202f5061676573203220302052203e3e0a656e646f626a0a322030206f626a0a3c3c202f54797065202f5061676573202f4b696473205b33203020525d202f436f756e742031203e3e0a656e646f626a0a332030206f626a0a3c3c202f54797065202f50616765202f506172656e74203220302052202f4d65646961426f78205b30203020363132203739325d202f436f6e74656e7473203420302052203e3e0a656e646f626a0a342030206f626a0a3c3c202f4c656e677468203530203e3e0a73747265616d0a4254202f463120313220546620373220373230205464202844656d6f20696e737572616e636520636172642920546a2045540a656e6473747265616d0a656e646f626a0a787265660a3020350a303030303030303030302036353533352066200a30303030303030303039203030303030206e200a30303030303030303538203030303030206e200a30303030303030313135203030303030206e200a30303030303030323032203030303030206e200a747261696c65720a3c3c202f53697a652035202f526f6f74203120302052203e3e0a7374617274787265660a3330320a2525454f460a', 'hex'))
on conflict do nothing;

insert into app.documents (tenant_id, id, file_id, vehicle_id, kind, file_name, content_type, bytes, sha256)
select f.tenant_id, 'd0000000-0000-4000-8000-0000000001ed', f.id, 'd0000000-0000-4000-8000-0000000000c2', 'insurance', 'insurance-card.pdf',
       f.content_type, f.bytes, f.sha256
from app.document_files as f
where f.tenant_id = 'd0000000-0000-4000-8000-000000000001'
  and f.id = 'd0000000-0000-4000-8000-0000000001ec'
on conflict do nothing;

commit;
