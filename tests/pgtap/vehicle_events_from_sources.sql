-- Fuel logs, maintenance records and odometer entries append their events; changes void and replace them.
select plan(16);

insert into app.tenants (id, name) values ('e3000000-0000-4000-8000-000000000001', 'Sources');
insert into app.users (id) values ('e3000000-0000-4000-8000-0000000000a1');
insert into app.memberships (tenant_id, user_id, role)
values ('e3000000-0000-4000-8000-000000000001', 'e3000000-0000-4000-8000-0000000000a1', 'owner');
insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
values ('e3000000-0000-4000-8000-000000000001', 'e3000000-0000-4000-8000-0000000000c1', 'Source car', 'km');

set role app_user;
select set_config('request.jwt.claims',
    '{"sub":"e3000000-0000-4000-8000-0000000000a1","tenant_id":"e3000000-0000-4000-8000-000000000001"}', false);

create temp view timeline as
select type, odometer, payload, source_id, voids_event_id
from api.vehicle_timeline('e3000000-0000-4000-8000-0000000000c1');
grant select on timeline to public;

-- fuel log -> fuel event
insert into api.fuel_logs (id, vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit, currency, is_full)
values ('e3000000-0000-4000-8000-0000000000f1', 'e3000000-0000-4000-8000-0000000000c1', current_date - 10, 1000, 40, 'l', 1.8, 'EUR', true);
select is((select count(*)::int from timeline where type = 'fuel'), 1, 'a fuel log appends a fuel event');
select is(
    (select payload from timeline where type = 'fuel'),
    '{"fuel_log_id": "e3000000-0000-4000-8000-0000000000f1", "fuel_type": "gasoline", "volume": 40.000, "volume_unit": "l",
      "fill_type": "full", "total_cost": 72.00, "currency": "EUR"}'::jsonb,
    'its payload carries the fill-up (volume, unit, fill type, cost, currency, fuel_log_id)');
select is((select odometer::int from timeline where type = 'fuel'), 1000, 'with the odometer reading');
select is((select source_id from timeline where type = 'fuel'), 'e3000000-0000-4000-8000-0000000000f1'::uuid, 'source_id names the fuel log');

-- correcting the fuel log appends a correction that voids the first event
update api.fuel_logs set volume = 42, total_cost = null where id = 'e3000000-0000-4000-8000-0000000000f1';
select is((select (payload ->> 'volume')::numeric from timeline where type = 'fuel'), 42.000::numeric,
    'an updated fuel log shows its new figures on the timeline');
select is((select count(*)::int from api.vehicle_events where type = 'fuel'), 2, 'the first event stays in the stream');
select isnt((select voids_event_id from timeline where type = 'fuel'), null, 'the correction voids it');
update api.fuel_logs set notes = 'receipt in glovebox' where id = 'e3000000-0000-4000-8000-0000000000f1';
select is((select count(*)::int from api.vehicle_events where type = 'fuel'), 2, 'a change the event does not show adds nothing');

-- delete and restore
delete from api.fuel_logs where id = 'e3000000-0000-4000-8000-0000000000f1';
select is((select count(*)::int from timeline where type = 'fuel'), 0, 'a deleted fuel log leaves the timeline');
select is((select count(*)::int from api.vehicle_events where type = 'void'), 1, 'through a void event');
select lives_ok($$select api.restore_fuel_log('e3000000-0000-4000-8000-0000000000f1')$$, 'restore the fuel log');
select is((select count(*)::int from timeline where type = 'fuel'), 1, 'a restored fuel log is back on the timeline');

-- maintenance: scheduled items are not events, completed records are
insert into api.maintenance (id, vehicle_id, status, type, due_on)
values ('e3000000-0000-4000-8000-0000000000d1', 'e3000000-0000-4000-8000-0000000000c1', 'scheduled', 'oil_change', current_date + 30);
select is((select count(*)::int from timeline where type = 'maintenance'), 0, 'a scheduled maintenance item is no event');
insert into api.maintenance (vehicle_id, status, type, description, completed_on, odometer, cost, currency)
values ('e3000000-0000-4000-8000-0000000000c1', 'completed', 'brake_service', 'front pads', current_date - 5, 1300, 250, 'EUR');
select is(
    (select payload - 'maintenance_id' from timeline where type = 'maintenance'),
    '{"category": "brake_service", "description": "front pads", "total_cost": 250.00, "currency": "EUR"}'::jsonb,
    'a completed maintenance record appends a maintenance event');

-- odometer entries
insert into api.odometer_entries (vehicle_id, read_on, odometer) values ('e3000000-0000-4000-8000-0000000000c1', current_date - 1, 1500);
select is((select odometer::int from timeline where type = 'odometer'), 1500, 'an odometer entry appends an odometer event');
select is((select array_agg(type) from timeline), array['odometer', 'maintenance', 'fuel'],
    'the timeline merges them, newest first');

select * from finish();
