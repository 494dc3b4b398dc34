-- Revert motovault:vehicle_events_from_sources from pg: back to its @v1.1 definition (the deploy script of @v1.1)
-- requires: vehicle_events
-- requires: fuel_logs
-- requires: odometer_entries
-- requires: maintenance
--
-- Fuel logs, completed maintenance records and odometer entries write their events into the
-- vehicle's stream by trigger, so vehicle_timeline is the merged history:
--   insert of a live row        -> a new event (fuel / maintenance / odometer / odometer_reset),
--                                  source_id = the row's id
--   update that changes what the event says -> a new event that voids the current one
--   soft delete (or maintenance going back out of completed) -> a void event
--   restore                     -> a new event
-- The source rows stay the system of record; the stream never changes in place.

begin;

set local lock_timeout = '5s';

-- what the rework created; the @v1.1 script below creates its row triggers again
drop trigger _500_events_insert on app.fuel_logs;
drop trigger _500_events_update on app.fuel_logs;
drop trigger _500_events_insert on app.maintenance;
drop trigger _500_events_update on app.maintenance;
drop trigger _500_events_insert on app.odometer_entries;
drop trigger _500_events_update on app.odometer_entries;

create or replace function app.source_event(kind text, r jsonb)
returns table (type text, occurred_at timestamptz, odometer numeric, odometer_unit text, payload jsonb)
language sql
immutable
parallel safe
as $$
    select
        case
            when kind = 'fuel' then 'fuel'
            when kind = 'maintenance' then 'maintenance'
            when r ->> 'kind' = 'reset' then 'odometer_reset'
            else 'odometer'
        end,
        ((r ->> 'read_at')::timestamp) at time zone 'UTC',
        (r ->> 'odometer')::numeric,
        case when r ->> 'odometer' is not null then r ->> 'odometer_unit' end,
        jsonb_strip_nulls(case kind
            when 'fuel' then jsonb_build_object(
                'fuel_log_id', r -> 'id',
                'fuel_type', r -> 'fuel_type',
                'volume', r -> 'volume',
                'volume_unit', r -> 'volume_unit',
                'fill_type', case when (r ->> 'is_full')::boolean then 'full' else 'partial' end,
                'missed_previous', case when (r ->> 'missed_previous')::boolean then true end,
                'total_cost', r -> 'total_cost',
                'currency', r -> 'currency')
            when 'maintenance' then jsonb_build_object(
                'maintenance_id', r -> 'id',
                'category', r -> 'type',
                'description', r -> 'description',
                'total_cost', r -> 'cost',
                'currency', r -> 'currency')
            else case when r ->> 'kind' = 'reset'
                then jsonb_build_object('reason', 'other')
                else jsonb_build_object('source', 'manual')
            end
        end)
$$;
comment on function app.source_event(text, jsonb) is
    'The event a fuel log (kind fuel), maintenance record (maintenance) or odometer entry (odometer) stands for: type, time (read_at as UTC), odometer, unit, payload.';

create or replace function app.tg_emit_source_events()
returns trigger
language plpgsql
as $$
declare
    kind constant text := tg_argv[0];
    row_now jsonb := to_jsonb(new);
    live boolean;
    ev record;
    cur_id uuid;
    cur_vehicle uuid;
    cur_event jsonb;
begin
    live := row_now ->> 'deleted_at' is null
        and (kind <> 'maintenance' or row_now ->> 'status' = 'completed')
        and row_now ->> 'read_at' is not null;
    if tg_op = 'UPDATE' then
        select e.id, e.vehicle_id, jsonb_build_array(e.type, e.occurred_at, e.odometer, e.odometer_unit, e.payload)
        into cur_id, cur_vehicle, cur_event
        from app.vehicle_events as e
        where e.tenant_id = old.tenant_id
          and e.source_id = old.id
          and e.type <> 'void'
          and not exists (
              select from app.vehicle_event_voids as x
              where x.tenant_id = e.tenant_id and x.voided_event_id = e.id
          )
        order by e.created_at desc, e.id desc
        limit 1;
    end if;
    if live then
        select * into ev from app.source_event(kind, row_now);
        if cur_id is not null
           and cur_vehicle = new.vehicle_id
           and cur_event = jsonb_build_array(ev.type, ev.occurred_at, ev.odometer, ev.odometer_unit, ev.payload) then
            return null;  -- nothing the event shows changed
        end if;
        if cur_id is not null and cur_vehicle <> new.vehicle_id then
            insert into app.vehicle_events (tenant_id, vehicle_id, type, payload, voids_event_id, source_id)
            values (new.tenant_id, cur_vehicle, 'void',
                    jsonb_build_object('reason', format('%s moved to another vehicle', tg_table_name)), cur_id, new.id);
            cur_id := null;
        end if;
        insert into app.vehicle_events
            (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, voids_event_id, source_id)
        values
            (new.tenant_id, new.vehicle_id, ev.type, ev.occurred_at, ev.odometer, ev.odometer_unit, ev.payload, cur_id, new.id);
    elsif cur_id is not null then
        insert into app.vehicle_events (tenant_id, vehicle_id, type, payload, voids_event_id, source_id)
        values (new.tenant_id, cur_vehicle, 'void',
                jsonb_build_object('reason', format('%s %s', tg_table_name,
                    case when row_now ->> 'deleted_at' is not null then 'deleted' else 'no longer completed' end)),
                cur_id, new.id);
    end if;
    return null;
end
$$;
comment on function app.tg_emit_source_events() is
    'AFTER INSERT OR UPDATE trigger of fuel_logs, maintenance and odometer_entries (argument: fuel, maintenance or odometer): appends the row''s event to vehicle_events, a correcting event when the row changes, a void event when it is deleted.';

create trigger _500_events after insert or update on app.fuel_logs
    for each row execute function app.tg_emit_source_events('fuel');
create trigger _500_events after insert or update on app.maintenance
    for each row execute function app.tg_emit_source_events('maintenance');
create trigger _500_events after insert or update on app.odometer_entries
    for each row execute function app.tg_emit_source_events('odometer');

grant execute on function app.source_event(text, jsonb) to app_user;

-- rows written before this change get their events once
insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, source_id)
select s.tenant_id, s.vehicle_id, ev.type, ev.occurred_at, ev.odometer, ev.odometer_unit, ev.payload, s.id
from (
    select 'fuel' as kind, tenant_id, vehicle_id, id, to_jsonb(f) as r from app.fuel_logs as f where deleted_at is null
    union all
    select 'maintenance', tenant_id, vehicle_id, id, to_jsonb(m) from app.maintenance as m
    where deleted_at is null and status = 'completed' and read_at is not null
    union all
    select 'odometer', tenant_id, vehicle_id, id, to_jsonb(o) from app.odometer_entries as o where deleted_at is null
) as s
cross join lateral app.source_event(s.kind, s.r) as ev
where not exists (select from app.vehicle_events as e where e.tenant_id = s.tenant_id and e.source_id = s.id);

commit;
