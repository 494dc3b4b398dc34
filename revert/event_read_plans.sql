-- Revert motovault:event_read_plans from pg
--
-- Puts back the definitions of api.fleet_overview, api.vehicle_timeline and
-- app.ensure_vehicle_event_partitions from analytics_views and vehicle_events, and drops the
-- "vehicle implies tenant" statistics of every partition.

begin;

set local lock_timeout = '5s';

create or replace view api.fleet_overview
with (security_invoker = true)
as
select
    v.tenant_id,
    v.id as vehicle_id,
    v.display_name,
    v.make,
    v.model,
    v.year,
    v.is_active,
    v.odometer_reading,
    v.odometer_unit,
    last.occurred_at as last_event_at,
    last.type as last_event_type,
    coalesce(recent.events, 0) as events_last_30_days,
    img.id as primary_image_id
from app.vehicles as v
left join lateral (
    select e.occurred_at, e.type
    from app.vehicle_events as e
    where e.tenant_id = v.tenant_id and e.vehicle_id = v.id and e.type <> 'void'
    order by e.occurred_at desc, e.id desc
    limit 1
) as last on true
left join lateral (
    select count(*) as events
    from app.vehicle_events as e
    where e.tenant_id = v.tenant_id and e.vehicle_id = v.id
      and e.occurred_at >= now() - interval '30 days' and e.type <> 'void'
) as recent on true
left join app.vehicle_images as img
    on img.tenant_id = v.tenant_id and img.vehicle_id = v.id and img.is_primary and img.deleted_at is null
where v.deleted_at is null;

create or replace function api.vehicle_timeline(
    vehicle_id uuid,
    "from" timestamptz default null,
    "to" timestamptz default null,
    include_voided boolean default false,
    before timestamptz default null,
    before_id uuid default null
)
returns setof api.vehicle_events
language sql
stable
as $$
    -- inlined into the caller's query (SQL, stable, not strict, not security definer), so
    -- PostgREST's limit/offset reach the index scans. The voided check is a join with the vehicle's
    -- few voids (one index scan), not a lookup per event.
    select e.tenant_id, e.id, e.vehicle_id, e.type, e.occurred_at, e.odometer, e.odometer_unit, e.payload,
           e.voids_event_id, x.voiding_event_id, e.source_id, e.created_at, e.created_by
    from app.vehicle_events as e
    left join app.vehicle_event_voids as x
        on x.tenant_id = e.tenant_id
       and x.vehicle_id = e.vehicle_id
       and x.voided_event_id = e.id
    where e.tenant_id = app.current_tenant_id()
      and e.vehicle_id = vehicle_timeline.vehicle_id
      and e.occurred_at >= coalesce(vehicle_timeline."from", '-infinity')
      and e.occurred_at < coalesce(vehicle_timeline."to", 'infinity')
      and e.occurred_at <= coalesce(vehicle_timeline.before, 'infinity')
      and (vehicle_timeline.before is null
           or (e.occurred_at, e.id) < (vehicle_timeline.before, coalesce(vehicle_timeline.before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)))
      and (vehicle_timeline.include_voided or (x.voiding_event_id is null and e.type <> 'void'))
    order by e.occurred_at desc, e.id desc
$$;

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
end
$$;

do $$
declare
    stat text;
begin
    for stat in
        select format('%I.%I', s.stxnamespace::regnamespace, s.stxname)
        from pg_statistic_ext as s
        join pg_inherits as i on i.inhrelid = s.stxrelid
        where i.inhparent = 'app.vehicle_events'::regclass
          and s.stxname like '%\_vehicle\_implies\_tenant'
    loop
        execute 'drop statistics ' || stat;
    end loop;
end
$$;

drop function app.ensure_vehicle_event_statistics();

commit;
