-- The outbox: events in the transaction of their change (none for a rolled-back one), one per row of
-- a multi-row statement, soft delete and restore, app.emit_outbox_event; reminder.due_soon /
-- reminder.overdue once per reminder and state, at 09:00 local time, re-armed when the reminder
-- changes, snoozes or completes; the fan-out into deliveries.
select plan(36);

select tests.new_tenant('Outbox') as tenant \gset
select tests.new_tenant('Other') as other \gset
select tests.new_member(:'tenant', 'member') as member \gset
select tests.new_vehicle(:'tenant', 'Van') as van \gset
select tests.new_vehicle(:'other', 'Theirs') as theirs \gset
delete from app.outbox_events;

create temporary view events as
select type, subject, vehicle_id from app.outbox_events where tenant_id = :'tenant'::uuid order by id;
grant select on events to app_user;

select tests.become(:'member', :'tenant');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values (:'van', date '2026-01-01', 1000, 40), (:'van', date '2026-01-10', 1500, 35), (:'van', date '2026-01-20', 2000, 38);
select tests.unbecome();
select is((select count(*) from events where type = 'fuel_log.created')::integer, 3,
          'a three-row INSERT writes three fuel_log.created events');
select is((select count(*) from events where type = 'fuel_log.created' and vehicle_id = :'van' and subject ->> 'vehicle_id' = :'van')::integer, 3,
          'each names its vehicle');

begin;
select tests.become(:'member', :'tenant');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume) values (:'van', date '2026-02-01', 2500, 30);
select tests.unbecome();
rollback;
select is((select count(*) from events where type = 'fuel_log.created')::integer, 3,
          'a rolled-back insert leaves no event');

select tests.become(:'member', :'tenant');
select id as log_id from api.fuel_logs where odometer = 2000 \gset
update api.fuel_logs set notes = 'receipt lost' where id = :'log_id';
delete from api.fuel_logs where id = :'log_id';
select api.restore_fuel_log(:'log_id');
select tests.unbecome();
select is(array(select type from events where subject ->> 'id' = :'log_id'),
          array['fuel_log.created', 'fuel_log.updated', 'fuel_log.deleted', 'fuel_log.restored'],
          'update, soft delete and restore: updated, deleted, restored');

-- event ids: one version 7 UUID per statement, its next events count up from its random low bits
select is((select count(distinct id) from app.outbox_events where tenant_id = :'tenant' and type = 'fuel_log.created')::integer, 3,
          'each event of a three-row statement has its own id');
select ok((select bool_and(substr(id::text, 15, 1) = '7' and substr(id::text, 20, 1) in ('8', '9', 'a', 'b'))
           from app.outbox_events where tenant_id = :'tenant'),
          'event ids are version 7 UUIDs with the RFC 9562 variant');
select is((select array_agg(app.uuid_v7_low_bits(uuid_send(id)) - first.low order by id)
           from app.outbox_events,
                lateral (select min(app.uuid_v7_low_bits(uuid_send(e.id))) as low
                         from app.outbox_events as e
                         where e.tenant_id = :'tenant' and e.type = 'fuel_log.created') as first
           where tenant_id = :'tenant' and type = 'fuel_log.created'),
          array[0, 1, 2]::bigint[],
          'the events of one statement have consecutive ids (RFC 9562 method 2)');

-- one statement of the owner role over two tenants: one insert per tenant (one shard each on Citus),
-- each row its event under its own tenant, the ids still one run in statement order
insert into app.garages (tenant_id, id, name)
values (:'tenant', '0a000000-0000-4000-8000-00000000000a', 'Ours 1'),
       (:'other', '0a000000-0000-4000-8000-00000000000b', 'Theirs'),
       (:'tenant', '0a000000-0000-4000-8000-00000000000c', 'Ours 2');
select is((select array_agg(tenant_id::text || ' ' || (subject ->> 'id') order by id)
           from app.outbox_events where type = 'garage.created' and subject ->> 'id' like '0a000000-%'),
          array[:'tenant' || ' 0a000000-0000-4000-8000-00000000000a', :'other' || ' 0a000000-0000-4000-8000-00000000000b',
                :'tenant' || ' 0a000000-0000-4000-8000-00000000000c'],
          'a statement over two tenants writes each row''s event under its tenant, in statement order');
select is((select max(app.uuid_v7_low_bits(uuid_send(id))) - min(app.uuid_v7_low_bits(uuid_send(id)))
           from app.outbox_events where type = 'garage.created' and subject ->> 'id' like '0a000000-%'),
          2::bigint,
          'and their ids are one consecutive run');
-- a deleted tenant takes its events with it (tenant by tenant), and only its own
select tests.new_tenant('Purged') as purged \gset
insert into app.garages (tenant_id, name) values (:'purged', 'Gone soon');
select count(*) as kept_before from app.outbox_events where tenant_id <> :'purged' \gset
select is((select count(*) from app.outbox_events where tenant_id = :'purged')::integer, 1, 'the doomed tenant has an event');
select lives_ok(format('delete from app.tenants where id = %L', :'purged'), 'a tenant can be deleted');
select is((select string_agg(type, ',') from app.outbox_events where tenant_id = :'purged'), null,
          'deleting a tenant deletes its outbox events');
select is((select count(*) from app.outbox_events)::integer, :'kept_before'::integer,
          'and keeps every other tenant''s');
select is(app.uuid_v7_step(uuid_send('01900000-0000-7000-bfff-ffffffffffff'), 4611686018427387903, 1),
          '01900000-0000-7000-8000-000000000000'::uuid,
          'uuid_v7_step wraps within the 62 random bits and keeps the variant');

-- vehicles and garages have triggers of their own shape: the vehicle is the row, a garage has none
select tests.become(:'member', :'tenant');
insert into api.vehicles (display_name) values ('Outbox car') returning id as car \gset
update api.vehicles set notes = 'blue' where id = :'car';
delete from api.vehicles where id = :'car';
insert into api.garages (name) values ('Outbox garage') returning id as shed \gset
update api.garages set name = 'Outbox shed' where id = :'shed';
select tests.unbecome();
select is(array(select type from events where subject ->> 'id' = :'car' and vehicle_id = :'car' and subject ->> 'vehicle_id' = :'car'),
          array['vehicle.created', 'vehicle.updated', 'vehicle.deleted'],
          'a vehicle''s events name the vehicle itself');
select is(array(select type from events where subject ->> 'id' = :'shed' and vehicle_id is null and subject -> 'vehicle_id' = 'null'),
          array['garage.created', 'garage.updated'],
          'a garage''s events name no vehicle');

-- a multi-row statement with a bad row in the middle writes no event at all
select tests.become(:'member', :'tenant');
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
             values (%L, date '2026-03-01', 3000, 30), (%L, date '2026-03-02', 3100, -1), (%L, date '2026-03-03', 3200, 30)$$,
           :'van', :'van', :'van'),
    '23514', null, 'a batch with a bad row fails');
select tests.unbecome();
select is((select count(*) from events where type = 'fuel_log.created')::integer, 3, '... and writes no event');

-- emit_outbox_event: for changes without triggers of their own (import.finished, recalls)
select tests.become(:'member', :'tenant');
select isnt(app.emit_outbox_event(:'tenant', 'import.finished', '{"batch_id": "b1", "records": 2}'), null,
            'emit_outbox_event returns the event id');
select throws_ok(format($$select app.emit_outbox_event(%L, 'import.finished', '{}')$$, :'other'), '42501', null,
                 'an API request cannot write events of another tenant');
select tests.unbecome();
select is((select subject ->> 'records' from events where type = 'import.finished'), '2', 'the event carries its subject');

select ok((select count(*) from api.notify_event_types where type in ('reminder.due_soon', 'reminder.overdue', 'import.finished',
           'member.invited', 'vehicle.created', 'fuel_log.deleted', 'vehicle_recall.new')) = 7,
          'the documented event types (recalls too: subscriptions can ask for them)');

-- reminders at 09:00 local time ------------------------------------------------------------------
delete from app.outbox_events;
select tests.new_garage(:'tenant', 'Tokyo garage') as garage \gset
update app.garages set timezone = 'Asia/Tokyo' where id = :'garage';
select tests.new_vehicle(:'tenant', 'Tokyo car', 'km', null, null, :'garage') as tokyo_car \gset
insert into app.tenant_settings (tenant_id, time_zone) values (:'tenant', 'America/New_York');
insert into app.reminders (tenant_id, vehicle_id, title, due_on) values
    (:'tenant', :'van', 'Inspection', date '2026-06-20'),
    (:'tenant', :'tokyo_car', 'Tires', date '2026-06-20');
select id as inspection from app.reminders where title = 'Inspection' \gset

-- 2026-05-21 12:00 UTC: 08:00 in New York (before 09:00: still 05-20 there, 31 days left), 21:00 in Tokyo (30 days)
select is(app.notify_evaluate_reminders('2026-05-21 12:00+00'), 1, 'before 09:00 New York time only Tokyo''s reminder is due');
select is((select subject ->> 'title' from events where type = 'reminder.due_soon'), 'Tires', 'the garage''s time zone wins');
select is((select subject ->> 'time_zone' from events where type = 'reminder.due_soon'), 'Asia/Tokyo', 'the event names the zone');
select is(app.notify_evaluate_reminders('2026-05-21 13:00+00'), 1, 'at 09:00 New York time the van''s is due too');
select is(app.notify_evaluate_reminders('2026-05-22 13:00+00'), 0, 'once per reminder and state: nothing the next day');
select is(app.notify_evaluate_reminders('2026-06-21 13:00+00'), 2, 'both become overdue: reminder.overdue once each');
select is((select count(*) from events where type = 'reminder.overdue')::integer, 2, 'two overdue events');

update app.reminders set due_on = date '2026-07-01' where id = :'inspection';
select is(app.notify_evaluate_reminders('2026-06-21 13:00+00'), 1, 'a changed due date re-arms the reminder (due soon again)');
update app.reminders set status = 'snoozed', snoozed_until = date '2026-06-25' where id = :'inspection';
select is(app.notify_evaluate_reminders('2026-06-22 13:00+00'), 0, 'a snoozed reminder is quiet');
select is(app.notify_evaluate_reminders('2026-06-25 13:00+00'), 1, '... and notifies again when its snooze ends');
update app.reminders set status = 'done' where id = :'inspection';
select is(app.notify_evaluate_reminders('2026-06-26 13:00+00'), 0, 'a completed reminder is quiet');

-- fan-out: one delivery per matching active subscription ------------------------------------------
select tests.new_member(:'tenant', 'admin') as admin \gset
select tests.become(:'admin', :'tenant');
select (api.create_subscription('All reminders', 'email', 'ops@example.com', '{reminder.*}')) ->> 'id' as sub_all \gset
select (api.create_subscription('Van only', 'email', 'van@example.com', '{*}', array[:'van']::uuid[])) ->> 'id' as sub_van \gset
select (api.create_subscription('Paused', 'email', 'paused@example.com', '{*}', null, false)) ->> 'id' as sub_paused \gset
select tests.unbecome();
select is(app.notify_dispatch(1000), (select count(*)::integer from app.outbox_events where tenant_id = :'tenant'),
          'dispatch takes every undispatched event');
select is(
    array(
        select s.name || ': ' || e.type
        from app.notify_deliveries as d
        join app.notify_subscriptions as s on s.tenant_id = d.tenant_id and s.id = d.subscription_id
        join app.outbox_events as e on e.tenant_id = d.tenant_id and e.id = d.event_id
        order by 1
    ),
    (select array_agg(x order by x) from (
        select 'All reminders: ' || type as x from events where type like 'reminder.%'
        union all
        select 'Van only: ' || type from events where vehicle_id = :'van') as w),
    'each subscription gets the types and vehicles it wants; the paused one none');
select is(app.notify_dispatch(1000), 0, 'dispatched events are not dispatched again');

select * from finish();
