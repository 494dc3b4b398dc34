-- The audit of app.vehicle_events leaves out the events a source trigger writes (change
-- vehicle_events_derived_audit, docs/bulk.md "What the audit leaves out"): each is rebuilt from its
-- source row's audit entry. Every other event is logged, and so is every deleted event.
begin;
select plan(13);

select tests.new_tenant('derived events') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'D1', 'km') as v1 \gset

create temp view event_audit as
select a.* from audit.record_version as a
where a.tenant_id = :'tenant' and a.table_name = 'app.vehicle_events';
grant select on event_audit to public;

-- a bulk INSERT of fill-ups through the API ----------------------------------------------------------
select tests.become(:'owner', :'tenant');
insert into api.fuel_logs (vehicle_id, filled_on, filled_time, odometer, volume, volume_unit, price_per_unit, currency)
values (:'v1', '2024-01-01', '08:00', 1000, 40, 'l', 1.8, 'EUR'),
       (:'v1', '2024-02-01', '08:00', 1600, 41.5, 'l', 1.9, 'EUR'),
       (:'v1', '2024-03-01', '08:00', 2300, 38, 'l', 1.7, 'EUR');
select tests.unbecome();

select is((select count(*)::int from app.vehicle_events where vehicle_id = :'v1' and type = 'fuel'), 3,
    'three fill-ups, three fuel events');
select is((select count(*)::int from event_audit), 0,
    'the fuel events a source trigger wrote are not logged again');
select is(
    (select count(*)::int from audit.record_version
     where tenant_id = :'tenant' and table_name = 'app.fuel_logs' and operation = 'INSERT' and actor = :'owner'),
    3, 'their fill-ups are, each by its actor');
-- each event is what app.source_event() makes of its source's audit row, by the same actor
select is(
    (select count(*)::int
     from app.vehicle_events as e
     join audit.record_version as a
       on a.tenant_id = e.tenant_id and a.table_name = 'app.fuel_logs' and a.operation = 'INSERT' and a.row_id = e.source_id
     cross join lateral app.source_event('fuel', a.new_record) as s
     where e.vehicle_id = :'v1' and e.type = 'fuel'
       and e.vehicle_id = (a.new_record ->> 'vehicle_id')::uuid
       and e.created_by = a.actor
       and (e.type, e.occurred_at, e.odometer, e.odometer_unit, e.payload)
           = (s.type, s.occurred_at, s.odometer, s.odometer_unit, s.payload)),
    3, 'each fuel event is rebuilt from its fill-up''s audit row: type, time, odometer, payload, actor');

-- an UPDATE of two fill-ups: the correcting and void events come from the UPDATE's audit rows -------
select tests.become(:'owner', :'tenant');
update api.fuel_logs set volume = volume + 1 where vehicle_id = :'v1' and filled_on >= '2024-02-01';
select tests.unbecome();
select is((select count(*)::int from event_audit), 0, 'the correcting events of an UPDATE are not logged again');
select is(
    (select count(*)::int
     from app.vehicle_events as e
     join audit.record_version as a
       on a.tenant_id = e.tenant_id and a.table_name = 'app.fuel_logs' and a.operation = 'UPDATE' and a.row_id = e.source_id
     cross join lateral app.source_event('fuel', a.new_record) as s
     where e.vehicle_id = :'v1' and e.type = 'fuel' and e.voids_event_id is not null
       and e.payload = s.payload and e.created_by = a.actor
       and (select v.payload from app.vehicle_events as v where v.id = e.voids_event_id)
           = (select o.payload from app.source_event('fuel', a.old_record) as o)),
    2, 'each correcting event is the UPDATE''s new row, and voids the event of its old row');

-- a photo's event (a row trigger of vehicle_images) is rebuilt from the image's audit row ----------------
select tests.become(:'owner', :'tenant');
insert into api.vehicle_images (vehicle_id, storage_key, content_type, bytes, sha256, caption, taken_at)
values (:'v1', 'd1/front.jpg', 'image/jpeg', 2048, repeat('ab', 32), 'Front', '2024-03-05 10:00+00');
select tests.unbecome();
select is(
    (select count(*)::int
     from app.vehicle_events as e
     join audit.record_version as a
       on a.tenant_id = e.tenant_id and a.table_name = 'app.vehicle_images' and a.operation = 'INSERT' and a.row_id = e.source_id
     where e.vehicle_id = :'v1' and e.type = 'photo' and e.created_by = a.actor
       and e.occurred_at = coalesce((a.new_record ->> 'taken_at')::timestamptz, (a.new_record ->> 'created_at')::timestamptz)
       and e.payload = jsonb_strip_nulls(jsonb_build_object('image_id', a.new_record -> 'id', 'caption', a.new_record -> 'caption'))
       and not exists (select from event_audit as x where x.row_id = e.id)),
    1, 'a photo event is not logged again: its image''s audit row rebuilds it');

-- events written by anyone else are logged ------------------------------------------------------------
select tests.become(:'owner', :'tenant');
insert into api.vehicle_events (vehicle_id, type, occurred_at, payload, source_id)
values (:'v1', 'note', '2024-04-01', '{"text": "a note"}', null),
       (:'v1', 'note', '2024-04-02', '{"text": "a note with a source"}', gen_random_uuid());
select tests.unbecome();
select is(
    (select array_agg(new_record ->> 'payload' order by new_record ->> 'occurred_at') from event_audit where operation = 'INSERT'),
    array['{"text": "a note"}', '{"text": "a note with a source"}'],
    'events written through the API are logged, with a source_id or without');

insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload, source_id)
values (:'tenant', :'v1', 'note', '2024-04-03', '{"text": "by the owner role"}', gen_random_uuid());
select is((select count(*)::int from event_audit where new_record -> 'payload' ->> 'text' = 'by the owner role'), 1,
    'an event written by a statement of its own (an import, a job) is logged, even with a source_id');

-- a trigger that writes events: only those without a source_id are left in ----------------------------
create table tests.derived_writer (tenant_id uuid, vehicle_id uuid);
create function tests.tg_derived_writer() returns trigger language plpgsql as $$
begin
    insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload, source_id)
    select n.tenant_id, n.vehicle_id, 'note', '2024-05-01'::timestamptz, '{"text": "derived"}'::jsonb, gen_random_uuid() from new_rows as n
    union all
    select n.tenant_id, n.vehicle_id, 'note', '2024-05-02'::timestamptz, '{"text": "not derived"}'::jsonb, null::uuid from new_rows as n;
    return null;
end
$$;
create trigger derived_writer after insert on tests.derived_writer referencing new table as new_rows
    for each statement execute function tests.tg_derived_writer();
insert into tests.derived_writer values (:'tenant', :'v1');
select is((select count(*)::int from app.vehicle_events where payload ->> 'text' in ('derived', 'not derived')), 2,
    'a trigger wrote two events in one statement');
select is(
    (select array_agg(new_record -> 'payload' ->> 'text') from event_audit where new_record -> 'payload' ->> 'text' in ('derived', 'not derived')),
    array['not derived'],
    'the one without a source_id is logged, the one with it is left to its source');

-- the second argument accepts only source_id -----------------------------------------------------------
create table tests.other_events (tenant_id uuid, id uuid, source_id uuid);
create trigger _900_audit_insert after insert on tests.other_events referencing new table as new_rows
    for each statement execute function app.tg_audit_row('tenant_id', 'other_id');
create or replace function tests.tg_derived_writer() returns trigger language plpgsql as $$
begin
    insert into tests.other_events select n.tenant_id, gen_random_uuid(), gen_random_uuid() from new_rows as n;
    return null;
end
$$;
select throws_ok(
    $$insert into tests.derived_writer values ('$$ || :'tenant' || $$', null)$$,
    '22023', null, 'any other derived-row column is refused');

-- deleting events (a purged vehicle): every event is logged with its whole row ---------------------------
delete from app.vehicles where id = :'v1';
select is(
    (select count(*)::int from event_audit where operation = 'DELETE' and old_record ->> 'source_id' is not null
       and old_record ->> 'type' = 'fuel'),
    5, 'a purge logs every deleted fuel event with its whole row, derived or not');

select * from finish();
rollback;
