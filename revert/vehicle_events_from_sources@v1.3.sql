-- Revert motovault:vehicle_events_from_sources from pg: back to its @v1.2 definition
--
-- app.tg_emit_source_events() as in deploy/vehicle_events_from_sources@v1.2.sql (the events get
-- their stamp from _500_stamp again).

begin;

set local lock_timeout = '5s';

create or replace function app.tg_emit_source_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    kind constant text := tg_argv[0];
    changes jsonb;
    tenant text;
begin
    if tg_level <> 'STATEMENT' then
        raise exception using
            errcode = 'feature_not_supported',
            message = format('app.tg_emit_source_events() on %s: a statement trigger, not a row trigger', tg_table_name),
            hint = 'Attach it as _500_events_insert (after insert, referencing new table as new_rows) and _500_events_update (after update, referencing old table as old_rows new table as new_rows), for each statement.';
    end if;
    -- 1. the transition tables alone, read into one local value: [{"old": row, "new": row}, ...]
    --    (on Citus a transition table cannot meet a distributed table in one query)
    if tg_op = 'INSERT' then
        select jsonb_agg(jsonb_build_object('new', x.j) order by x.ord) into changes
        from (select to_jsonb(r) as j, row_number() over () as ord from new_rows as r) as x
        where x.j ->> 'deleted_at' is null
          and (kind <> 'maintenance' or x.j ->> 'status' = 'completed')
          and x.j ->> 'read_at' is not null;
    else
        with o as (select to_jsonb(r) as j from old_rows as r),
             n as (select to_jsonb(r) as j, row_number() over () as ord from new_rows as r)
        select jsonb_agg(jsonb_build_object('old', o.j, 'new', n.j) order by n.ord) into changes
        from n
        join o on o.j -> 'tenant_id' = n.j -> 'tenant_id' and o.j -> 'id' = n.j -> 'id';
    end if;
    if changes is null then
        return null;
    end if;

    -- 2. per tenant: the events of that tenant, from that value and the tenant's own rows
    for tenant in select distinct c -> 'new' ->> 'tenant_id' from jsonb_array_elements(changes) as c loop
        if tg_op = 'INSERT' then
            insert into app.vehicle_events
                (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, source_id)
            select tenant::uuid, (c -> 'new' ->> 'vehicle_id')::uuid, ev.type, ev.occurred_at, ev.odometer,
                   ev.odometer_unit, ev.payload, (c -> 'new' ->> 'id')::uuid
            from jsonb_array_elements(changes) with ordinality as x(c, ord)
            cross join lateral app.source_event(kind, c -> 'new') as ev
            where c -> 'new' ->> 'tenant_id' = tenant
            order by x.ord;
            continue;
        end if;
        -- an update: each row's current (not voided) event, then what replaces it
        with rows as (
            select x.ord, (c -> 'new' ->> 'id')::uuid as id, (c -> 'new' ->> 'vehicle_id')::uuid as vehicle_id,
                   c -> 'new' as r,
                   c -> 'new' ->> 'deleted_at' is null
                       and (kind <> 'maintenance' or c -> 'new' ->> 'status' = 'completed')
                       and c -> 'new' ->> 'read_at' is not null as live,
                   c -> 'new' ->> 'deleted_at' is not null as deleted
            from jsonb_array_elements(changes) with ordinality as x(c, ord)
            where c -> 'new' ->> 'tenant_id' = tenant
        ),
        current_events as (
            select distinct on (e.source_id) e.source_id, e.id, e.vehicle_id,
                   jsonb_build_array(e.type, e.occurred_at, e.odometer, e.odometer_unit, e.payload) as shown
            from app.vehicle_events as e
            where e.tenant_id = tenant::uuid
              and e.source_id = any (array(select rows.id from rows))
              and e.type <> 'void'
              and not exists (
                  select from app.vehicle_event_voids as v
                  where v.tenant_id = e.tenant_id and v.voided_event_id = e.id
              )
            order by e.source_id, e.created_at desc, e.id desc
        ),
        planned as (
            select s.ord, s.id, s.vehicle_id, s.live, s.deleted, ev.*,
                   cur.id as cur_id, cur.vehicle_id as cur_vehicle_id, cur.shown
            from rows as s
            left join current_events as cur on cur.source_id = s.id
            left join lateral app.source_event(kind, s.r) as ev on s.live
        )
        insert into app.vehicle_events
            (tenant_id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, voids_event_id, source_id)
        select tenant::uuid, e.vehicle_id, e.type, e.occurred_at, e.odometer, e.odometer_unit, e.payload,
               e.voids_event_id, e.source_id
        from (
            -- moved to another vehicle: the old vehicle's event is voided
            select p.ord, 1 as step, p.cur_vehicle_id as vehicle_id, 'void' as type, now() as occurred_at,
                   null::numeric as odometer, null::text as odometer_unit,
                   jsonb_build_object('reason', format('%s moved to another vehicle', tg_table_name)) as payload,
                   p.cur_id as voids_event_id, p.id as source_id
            from planned as p
            where p.live and p.cur_id is not null and p.cur_vehicle_id <> p.vehicle_id
            union all
            -- live: a new event (voiding the current one of the same vehicle) unless nothing it shows changed
            select p.ord, 2, p.vehicle_id, p.type, p.occurred_at, p.odometer, p.odometer_unit, p.payload,
                   case when p.cur_vehicle_id = p.vehicle_id then p.cur_id end, p.id
            from planned as p
            where p.live
              and (p.cur_id is null
                   or p.cur_vehicle_id <> p.vehicle_id
                   or p.shown <> jsonb_build_array(p.type, p.occurred_at, p.odometer, p.odometer_unit, p.payload))
            union all
            -- no longer live: its event is voided
            select p.ord, 3, p.cur_vehicle_id, 'void', now(), null, null,
                   jsonb_build_object('reason', format('%s %s', tg_table_name,
                       case when p.deleted then 'deleted' else 'no longer completed' end)),
                   p.cur_id, p.id
            from planned as p
            where not p.live and p.cur_id is not null
        ) as e
        order by e.ord, e.step;
    end loop;
    return null;
end
$$;
comment on function app.tg_emit_source_events() is
    'AFTER INSERT and AFTER UPDATE trigger, per statement, of fuel_logs, maintenance and odometer_entries (_500_events_insert, _500_events_update; argument: fuel, maintenance or odometer): reads the transition tables into one value, then per tenant appends each row''s event to vehicle_events, a correcting event when a row changes what its event shows, a void event when it is deleted (or moved to another vehicle). SECURITY DEFINER: the events of rows the caller wrote under the tenant rules.';

commit;
