-- Fuel logs, maintenance records and odometer entries append their events; changes void and replace them.
select plan(16);

select tests.new_tenant('Sources') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'Source car', 'km') as car \gset

select tests.become(:'owner', :'tenant');

create temp view timeline as
select type, odometer, payload, source_id, voids_event_id
from api.vehicle_timeline(:'car');
grant select on timeline to public;

-- fuel log -> fuel event
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit, currency, is_full)
values (:'car', current_date - 10, 1000, 40, 'l', 1.8, 'EUR', true)
returning id as fuel_log \gset
select is((select count(*)::int from timeline where type = 'fuel'), 1, 'a fuel log appends a fuel event');
select is(
    (select payload from timeline where type = 'fuel'),
    jsonb_build_object('fuel_log_id', :'fuel_log'::uuid) || '{"fuel_type": "gasoline", "volume": 40.000, "volume_unit": "l",
      "fill_type": "full", "total_cost": 72.00, "currency": "EUR"}'::jsonb,
    'its payload carries the fill-up (volume, unit, fill type, cost, currency, fuel_log_id)');
select is((select odometer::int from timeline where type = 'fuel'), 1000, 'with the odometer reading');
select is((select source_id from timeline where type = 'fuel'), :'fuel_log'::uuid, 'source_id names the fuel log');

-- correcting the fuel log appends a correction that voids the first event
update api.fuel_logs set volume = 42, total_cost = null where id = :'fuel_log';
select is((select (payload ->> 'volume')::numeric from timeline where type = 'fuel'), 42.000::numeric,
    'an updated fuel log shows its new figures on the timeline');
select is((select count(*)::int from api.vehicle_events where type = 'fuel'), 2, 'the first event stays in the stream');
select isnt((select voids_event_id from timeline where type = 'fuel'), null, 'the correction voids it');
update api.fuel_logs set notes = 'receipt in glovebox' where id = :'fuel_log';
select is((select count(*)::int from api.vehicle_events where type = 'fuel'), 2, 'a change the event does not show adds nothing');

-- delete and restore
delete from api.fuel_logs where id = :'fuel_log';
select is((select count(*)::int from timeline where type = 'fuel'), 0, 'a deleted fuel log leaves the timeline');
select is((select count(*)::int from api.vehicle_events where type = 'void'), 1, 'through a void event');
select lives_ok(format($$select api.restore_fuel_log(%L)$$, :'fuel_log'), 'restore the fuel log');
select is((select count(*)::int from timeline where type = 'fuel'), 1, 'a restored fuel log is back on the timeline');

-- maintenance: scheduled items are not events, completed records are
insert into api.maintenance (vehicle_id, status, type, due_on)
values (:'car', 'scheduled', 'oil_change', current_date + 30);
select is((select count(*)::int from timeline where type = 'maintenance'), 0, 'a scheduled maintenance item is no event');
insert into api.maintenance (vehicle_id, status, type, description, completed_on, odometer, cost, currency)
values (:'car', 'completed', 'brake_service', 'front pads', current_date - 5, 1300, 250, 'EUR');
select is(
    (select payload - 'maintenance_id' from timeline where type = 'maintenance'),
    '{"category": "brake_service", "description": "front pads", "total_cost": 250.00, "currency": "EUR"}'::jsonb,
    'a completed maintenance record appends a maintenance event');

-- odometer entries
insert into api.odometer_entries (vehicle_id, read_on, odometer) values (:'car', current_date - 1, 1500);
select is((select odometer::int from timeline where type = 'odometer'), 1500, 'an odometer entry appends an odometer event');
select is((select array_agg(type) from timeline), array['odometer', 'maintenance', 'fuel'],
    'the timeline merges them, newest first');

select * from finish();
