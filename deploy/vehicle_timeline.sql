-- Deploy motovault:vehicle_timeline to pg
-- requires: vehicle_events
--
-- api.vehicle_timeline: the history of one vehicle, newest first, paged by limit/offset or keyset.
-- Inlined into the caller's query, so a page merges the monthly partitions' index scans newest first
-- and stops after the page (bench/events.py).

begin;

set local lock_timeout = '5s';

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
comment on function api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid) is
    $$The history of one vehicle, newest first: every event (fuel logs and maintenance records emit theirs), without voided events and void markers unless include_voided. Optional window [from, to). Page with limit and offset (GET /rpc/vehicle_timeline?vehicle_id=...&limit=50&offset=50) or, faster for deep pages, keyset: pass the last row's occurred_at and id as before and before_id.$$;
grant execute on function api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid) to app_user;

commit;
