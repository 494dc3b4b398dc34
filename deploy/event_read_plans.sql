-- Deploy motovault:event_read_plans to pg
-- requires: vehicle_events
-- requires: analytics_views
--
-- One vehicle's timeline page and a tenant's fleet overview read a bounded slice of the event
-- stream, whatever its size (bench/events.py, 10 million events over 10,000 tenants):
--   * every partition of app.vehicle_events gets extended statistics "vehicle implies tenant"
--     (functional dependency vehicle_id => tenant_id). Without them the planner multiplies the
--     selectivity of the tenant policy by that of vehicle_id, estimates ~1 event per vehicle and
--     partition, and sorts the vehicle's whole history (~340 events, ~400 buffers) for a page of 50;
--     with them it estimates the history right and merges the partitions' index scans newest first,
--     stopping after the page (~170 buffers). app.ensure_vehicle_event_statistics() creates them
--     (and analyzes those partitions); app.ensure_vehicle_event_partitions() calls it for every
--     partition it creates;
--   * api.vehicle_timeline leaves the tenant condition to the row-level policy (the function's own
--     copy was evaluated again for every row, parsing the JWT claims each time) and tests "not
--     voided" against the vehicle's voided ids, fetched once, instead of a LEFT JOIN ... IS NULL
--     filter that the planner estimates at ~0 rows;
--   * api.fleet_overview finds each vehicle's latest event in the same 30-day window that it counts
--     (one pass over the two newest months' partitions) and looks further back only for a vehicle
--     with no event in that window, instead of opening every monthly partition for every vehicle.

begin;

set local lock_timeout = '5s';

create function app.ensure_vehicle_event_statistics()
returns setof text
language plpgsql
as $$
declare
    part regclass;
    stat text;
begin
    for part in
        select i.inhrelid::regclass
        from pg_inherits as i
        where i.inhparent = 'app.vehicle_events'::regclass
        order by 1
    loop
        stat := (select c.relname from pg_class as c where c.oid = part) || '_vehicle_implies_tenant';
        if not exists (
            select from pg_statistic_ext as s
            where s.stxrelid = part
              and s.stxnamespace = 'app'::regnamespace
              and s.stxname = stat
        ) then
            execute format('create statistics app.%I (dependencies) on tenant_id, vehicle_id from %s', stat, part);
            execute format('comment on statistics app.%I is %L', stat,
                'vehicle_id determines tenant_id: lets the planner estimate one vehicle''s events under the tenant policy');
            execute format('analyze %s', part);
            return next 'app.' || stat;
        end if;
    end loop;
end
$$;
comment on function app.ensure_vehicle_event_statistics() is
    'Creates the extended statistics <partition>_vehicle_implies_tenant (dependencies on tenant_id, vehicle_id) on every partition of app.vehicle_events that lacks them and analyzes that partition; returns the statistics created. Called on deploy and by app.ensure_vehicle_event_partitions().';

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

do $$
begin
    perform app.ensure_vehicle_event_statistics();
end
$$;

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
    -- PostgREST's limit/offset reach the index scans: a page merges the monthly partitions' index
    -- scans newest first and stops. The tenant condition is the row-level policy's. Voided events:
    -- the vehicle's voided ids are fetched once (an InitPlan) and compared with each event; the
    -- LEFT JOIN only names, for include_voided, the event that voided a row.
    select e.tenant_id, e.id, e.vehicle_id, e.type, e.occurred_at, e.odometer, e.odometer_unit, e.payload,
           e.voids_event_id, x.voiding_event_id, e.source_id, e.created_at, e.created_by
    from app.vehicle_events as e
    left join app.vehicle_event_voids as x
        on x.tenant_id = e.tenant_id
       and x.vehicle_id = e.vehicle_id
       and x.voided_event_id = e.id
    where e.vehicle_id = vehicle_timeline.vehicle_id
      and e.occurred_at >= coalesce(vehicle_timeline."from", '-infinity')
      and e.occurred_at < coalesce(vehicle_timeline."to", 'infinity')
      and e.occurred_at <= coalesce(vehicle_timeline.before, 'infinity')
      and (vehicle_timeline.before is null
           or (e.occurred_at, e.id) < (vehicle_timeline.before, coalesce(vehicle_timeline.before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)))
      and (vehicle_timeline.include_voided
           or (e.type <> 'void'
               and e.id <> all (array(
                   select v.voided_event_id
                   from app.vehicle_event_voids as v
                   where v.vehicle_id = vehicle_timeline.vehicle_id))))
    order by e.occurred_at desc, e.id desc
$$;

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
    coalesce(recent.last_event_at, older.occurred_at) as last_event_at,
    coalesce(recent.last_event_type, older.type) as last_event_type,
    recent.events as events_last_30_days,
    img.id as primary_image_id
from app.vehicles as v
cross join lateral (
    select
        count(*) as events,
        max(e.occurred_at) as last_event_at,
        (array_agg(e.type order by e.occurred_at desc, e.id desc))[1] as last_event_type
    from app.vehicle_events as e
    where e.tenant_id = v.tenant_id
      and e.vehicle_id = v.id
      and e.occurred_at >= now() - interval '30 days'
      and e.type <> 'void'
) as recent
left join lateral (
    -- only for a vehicle without events in the window: its latest event is older
    select e.occurred_at, e.type
    from app.vehicle_events as e
    where recent.events = 0
      and e.tenant_id = v.tenant_id
      and e.vehicle_id = v.id
      and e.type <> 'void'
    order by e.occurred_at desc, e.id desc
    limit 1
) as older on true
left join app.vehicle_images as img
    on img.tenant_id = v.tenant_id and img.vehicle_id = v.id and img.is_primary and img.deleted_at is null
where v.deleted_at is null;

commit;
