-- Bulk writes (docs/bulk.md): the rules of fuel logs, odometer entries and vehicle events hold for
-- multi-row INSERT, UPDATE and DELETE statements. A bad row in the middle of a batch: nothing of the
-- statement is written, and the error names the row (values in the message, vehicle and row in the
-- detail). Audit, events and the vehicle's odometer are written once per statement.
select plan(40);

-- the error of a statement: 'SQLSTATE message / detail', or NULL when it succeeds (then it is kept)
create function tests.error_of(statement text)
returns text
language plpgsql
as $$
declare
    state text;
    message text;
    detail text;
begin
    execute statement;
    return null;
exception when others then
    get stacked diagnostics state = returned_sqlstate, message = message_text, detail = pg_exception_detail;
    return state || ' ' || message || coalesce(' / ' || nullif(detail, ''), '');
end
$$;
grant execute on function tests.error_of(text) to app_user;

select tests.new_tenant('Bulk A') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'A1', 'km') as a1 \gset
select tests.new_vehicle(:'tenant', 'A2', 'km') as a2 \gset
select tests.new_tenant('Bulk B') as tenant_b \gset
select tests.new_member(:'tenant_b', 'owner') as owner_b \gset
select tests.new_vehicle(:'tenant_b', 'B1', 'km') as b1 \gset

create temp view counts as
select (select count(*)::int from app.fuel_logs where vehicle_id in (:'a1', :'a2')) as fuel_logs,
       (select count(*)::int from app.vehicle_events where vehicle_id in (:'a1', :'a2')) as events,
       (select count(*)::int from audit.record_version where table_name = 'app.fuel_logs' and tenant_id = :'tenant') as audited;
grant select on counts to public;

select tests.become(:'owner', :'tenant');

-- one INSERT, two vehicles, interleaved ----------------------------------------------------------
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit, currency)
select v::uuid, d::date, o, 40, 'l', 1.8, 'EUR'
from (values (:'a1', '2024-01-01', 1000), (:'a2', '2024-01-01', 5000), (:'a1', '2024-02-01', 1500),
             (:'a2', '2024-02-01', 5600), (:'a1', '2024-03-01', 2100), (:'a2', '2024-03-01', 6000)) as x(v, d, o);
select is((select fuel_logs from counts), 6, 'a multi-row INSERT over two vehicles writes every row');
select is(
    array(select odometer_reading from api.vehicles where id in (:'a1', :'a2') order by display_name),
    array[2100, 6000], 'each vehicle''s odometer_reading is its latest reading of the batch');
select is((select events from counts), 6, 'one fuel event per row');
select is(
    (select count(*)::int from audit.record_version
     where table_name = 'app.fuel_logs' and tenant_id = :'tenant' and operation = 'INSERT' and actor = :'owner'),
    6, 'one audit row per row, as INSERT by the caller');
select is(
    (select count(*)::int from audit.record_version as a
     join app.fuel_logs as f on f.id = a.row_id and to_jsonb(f) = a.new_record
     where a.table_name = 'app.fuel_logs' and a.tenant_id = :'tenant'),
    6, 'each audit row holds the row as written');

-- a bad row in the middle: nothing written, the row named ------------------------------------------
select alike(
    tests.error_of(format($$
        insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
        values (%1$L, '2024-04-01', 2500, 40, 'EUR'), (%1$L, '2024-05-01', 2900, 40, 'EUR'),
               (%1$L, '2024-06-01', 2000, 40, 'EUR'), (%1$L, '2024-07-01', 3300, 40, 'EUR')$$, :'a1')),
    '23514 odometer: 2000 km on 2024-06-01 00:00:00 is lower than 2900 km recorded earlier on 2024-05-01 00:00:00 (fuel_logs) / vehicle '
        || :'a1' || ', fuel_logs row %',
    'a reading lower than the one before it in the same batch refuses the INSERT, naming both readings, the vehicle and the row');
select is((select row(fuel_logs, events, audited)::text from counts), '(6,6,6)',
    'nothing of the refused batch is written: no fill-up, no event, no audit row');
select is((select odometer_reading from api.vehicles where id = :'a1'), 2100, 'the vehicle''s odometer is unchanged');
select alike(
    tests.error_of(format($$
        insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
        values (%1$L, '2024-04-01', 2500, 40, 'EUR'), (%2$L, '2024-04-01', 5900, 40, 'EUR'),
               (%1$L, '2024-05-01', 2600, 40, 'EUR')$$, :'a1', :'a2')),
    '23514 odometer: 5900 km on 2024-04-01 00:00:00 is lower than 6000 km recorded earlier on 2024-03-01 00:00:00 (fuel_logs) / vehicle '
        || :'a2' || ', fuel_logs row %',
    'in a batch over two vehicles, the error names the vehicle of the bad row');
select alike(
    tests.error_of(format($$
        insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
        values (%1$L, '2024-01-15', 1200, 40, 'EUR'), (%1$L, '2024-02-15', 2200, 40, 'EUR')$$, :'a1')),
    '23514 odometer: 2200 km on 2024-02-15 00:00:00 is higher than 2100 km recorded later on 2024-03-01 00:00:00 (fuel_logs) / vehicle %',
    'a back-dated batch is checked against the readings after it');
select is((select row(fuel_logs, events, audited)::text from counts), '(6,6,6)', 'still nothing written');
select is(
    tests.error_of(format($$
        insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, currency)
        values (%1$L, '2024-01-15', 1200, 40, 'EUR'), (%1$L, '2024-02-15', 1800, 40, 'EUR')$$, :'a1')),
    null, 'a consistent back-dated batch is accepted');
select is((select odometer_reading from api.vehicles where id = :'a1'), 2100,
    'back-dated readings leave the latest reading as it was');

-- odometer entries: a reset in the middle of a batch starts a new sequence --------------------------
select is(
    tests.error_of(format($$
        insert into api.odometer_entries (vehicle_id, kind, read_on, odometer)
        values (%1$L, 'reading', '2024-04-01', 6500), (%1$L, 'reset', '2024-05-01', 0),
               (%1$L, 'reading', '2024-06-01', 300)$$, :'a2')),
    null, 'a batch with a reset between a high and a low reading is accepted');
select is((select odometer_reading from api.vehicles where id = :'a2'), 300, 'the latest reading is after the reset');
select alike(
    tests.error_of(format($$
        insert into api.odometer_entries (vehicle_id, read_on, odometer)
        values (%1$L, '2024-07-01', 400), (%1$L, '2024-08-01', 350), (%1$L, '2024-09-01', 500)$$, :'a2')),
    '23514 odometer: 350 km on 2024-08-01 00:00:00 is lower than 400 km recorded earlier on 2024-07-01 00:00:00 (odometer_entries) / vehicle %',
    'after the reset, readings of a batch still only go up');
select alike(
    tests.error_of(format($$update api.odometer_entries set read_on = '2024-06-15' where vehicle_id = %L and kind = 'reset'$$, :'a2')),
    '23514 odometer: 6500 km on 2024-04-01 00:00:00 is higher than 300 km recorded later on 2024-06-01 00:00:00 (odometer_entries) / vehicle '
        || :'a2' || ', odometer_entries row %',
    'moving a reset so that it no longer explains a drop is refused (the whole history is checked)');

-- multi-row UPDATE ----------------------------------------------------------------------------------
update api.fuel_logs set odometer = odometer + 10 where vehicle_id = :'a1';
select is(
    array(select odometer from api.fuel_logs where vehicle_id = :'a1' order by filled_on),
    array[1010, 1210, 1510, 1810, 2110], 'a multi-row UPDATE of consistent readings is accepted');
select is((select odometer_reading from api.vehicles where id = :'a1'), 2110, 'and the vehicle follows its latest reading');
select is(
    (select count(*)::int from app.vehicle_event_voids where vehicle_id = :'a1'), 5,
    'each changed row''s event is voided by a correcting event');
select is(
    (select count(*)::int from audit.record_version
     where table_name = 'app.fuel_logs' and tenant_id = :'tenant' and operation = 'UPDATE'
       and (new_record ->> 'odometer')::int = (old_record ->> 'odometer')::int + 10),
    5, 'the UPDATE is audited row by row, each with its old and new version');
select alike(
    tests.error_of(format($$
        update api.fuel_logs set odometer = case when filled_on = '2024-02-01' then 99999 else odometer + 1 end
        where vehicle_id = %L$$, :'a1')),
    '23514 odometer: 1811 km on 2024-02-15 00:00:00 is lower than 99999 km recorded earlier on 2024-02-01 00:00:00 (fuel_logs) / vehicle '
        || :'a1' || ', fuel_logs row %',
    'a multi-row UPDATE with one bad row in the middle is refused, naming the pair');
select is(
    array(select odometer from api.fuel_logs where vehicle_id = :'a1' order by filled_on),
    array[1010, 1210, 1510, 1810, 2110], 'and changes nothing');
update api.fuel_logs set notes = 'checked' where vehicle_id = :'a1';
select is((select count(*)::int from app.vehicle_event_voids where vehicle_id = :'a1'), 5,
    'an UPDATE that changes nothing an event shows appends no event');

-- soft delete of several rows in one UPDATE: void events, the odometer falls back --------------------
update app.fuel_logs set deleted_at = now() where vehicle_id = :'a2';
select is(
    (select count(*)::int from app.vehicle_events where vehicle_id = :'a2' and type = 'void'
       and payload ->> 'reason' = 'fuel_logs deleted'),
    3, 'each soft-deleted fill-up gets its void event');
select is(
    (select count(*)::int from audit.record_version
     where table_name = 'app.fuel_logs' and tenant_id = :'tenant' and operation = 'SOFT_DELETE'),
    3, 'each is audited as SOFT_DELETE');
select is((select odometer_reading from api.vehicles where id = :'a2'), 300,
    'the vehicle''s odometer is its latest live reading');

-- moving several rows to another vehicle: the old vehicle's events are voided -----------------------
select alike(
    tests.error_of(format($$update api.odometer_entries set vehicle_id = %L where vehicle_id = %L and read_on > '2024-05-15'$$, :'a1', :'a2')),
    '23514 odometer: 300 km on 2024-06-01 00:00:00 is lower than 2110 km recorded earlier on 2024-03-01 00:00:00 (fuel_logs) / vehicle '
        || :'a1' || ', odometer_entries row %',
    'readings moved to another vehicle are checked against that vehicle''s readings');

-- maintenance: the same rules, per statement -----------------------------------------------------
select alike(
    tests.error_of(format($$
        insert into api.maintenance (vehicle_id, type, completed_on, odometer)
        values (%1$L, 'oil_change', '2024-03-10', 2200), (%1$L, 'repair', '2024-03-20', 2150),
               (%1$L, 'wipers', '2024-03-25', 2400)$$, :'a1')),
    '23514 odometer: 2150 km on 2024-03-20 00:00:00 is lower than 2200 km recorded earlier on 2024-03-10 00:00:00 (maintenance) / vehicle '
        || :'a1' || ', maintenance row %',
    'a batch of completed maintenance with a bad reading in the middle is refused, naming it');
insert into api.maintenance (vehicle_id, type, completed_on, odometer)
values (:'a1', 'oil_change', '2024-03-10', 2200), (:'a1', 'repair', '2024-03-20', 2300);
select is(
    (select count(*)::int from app.vehicle_events where vehicle_id = :'a1' and type = 'maintenance'), 2,
    'a batch of completed maintenance appends one event per record');
select is((select odometer_reading from api.vehicles where id = :'a1'), 2300, 'and moves the vehicle''s odometer');

-- hard DELETE of several rows (the owner role; the API soft-deletes) ------------------------------
select tests.unbecome();
delete from app.fuel_logs where vehicle_id = :'a2';
select is(
    (select count(*)::int from audit.record_version
     where table_name = 'app.fuel_logs' and tenant_id = :'tenant' and operation = 'DELETE' and new_record is null),
    3, 'a multi-row DELETE is audited row by row with the deleted row');

-- one statement over two tenants (a superuser or the owner role): each tenant's rows, rules and audit -
insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, volume, currency)
values (:'tenant', :'a1', '2024-09-01', 4000, 40, 'EUR'), (:'tenant_b', :'b1', '2024-09-01', 100, 40, 'EUR');
select is(
    (select array_agg(tenant_id::text order by tenant_id::text) from audit.record_version
     where table_name = 'app.fuel_logs' and operation = 'INSERT' and new_record ->> 'filled_on' = '2024-09-01'),
    array(select t from unnest(array[:'tenant', :'tenant_b']) as t order by t),
    'a statement over two tenants audits each row under its own tenant');
select is(
    (select array_agg(tenant_id::text order by tenant_id::text) from app.vehicle_events
     where type = 'fuel' and source_id in (select id from app.fuel_logs where filled_on = '2024-09-01')),
    array(select t from unnest(array[:'tenant', :'tenant_b']) as t order by t),
    'and writes each event under its own tenant');
select alike(
    tests.error_of(format($$
        insert into app.fuel_logs (tenant_id, vehicle_id, filled_on, odometer, volume, currency)
        values (%L, %L, '2024-10-01', 4100, 40, 'EUR'), (%L, %L, '2024-08-01', 200, 40, 'EUR')$$,
        :'tenant', :'a1', :'tenant_b', :'b1')),
    '23514 odometer: 200 km on 2024-08-01 00:00:00 is higher than 100 km recorded later on 2024-09-01 00:00:00 (fuel_logs) / vehicle '
        || :'b1' || '%',
    'the bad row of the other tenant refuses the statement and is named');
select is((select count(*)::int from app.fuel_logs where filled_on = '2024-10-01'), 0, 'nothing of it is written');

-- vehicle events written by clients in bulk --------------------------------------------------------
select tests.become(:'owner', :'tenant');
select alike(
    tests.error_of(format($$
        insert into api.vehicle_events (vehicle_id, type, occurred_at, payload)
        values (%1$L, 'note', '2024-01-05', '{"text": "one"}'), (%1$L, 'note', '2024-01-06', '{}'),
               (%1$L, 'note', '2024-01-07', '{"text": "three"}')$$, :'a1')),
    '23514 payload.text: required for note events / payload rules of note events: %',
    'an event with a bad payload in the middle of a batch is refused, naming the key');
insert into api.vehicle_events (id, vehicle_id, type, occurred_at, payload)
values ('01900000-0000-7000-8000-000000000001', :'a1', 'note', '2024-01-05', '{"text": "first"}');
select is(
    tests.error_of(format($$
        insert into api.vehicle_events (id, vehicle_id, type, occurred_at, payload)
        values (default, %1$L, 'note', '2024-03-05', '{"text": "a"}'),
               ('01900000-0000-7000-8000-000000000001', %1$L, 'note', '2024-03-06', '{"text": "b"}'),
               (default, %1$L, 'note', '2024-03-07', '{"text": "c"}')$$, :'a1')),
    '23505 id: event 01900000-0000-7000-8000-000000000001 exists already',
    'an id of another month reused in the middle of a batch is refused (409)');
select is(
    (select count(*)::int from app.vehicle_events where vehicle_id = :'a1' and type = 'note'), 1,
    'nothing of either refused batch is written');

-- the statement trigger functions refuse to run per row (a new reading source attaches them per statement)
select tests.unbecome();
create table pg_temp.per_row (tenant_id uuid, id uuid, vehicle_id uuid, read_at timestamp, odometer integer,
                              odometer_unit text, deleted_at timestamptz);
create trigger _100_odometer_guard after insert on pg_temp.per_row
    for each row execute function app.tg_odometer_guard();
select throws_ok(
    $$insert into pg_temp.per_row values (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), now(), 1, 'km', null)$$,
    '0A000', 'app.tg_odometer_guard() on per_row: a statement trigger, not a row trigger',
    'app.tg_odometer_guard() attached per row says how to attach it');

select * from finish();
