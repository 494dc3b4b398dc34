-- What the bulk write path skips per row, and that no rule is skipped with it (docs/bulk.md):
-- the payload CHECK's fast path accepts only payloads the full rules accept; source events carry
-- the stamp _500_stamp would give them (so it is skipped) while rows of the API role are always
-- stamped; the audit of a statement keeps one row per row, in order, per tenant, for INSERT, UPDATE
-- and DELETE; the odometer guard's cached plans never read a table sequentially.
select plan(19);

-- payloads: the fast path never accepts what the full rules refuse ----------------------------

create temp table payloads (type text, payload jsonb, valid boolean);
insert into payloads values
    ('fuel', '{"fuel_log_id": "0190c5a2-0000-7000-8000-000000000001", "fuel_type": "gasoline", "volume": 40.5, "volume_unit": "l", "fill_type": "full", "missed_previous": true, "total_cost": 72.9, "currency": "EUR"}', true),
    ('fuel', '{"volume": 0.001, "volume_unit": "kwh"}', true),
    ('fuel', '{"volume": 0, "volume_unit": "l"}', false),
    ('fuel', '{"volume": 1000001, "volume_unit": "l"}', false),
    ('fuel', '{"volume": "40", "volume_unit": "l"}', false),
    ('fuel', '{"volume_unit": "l"}', false),
    ('fuel', '{"volume": null, "volume_unit": "l"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "pint"}', false),
    ('fuel', '{"volume": 40, "volume_unit": ["l"]}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "colour": "red"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "fuel_log_id": "not-a-uuid"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "fuel_log_id": 7}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "fuel_type": "kerosene"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "fill_type": "half"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "missed_previous": "yes"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "total_cost": -1}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "total_cost": 10000000001}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "currency": "eur"}', false),
    ('fuel', '{"volume": 40, "volume_unit": "l", "currency": "EURO"}', false),
    ('fuel', '["volume", 40]', false),
    ('odometer', '{"source": "manual"}', true),
    ('odometer', '{}', true),
    ('odometer', '{"source": "gps"}', false),
    ('odometer', '{"comment": "  "}', false),
    ('odometer', format('{"comment": "%s"}', repeat('x', 501))::jsonb, false),
    ('odometer_reset', '{"reason": "other", "previous_reading": 123456}', true),
    ('odometer_reset', '{}', false),
    ('odometer_reset', '{"reason": "other", "previous_reading": -1}', false),
    ('odometer_reset', '{"reason": "magic"}', false),
    ('maintenance', '{"maintenance_id": "0190c5a2-0000-7000-8000-000000000002", "category": "oil_change", "description": "5W-30", "total_cost": 89, "currency": "USD"}', true),
    ('maintenance', '{"category": " "}', false),
    ('maintenance', format('{"category": "%s"}', repeat('x', 101))::jsonb, false),
    ('maintenance', format('{"category": "tyres", "description": "%s"}', repeat('x', 2001))::jsonb, false),
    ('maintenance', '{"category": "tyres", "maintenance_id": "nope"}', false),
    ('maintenance', '{"description": "no category"}', false),
    ('void', '{"reason": "fuel_logs deleted"}', true),
    ('void', '{}', false),
    ('void', format('{"reason": "%s"}', repeat('x', 501))::jsonb, false),
    ('note', '{"text": "not a source type: the full rules decide"}', true);

select is(
    (select count(*)::int from payloads where app.vehicle_event_payload_fast_ok(type, payload) and not valid),
    0, 'the fast path accepts no payload the rules refuse');
select is(
    (select count(*)::int from payloads
     where (app.vehicle_event_payload_problem(type, payload) is null) <> valid),
    0, 'app.vehicle_event_payload_problem() refuses exactly the invalid payloads');
select is(
    (select count(*)::int from payloads where valid and type <> 'note' and not app.vehicle_event_payload_fast_ok(type, payload)),
    0, 'the fast path accepts the valid payloads of the source types');
select is(
    app.vehicle_event_payload_problem('fuel', '{"volume": 40, "volume_unit": "l", "currency": "eur"}'),
    'payload.currency: must be an ISO 4217 code of three capital letters, got eur',
    'a payload the fast path does not accept is explained by the full rules');

-- source events carry the writer's stamp; the API role's rows are always stamped ---------------

select tests.new_tenant('Costs A') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'C1', 'km') as c1 \gset
select tests.new_tenant('Costs B') as tenant_b \gset
select tests.new_vehicle(:'tenant_b', 'D1', 'km') as d1 \gset

select tests.become(:'owner', :'tenant');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit, currency)
select :'c1'::uuid, d::date, o, 40, 'l', 1.8, 'EUR'
from (values ('2024-01-01', 1000), ('2024-02-01', 1500), ('2024-03-01', 2100)) as x(d, o);
select tests.unbecome();

select results_eq(
    $$select e.created_by, e.updated_by, e.created_at = f.created_at, e.updated_at = e.created_at
      from app.vehicle_events as e join app.fuel_logs as f on f.id = e.source_id
      where e.vehicle_id = '$$ || :'c1' || $$' order by e.occurred_at$$,
    format($$values (%L::uuid, %L::uuid, true, true), (%1$L, %2$L, true, true), (%1$L, %2$L, true, true)$$, :'owner', :'owner'),
    'each source event is stamped as its fill-up: created and updated by the writer, in its transaction');

select tests.become(:'owner', :'tenant');
insert into app.vehicle_events (vehicle_id, type, occurred_at, payload, created_at, updated_at, created_by, updated_by)
values (:'c1', 'note', '2024-03-02', '{"text": "forged stamp"}', '2000-01-01', '2000-01-01', :'d1', :'d1');
select tests.unbecome();
select results_eq(
    $$select created_by, updated_by, created_at > '2001-01-01', tenant_id from app.vehicle_events
      where vehicle_id = '$$ || :'c1' || $$' and type = 'note'$$,
    format($$values (%L::uuid, %1$L::uuid, true, %L::uuid)$$, :'owner', :'tenant'),
    'an event the API role writes is stamped whatever it sends');

select tests.become(:'owner', :'tenant');
select throws_ok(
    format($$insert into app.vehicle_events (tenant_id, vehicle_id, type, payload, created_by, updated_by)
             values (%L, %L, 'note', '{"text": "x"}', %L, %L)$$, :'tenant_b', :'d1', :'owner', :'owner'),
    '42501', null, 'the API role cannot write another tenant''s event, even carrying a stamp');
select throws_ok(
    format($$insert into api.vehicle_events (vehicle_id, type, payload) values (%L, 'fuel', '{"volume": 40, "volume_unit": "l", "currency": "eur"}')$$, :'c1'),
    '23514', 'payload.currency: must be an ISO 4217 code of three capital letters, got eur',
    'a client''s event payload is still explained by _200_prepare');
select tests.unbecome();

-- the audit of a statement --------------------------------------------------------------------

select is(
    (select count(*)::int from audit.record_version where table_name = 'app.fuel_logs' and tenant_id = :'tenant'
       and operation = 'INSERT' and old_record is null and actor = :'owner'),
    3, 'one INSERT audit row per fill-up, by the writer');
select is(
    (select array_agg((a.new_record ->> 'odometer')::int order by a.id) from audit.record_version as a
     where a.table_name = 'app.fuel_logs' and a.tenant_id = :'tenant'),
    array[1000, 1500, 2100], 'in the statement''s order');
select is(
    (select count(*)::int from audit.record_version as a
     join app.vehicle_events as e on e.id = a.row_id and to_jsonb(e) = a.new_record
     where a.table_name = 'app.vehicle_events' and a.tenant_id = :'tenant' and a.actor = :'owner'
       and e.source_id is null),
    1, 'the note the API wrote is audited as written, with the writer as actor (the three source events are left to their fill-ups'' audit rows: audit_derived_events.sql)');

select tests.become(:'owner', :'tenant');
update api.fuel_logs set notes = 'checked' where vehicle_id = :'c1' and odometer < 2000;
delete from api.fuel_logs where vehicle_id = :'c1' and odometer = 2100;
select tests.unbecome();
select results_eq(
    $$select operation, (old_record ->> 'odometer')::int, new_record ->> 'notes', new_record ->> 'deleted_at' is not null
      from audit.record_version where table_name = 'app.fuel_logs' and tenant_id = '$$ || :'tenant' || $$'
       and operation <> 'INSERT' order by operation desc, 2$$,
    $$values ('UPDATE', 1000, 'checked', false), ('UPDATE', 1500, 'checked', false), ('SOFT_DELETE', 2100, null, true)$$,
    'UPDATE and soft DELETE statements: one audit row per row, old and new, operation per row');

select tests.become_owner();
insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, odometer_unit, volume, volume_unit)
values (:'tenant', :'c1', '2024-04-01', 2500, 'km', 30, 'l'), (:'tenant_b', :'d1', '2024-04-01', 700, 'km', 30, 'l'),
       (:'tenant', :'c1', '2024-05-01', 3000, 'km', 30, 'l');
delete from app.fuel_logs where vehicle_id in (:'c1', :'d1') and filled_on = '2024-04-01';
select tests.unbecome();
select results_eq(
    $$select tenant_id, operation, count(*)::int, count(old_record)::int, count(new_record)::int from audit.record_version
      where table_name = 'app.fuel_logs' and (new_record ->> 'filled_on' >= '2024-04-01' or old_record ->> 'filled_on' >= '2024-04-01')
      group by 1, 2 order by tenant_id = '$$ || :'tenant' || $$' desc, operation desc$$,
    format($$values (%L::uuid, 'INSERT', 2, 0, 2), (%1$L, 'DELETE', 1, 1, 0), (%L::uuid, 'INSERT', 1, 0, 1), (%2$L, 'DELETE', 1, 1, 0)$$,
           :'tenant', :'tenant_b'),
    'a statement over two tenants (owner role): each tenant''s rows audited under it, INSERT and DELETE');
select is(
    (select count(*)::int from audit.record_version where table_name = 'app.fuel_logs' and operation = 'DELETE'
       and old_record ->> 'filled_on' = '2024-04-01' and actor is null),
    2, 'the owner role without a user: no actor');

-- the odometer guard's plans -------------------------------------------------------------------

select is(
    (select count(*)::int from pg_proc
     where oid in ('app.odometer_batch_problem(uuid, text, jsonb)'::regprocedure,
                   'app.sync_vehicle_odometers(uuid, uuid[])'::regprocedure,
                   'app.sync_vehicle_odometer(uuid, uuid, timestamp)'::regprocedure)
       and proconfig @> array['enable_seqscan=off', 'plan_cache_mode=force_generic_plan']),
    3, 'the guard''s functions keep one generic plan, made without sequential scans');

-- the readings of one vehicle's window, planned once for any tenant, vehicle and window (as the
-- guard's generic plan is): index range scans only
create function tests.plan_lines(statement text)
returns setof text
language plpgsql
as $$
begin
    return query execute 'explain ' || statement;
end
$$;
grant execute on function tests.plan_lines(text) to app_user;
select tests.become(:'owner', :'tenant');
set enable_seqscan = off;
set plan_cache_mode = force_generic_plan;
prepare window_readings (uuid, uuid, timestamp, timestamp) as
    select x.read_at from app.odometer_readings as x
    where x.tenant_id = $1 and x.vehicle_id = $2 and x.read_at >= $3 and x.read_at <= $4;
create temp table plan_lines as
select * from tests.plan_lines(format('execute window_readings(%L, %L, %L, %L)', :'tenant', :'c1', '-infinity', 'infinity')) as line;
reset enable_seqscan;
reset plan_cache_mode;
select tests.unbecome();
select ok(
    (select bool_and(line not like '%Seq Scan%') and count(*) filter (where line like '%Index Cond:%vehicle_id = $2%') = 3
     from plan_lines),
    'a window of one vehicle''s readings: an index scan by tenant and vehicle of each source, no sequential scan');
select is(
    (select odometer_reading from app.vehicles where id = :'c1'), 3000,
    'the vehicle''s odometer follows the latest live reading');
select is(
    (select count(*)::int from app.vehicle_events where vehicle_id = :'c1' and type = 'void'), 1,
    'the soft-deleted fill-up''s event is voided (the update path of the source events)');
select is(
    (select count(*)::int from app.vehicle_events where vehicle_id = :'c1' and type = 'fuel' and created_by is null), 2,
    'events of the owner role without a user: stamped by _500_stamp (no user)');

select * from finish();
