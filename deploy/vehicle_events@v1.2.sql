-- Deploy motovault:vehicle_events to pg
-- requires: vehicles
-- requires: helpers
--
-- Reworked after @v1.1 for bulk writes (docs/bulk.md). The tables, partitions and api view of @v1.1
-- stay; this script redefines what changes:
--   * the primary key includes occurred_at (partitioning), so it cannot refuse an id reused in
--     another month. @v1.1 looked every new id up in every partition from the BEFORE row trigger
--     (~40 partitions planned and probed per row: most of the cost of an event). Now an AFTER
--     INSERT trigger per statement (_100_id_unique) looks the statement's ids up once per tenant
--     (database-made uuid v7 ids never collide, so the events other triggers write, which leave id
--     to the default, are not looked up; two concurrent inserts of the same client-made id in
--     different months are still not caught).
--   * app.ensure_vehicle_event_partitions() gives a partition it creates to the owner of
--     app.vehicle_events, whoever calls it: the owner role can then attach triggers to the
--     partitioned table (PostgreSQL clones row triggers onto every partition, which needs the
--     TRIGGER privilege on each), e.g. when reverting the statement-level audit triggers.
--   * _200_prepare keeps what needs the row before it is written: type and payload explained,
--     odometer_unit from the vehicle, voids_event_id checked. The payload of an event written by
--     another trigger (pg_trigger_depth() > 1: the source events) is not explained twice: the CHECK
--     vehicle_events_payload_valid validates it.

begin;

set local lock_timeout = '5s';

create or replace function app.tg_vehicle_events_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
    voided record;
begin
    if not new.type = any (app.vehicle_event_types()) then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicle_events_type_known',
            column = 'type',
            message = format('type: must be one of %s, got %s', array_to_string(app.vehicle_event_types(), ', '), coalesce(new.type, 'null')),
            hint = 'The payload rules of each type are described on api.vehicle_events.';
    end if;
    new.payload := coalesce(new.payload, '{}'::jsonb);
    -- the payload of an event another trigger writes (the source events: fuel logs, maintenance,
    -- odometer entries) is built from checked columns; the CHECK vehicle_events_payload_valid still
    -- validates it, this explanation is for what clients send
    if pg_trigger_depth() = 1 then
        problem := app.vehicle_event_payload_problem(new.type, new.payload);
    end if;
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicle_events_payload_valid',
            column = 'payload',
            message = problem,
            detail = format('payload rules of %s events: %s', new.type, app.vehicle_event_payload_spec(new.type)),
            hint = 'Send only the keys listed for the type, with the JSON types and ranges given.';
    end if;
    -- an id reused in another month: _100_id_unique, once per statement
    if new.odometer is not null and new.odometer_unit is null then
        select v.odometer_unit into new.odometer_unit
        from app.vehicles as v
        where v.tenant_id = coalesce(new.tenant_id, app.current_tenant_id()) and v.id = new.vehicle_id;
    end if;
    if new.voids_event_id is not null then
        select e.tenant_id, e.id, e.vehicle_id, e.occurred_at into voided
        from app.vehicle_events as e
        where e.tenant_id = coalesce(new.tenant_id, app.current_tenant_id())
          and e.id = new.voids_event_id;
        if not found then
            raise exception using
                errcode = 'foreign_key_violation',
                constraint = 'vehicle_events_voids_existing_event',
                column = 'voids_event_id',
                message = format('voids_event_id: no event %s in this tenant', new.voids_event_id),
                hint = 'Name an event of the same vehicle listed by vehicle_timeline.';
        end if;
        if voided.vehicle_id <> new.vehicle_id then
            raise exception using
                errcode = 'check_violation',
                constraint = 'vehicle_events_voids_same_vehicle',
                column = 'voids_event_id',
                message = format('voids_event_id: event %s belongs to another vehicle', new.voids_event_id),
                hint = 'A correction voids an event of the same vehicle.';
        end if;
        if exists (
            select from app.vehicle_event_voids as x
            where x.tenant_id = voided.tenant_id and x.voided_event_id = voided.id
        ) then
            raise exception using
                errcode = 'unique_violation',
                constraint = 'vehicle_event_voids_pkey',
                column = 'voids_event_id',
                message = format('voids_event_id: event %s is already voided', new.voids_event_id),
                hint = 'Void the event that replaced it instead.';
        end if;
    end if;
    return new;
end
$$;
comment on function app.tg_vehicle_events_prepare() is
    'BEFORE INSERT on vehicle_events (_200_prepare): explains an unknown type or an invalid payload (message names the payload key), fills odometer_unit from the vehicle, checks that voids_event_id names a live event of the same vehicle. Events written by another trigger get no payload explanation (the CHECK still validates them). An id reused in another month is _100_id_unique''s (per statement).';

create or replace function app.tg_vehicle_events_id_unique()
returns trigger
language plpgsql
as $$
declare
    written jsonb;
    tenant text;
    reused uuid;
begin
    if pg_trigger_depth() > 1 then
        -- written by another trigger (source events, photo events): those leave id to the
        -- database's uuid v7, which never collides
        return null;
    end if;
    -- the transition table alone, read into one value: the ids written, per tenant (Citus: it is
    -- never joined with the distributed table)
    select jsonb_object_agg(g.tenant_id, g.ids) into written
    from (
        select n.tenant_id::text as tenant_id, jsonb_agg(n.id) as ids
        from new_rows as n
        group by n.tenant_id
    ) as g;
    for tenant in select jsonb_object_keys(coalesce(written, '{}')) loop
        -- one primary-key probe per id and partition (not a scan of the tenant's events)
        select i.id into reused
        from unnest(array(select jsonb_array_elements_text(written -> tenant))::uuid[]) as i(id)
        where (
            select count(*)
            from app.vehicle_events as e
            where e.tenant_id = tenant::uuid
              and e.id = i.id
        ) > 1
        limit 1;
        if reused is not null then
            raise exception using
                errcode = 'unique_violation',
                constraint = 'vehicle_events_pkey',
                column = 'id',
                message = format('id: event %s exists already', reused),
                hint = 'Leave id out: the database makes one.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_vehicle_events_id_unique() is
    'AFTER INSERT trigger per statement on vehicle_events (_100_id_unique): refuses (409) a statement that writes an id an event of another month already has (the primary key includes occurred_at, so it cannot). Reads the ids from the transition table first, then looks them up per tenant. Statements of other triggers (source and photo events) are not looked up: they leave id to the database''s uuid v7.';

-- one generic plan per connection: planning the lookup over every partition costs more than running it
alter function app.tg_vehicle_events_id_unique() set plan_cache_mode = force_generic_plan;

create trigger _100_id_unique after insert on app.vehicle_events
    referencing new table as new_rows for each statement execute function app.tg_vehicle_events_id_unique();

create or replace function app.ensure_vehicle_event_partitions(
    start_month date default null,
    months_ahead integer default 6
)
returns setof text
language plpgsql
as $$
declare
    first_month date := date_trunc('month', coalesce(start_month, current_date))::date;
    last_month date := greatest(
        date_trunc('month', coalesce(start_month, current_date))::date,
        (date_trunc('month', current_date) + make_interval(months => coalesce(months_ahead, 0)))::date);
    month date;
    part text;
    moved bigint;
begin
    if months_ahead is null or months_ahead < 0 or months_ahead > 120 then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('months_ahead: must be between 0 and 120, got %s', months_ahead);
    end if;
    month := first_month;
    while month <= last_month loop
        part := format('vehicle_events_p%s', to_char(month, 'YYYY_MM'));
        if to_regclass('app.' || part) is null then
            perform 1 from app.vehicle_events_default
            where occurred_at >= month and occurred_at < month + interval '1 month'
            limit 1;
            if found then
                -- rows of this month wait in the default partition: move them (no row triggers
                -- fire: they are already validated, stamped and audited)
                alter table app.vehicle_events detach partition app.vehicle_events_default;
                execute format('create table app.%I (like app.vehicle_events including defaults including constraints)', part);
                execute format(
                    'insert into app.%I select * from app.vehicle_events_default where occurred_at >= $1 and occurred_at < $2',
                    part) using month, (month + interval '1 month');
                get diagnostics moved = row_count;
                delete from app.vehicle_events_default
                where occurred_at >= month and occurred_at < month + interval '1 month';
                execute format(
                    'alter table app.vehicle_events attach partition app.%I for values from (%L) to (%L)',
                    part, month, (month + interval '1 month')::date);
                alter table app.vehicle_events attach partition app.vehicle_events_default default;
                raise notice 'created app.% and moved % rows into it from the default partition', part, moved;
            else
                execute format(
                    'create table app.%I partition of app.vehicle_events for values from (%L) to (%L)',
                    part, month, (month + interval '1 month')::date);
            end if;
            execute format('comment on table app.%I is %L', part, format('vehicle_events of %s', to_char(month, 'YYYY-MM')));
            -- a partition belongs to the owner of app.vehicle_events, whoever runs this (a superuser
            -- loading data): the owner role attaches triggers to the partitioned table, which
            -- PostgreSQL clones onto every partition
            if (select c.relowner from pg_class as c where c.oid = format('app.%I', part)::regclass)
               <> (select c.relowner from pg_class as c where c.oid = 'app.vehicle_events'::regclass) then
                execute format('alter table app.%I owner to %I', part,
                    (select pg_get_userbyid(c.relowner) from pg_class as c where c.oid = 'app.vehicle_events'::regclass));
            end if;
            return next 'app.' || part;
        end if;
        month := (month + interval '1 month')::date;
    end loop;
    -- the planner's "vehicle implies tenant" statistics, on the new partitions too
    perform app.ensure_vehicle_event_statistics();
end
$$;
comment on function app.ensure_vehicle_event_partitions(date, integer) is
    'Creates the monthly partitions of app.vehicle_events from start_month (default: this month) to months_ahead months ahead (default 6), or just start_month''s month when that is later, that do not exist yet, moving rows of those months out of the default partition; returns the partitions created. Called on deploy and by the maintenance job (owner role), e.g. daily: select app.ensure_vehicle_event_partitions();. A partition it creates belongs to the owner of app.vehicle_events, whoever calls it.';

commit;
