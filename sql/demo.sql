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

commit;
