-- Verify motovault:vehicle_events on pg

select tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, voids_event_id, source_id,
       created_at, updated_at, created_by, updated_by
from app.vehicle_events
where false;
select tenant_id, voided_event_id, voided_occurred_at, vehicle_id, voiding_event_id, voiding_occurred_at,
       created_at, updated_at, created_by, updated_by
from app.vehicle_event_voids
where false;
select 1 / (select count(*)::int from pg_inherits where inhparent = 'app.vehicle_events'::regclass);
select 'app.vehicle_events_default'::regclass;
select id, voided_by_event_id from api.vehicle_events where false;
select 'api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid)'::regprocedure;
select 'app.ensure_vehicle_event_partitions(date, integer)'::regprocedure;
select 'app.vehicle_event_payload_problem(text, jsonb)'::regprocedure;
