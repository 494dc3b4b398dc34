-- Revert motovault:vehicle_events from pg: back to its @v1.1 definition
--
-- Not the whole @v1.1 deploy script (it creates the tables, which stay): the statement trigger goes,
-- and _200_prepare gets its @v1.1 body back (copied from deploy/vehicle_events@v1.1.sql).

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

commit;
