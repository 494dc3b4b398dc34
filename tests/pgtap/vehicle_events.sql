-- vehicle_events: append-only, payload rules per type, partitions ahead + default, timeline order and paging.
select plan(53);

-- two tenants, a writer, a viewer, two vehicles, one vehicle in the other tenant
select tests.new_tenant('Events A') as tenant_a \gset
select tests.new_tenant('Events B') as tenant_b \gset
select tests.new_member(:'tenant_a', 'owner') as writer \gset
select tests.new_member(:'tenant_a', 'viewer') as viewer \gset
select tests.new_member(:'tenant_b', 'owner') as other_owner \gset
select tests.new_vehicle(:'tenant_a', 'Car one', 'km') as car_one \gset
select tests.new_vehicle(:'tenant_a', 'Car two', 'mi') as car_two \gset
select tests.new_vehicle(:'tenant_b', 'Other tenant car', 'mi') as other_car \gset

-- partitions --------------------------------------------------------------------------------------
select is(
    (select partstrat from pg_partitioned_table where partrelid = 'app.vehicle_events'::regclass)::text,
    'r', 'vehicle_events is range-partitioned');
select ok(
    (select bool_and(to_regclass(format('app.vehicle_events_p%s', to_char(m, 'YYYY_MM'))) is not null)
     from generate_series(date_trunc('month', now()), date_trunc('month', now()) + interval '11 months', interval '1 month') as m),
    'monthly partitions exist from this month to 11 months ahead');
select ok(
    to_regclass(format('app.vehicle_events_p%s', to_char(now() - interval '24 months', 'YYYY_MM'))) is not null,
    'monthly partitions exist two years back (history)');
select is(
    (select count(*)::int from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
     where i.inhparent = 'app.vehicle_events'::regclass and pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'),
    1, 'a DEFAULT partition exists');
select col_is_pk('app', 'vehicle_events', array['tenant_id', 'id', 'occurred_at'],
    'the primary key contains the partition key: (tenant_id, id, occurred_at)');

-- RLS on the partitioned parent
select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = 'app.vehicle_events'::regclass),
    'RLS enabled and forced on vehicle_events');

-- as the writer of tenant A
select tests.become(:'writer', :'tenant_a');

-- 60 odometer events for car one, one per day, then notes at the same instant to test the id tiebreak
insert into api.vehicle_events (vehicle_id, type, occurred_at, odometer, payload)
select :'car_one', 'odometer', timestamptz '2026-01-01 08:00+00' + make_interval(days => n), 1000 + n * 40, '{"source":"manual"}'
from generate_series(1, 60) as n;
insert into api.vehicle_events (vehicle_id, type, occurred_at, payload)
select :'car_one', 'note', '2026-01-10 12:00+00', jsonb_build_object('text', 'same instant ' || n)
from generate_series(1, 3) as n;
insert into api.vehicle_events (vehicle_id, type, occurred_at, payload)
values (:'car_two', 'note', '2026-01-05', '{"text":"car two"}');

select is((select count(*)::int from api.vehicle_events), 64, 'the writer inserted 64 events through the api view');
select is((select odometer_unit from api.vehicle_events where type = 'odometer' limit 1), 'km',
    'odometer_unit defaults to the vehicle''s unit');
select is((select count(distinct tableoid)::int from app.vehicle_events), 3, 'events land in their month partitions');

-- append-only for the API role
select throws_ok($$update api.vehicle_events set payload = '{}'$$, '42501', null, 'app_user cannot UPDATE events (no grant)');
select throws_ok($$delete from api.vehicle_events$$, '42501', null, 'app_user cannot DELETE events (no grant)');
select throws_ok($$update app.vehicle_events set payload = '{}'$$, '42501', null, 'app_user cannot UPDATE the table either');
select throws_ok($$delete from app.vehicle_events$$, '42501', null, 'app_user cannot DELETE from the table either');
select throws_ok(format('select * from app.%I', 'vehicle_events_p' || to_char(now(), 'YYYY_MM')), '42501', null,
    'app_user cannot read a partition directly (RLS lives on the parent)');
select throws_ok($$select * from app.vehicle_events_default$$, '42501', null, 'nor the default partition');

-- payload rules per type
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type) values (%L, 'teleport')$$, :'car_one'),
    '23514', 'type: must be one of odometer, odometer_reset, fuel, maintenance, note, document, photo, registration, inspection, void, got teleport',
    'an unknown type is refused, naming the list');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume_unit":"l"}')$$, :'car_one'),
    '23514', 'payload.volume: required for fuel events', 'fuel: volume is required');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume":"40","volume_unit":"l"}')$$, :'car_one'),
    '23514', 'payload.volume: must be a number, got string', 'fuel: volume must be a number');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume":0,"volume_unit":"l"}')$$, :'car_one'),
    '23514', 'payload.volume: must be at least 0.001, got 0', 'fuel: volume must be positive');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume":40,"volume_unit":"bucket"}')$$, :'car_one'),
    '23514', 'payload.volume_unit: must be one of l, gal_us, gal_imp, kwh, kg, got bucket', 'fuel: volume_unit from a list');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume":40,"volume_unit":"l","currency":"eur"}')$$, :'car_one'),
    '23514', 'payload.currency: must be an ISO 4217 code of three capital letters, got eur', 'fuel: currency is ISO 4217');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume":40,"volume_unit":"l","octane":95}')$$, :'car_one'),
    '23514', 'payload.octane: unknown key for fuel events (allowed: currency, fill_type, fuel_log_id, fuel_type, missed_previous, total_cost, volume, volume_unit)',
    'unknown payload keys are refused');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'note', '[1]')$$, :'car_one'),
    '23514', 'payload: must be a JSON object, got array', 'payload must be an object');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'note', '{"text":"   "}')$$, :'car_one'),
    '23514', 'payload.text: must not be blank', 'note: text must not be blank');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'registration', '{"expires_on":"2027-02-30"}')$$, :'car_one'),
    '23514', 'payload.expires_on: must be a date YYYY-MM-DD, got 2027-02-30', 'registration: expires_on is a real date');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'photo', '{"image_id":"nope"}')$$, :'car_one'),
    '23514', 'payload.image_id: must be a UUID, got nope', 'photo: image_id is a UUID');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'inspection', '{"result":"meh"}')$$, :'car_one'),
    '23514', 'payload.result: must be one of pass, fail, advisory, got meh', 'inspection: result from a list');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload, odometer) values (%L, 'odometer_reset', '{"reason":"rollover","previous_reading":-5}', 0)$$, :'car_one'),
    '23514', 'payload.previous_reading: must be at least 0, got -5', 'odometer_reset: previous_reading >= 0');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'odometer', '{}')$$, :'car_one'),
    '23514', null, 'odometer events need a reading (vehicle_events_odometer_events_have_reading)');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'void', '{"reason":"x"}')$$, :'car_one'),
    '23514', null, 'void events name the event they void (vehicle_events_void_names_event)');
select lives_ok(format($$insert into api.vehicle_events (vehicle_id, type, occurred_at, payload, odometer) values
    (%1$L, 'fuel', '2026-01-06', '{"volume":41.5,"volume_unit":"l","fill_type":"full","total_cost":70.10,"currency":"EUR","fuel_type":"diesel"}', null),
    (%1$L, 'maintenance', '2026-01-07', '{"category":"oil_change","total_cost":89,"currency":"EUR"}', null),
    (%1$L, 'registration', '2026-01-08', '{"expires_on":"2027-01-31","region":"BY"}', null),
    (%1$L, 'inspection', '2026-01-09', '{"result":"pass","expires_on":"2028-01-31"}', null),
    (%1$L, 'document', '2026-01-09', '{"title":"Invoice","kind":"invoice"}', null),
    (%1$L, 'odometer_reset', '2026-01-09', '{"reason":"cluster_replaced","previous_reading":120000}', 12)$$, :'car_two'),
    'valid payloads of each type are accepted');
select is((select count(*)::int from api.vehicle_events where vehicle_id = :'car_two'), 7,
    'valid events of car two were written');

select throws_ok(format($$insert into api.vehicle_events (id, vehicle_id, type, occurred_at, payload)
    select id, vehicle_id, 'note', occurred_at + interval '40 days', '{"text":"same id, another month"}'
    from api.vehicle_events where vehicle_id = %L limit 1$$, :'car_two'),
    '23505', null, 'an id that exists in another month is refused (the primary key includes occurred_at)');

-- other tenant and viewer
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'note', '{"text":"x"}')$$, :'other_car'),
    '23503', null, 'an event for another tenant''s vehicle is refused (composite FK)');
select throws_ok(format($$insert into api.vehicle_events (tenant_id, vehicle_id, type, payload) values (%L, %L, 'note', '{"text":"x"}')$$, :'tenant_b', :'other_car'),
    '42501', null, 'an event in another tenant is refused');
select tests.become(:'viewer', :'tenant_a');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'note', '{"text":"viewer"}')$$, :'car_one'),
    '42501', 'role: viewer cannot write vehicle_events', 'a viewer cannot add events');
select is((select count(*)::int from api.vehicle_events), 70, 'the viewer reads the tenant''s events');
select tests.become(:'writer', :'tenant_a');

-- timeline order and paging
select is(
    array(select odometer::int from api.vehicle_timeline(:'car_one') where type = 'odometer' limit 3),
    array[3400, 3360, 3320], 'the timeline is newest first');
select is(
    array(select odometer::int from api.vehicle_timeline(:'car_one') where type = 'odometer' limit 3 offset 3),
    array[3280, 3240, 3200], 'limit/offset pages through it');
select is(
    (select count(*)::int from api.vehicle_timeline(:'car_one', '2026-01-10', '2026-01-20')),
    13, 'from/to window: 10 days of readings plus 3 notes, [from, to)');
select is(
    (select array_agg(id order by occurred_at desc, id desc) from app.vehicle_events where type = 'note' and vehicle_id = :'car_one'),
    (select array_agg(id) from api.vehicle_timeline(:'car_one') where type = 'note'),
    'events at the same instant are ordered by id (descending): a stable order for paging');
-- keyset: the page after the 5th row equals offset 5
select is(
    array(select id from api.vehicle_timeline(:'car_one',
        before => (select occurred_at from api.vehicle_timeline(:'car_one') offset 4 limit 1),
        before_id => (select id from api.vehicle_timeline(:'car_one') offset 4 limit 1)) limit 10),
    array(select id from api.vehicle_timeline(:'car_one') offset 5 limit 10),
    'keyset paging (before, before_id) continues where the last page ended');
select is(
    array(select id from api.vehicle_timeline(:'car_one',
        before => '2026-01-10 12:00+00', before_id => (select id from app.vehicle_events where type = 'note' order by id desc limit 1)) limit 2),
    array(select id from app.vehicle_events where type = 'note' and id < (select id from app.vehicle_events where type = 'note' order by id desc limit 1) order by id desc limit 2),
    'keyset paging splits events at the same instant by id');

-- corrections: a new event voids the old one
select lives_ok(format($$insert into api.vehicle_events (vehicle_id, type, occurred_at, odometer, payload, voids_event_id)
    select vehicle_id, 'odometer', occurred_at, 3390, '{"source":"manual","comment":"typo"}', id
    from api.vehicle_timeline(%L) where type = 'odometer' limit 1$$, :'car_one'),
    'a correction voids the newest reading');
select is(
    array(select odometer::int from api.vehicle_timeline(:'car_one') where type = 'odometer' limit 2),
    array[3390, 3360], 'the timeline shows the correction instead of the voided event');
select is(
    (select count(*)::int from api.vehicle_timeline(:'car_one', include_voided => true) where voided_by_event_id is not null),
    1, 'include_voided lists the voided event with voided_by_event_id');
select throws_ok($$insert into api.vehicle_events (vehicle_id, type, payload, voids_event_id)
    select vehicle_id, 'void', '{"reason":"again"}', id from api.vehicle_events where voided_by_event_id is not null$$,
    '23505', null, 'an event is voided once (409)');
select throws_ok(format($$insert into api.vehicle_events (vehicle_id, type, payload, voids_event_id)
    select %L, 'void', '{"reason":"wrong car"}', id from api.vehicle_events where type = 'note' and vehicle_id = %L limit 1$$, :'car_two', :'car_one'),
    '23514', null, 'a correction voids an event of the same vehicle');

-- append-only even for the owner role
select tests.become_owner();
select throws_ok($$update app.vehicle_events set payload = '{"text":"x"}' where type = 'note'$$, '42501',
    'vehicle_events: events are append-only, update is refused', 'the owner role cannot update events either (trigger)');
select throws_ok($$delete from app.vehicle_events where type = 'note'$$, '42501',
    'vehicle_events: events are append-only, delete is refused', 'the owner role cannot delete events either (trigger)');
select tests.unbecome();

-- the default partition catches what no month covers; ensure_... moves it into its new month
insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload)
values (:'tenant_a', :'car_one', 'note', '2099-03-15', '{"text":"far future"}');
select is((select tableoid::regclass::text from app.vehicle_events where occurred_at = '2099-03-15'),
    'app.vehicle_events_default', 'an event beyond the partitions lands in the default partition');
select is(array(select app.ensure_vehicle_event_partitions('2099-03-01', 0)), array['app.vehicle_events_p2099_03'],
    'ensure_vehicle_event_partitions creates the missing month');
select is((select tableoid::regclass::text from app.vehicle_events where occurred_at = '2099-03-15'),
    'app.vehicle_events_p2099_03', 'and moves its rows out of the default partition');

select * from finish();
