-- Revert motovault:vehicle_events from pg: back to its @v1.1 definition
--
-- Not the whole @v1.1 deploy script (it creates the tables, which stay): the statement trigger goes,
-- and _200_prepare and ensure_vehicle_event_partitions get their @v1.1 bodies back (copied from
-- deploy/vehicle_events@v1.1.sql).

begin;

set local lock_timeout = '5s';

drop trigger _100_id_unique on app.vehicle_events;
drop function app.tg_vehicle_events_id_unique();

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
    problem := app.vehicle_event_payload_problem(new.type, new.payload);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicle_events_payload_valid',
            column = 'payload',
            message = problem,
            detail = format('payload rules of %s events: %s', new.type, app.vehicle_event_payload_spec(new.type)),
            hint = 'Send only the keys listed for the type, with the JSON types and ranges given.';
    end if;
    -- the primary key includes occurred_at (partitioning), so it cannot refuse an id reused in
    -- another month: look it up (one probe per partition; database-made uuid v7 ids never collide,
    -- two concurrent inserts of the same client-made id in different months are not caught)
    if exists (
        select from app.vehicle_events as e
        where e.tenant_id = coalesce(new.tenant_id, app.current_tenant_id())
          and e.id = new.id
          and e.occurred_at <> new.occurred_at  -- same occurred_at: the primary key (and ON CONFLICT) handle it
    ) then
        raise exception using
            errcode = 'unique_violation',
            constraint = 'vehicle_events_pkey',
            column = 'id',
            message = format('id: event %s exists already', new.id),
            hint = 'Leave id out: the database makes one.';
    end if;
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
    'BEFORE INSERT on vehicle_events (_200_prepare): explains an unknown type or an invalid payload (message names the payload key), fills odometer_unit from the vehicle, checks that voids_event_id names a live event of the same vehicle.';

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
            return next 'app.' || part;
        end if;
        month := (month + interval '1 month')::date;
    end loop;
    -- the planner's "vehicle implies tenant" statistics, on the new partitions too
    perform app.ensure_vehicle_event_statistics();
end
$$;
comment on function app.ensure_vehicle_event_partitions(date, integer) is
    'Creates the monthly partitions of app.vehicle_events from start_month (default: this month) to months_ahead months ahead (default 6), or just start_month''s month when that is later, that do not exist yet, moving rows of those months out of the default partition; returns the partitions created. Called on deploy and by the maintenance job (owner role), e.g. daily: select app.ensure_vehicle_event_partitions();';

commit;
