-- Revert motovault:vehicle_events from pg

begin;

-- execute on app.uuid_v7() stays: fuel_logs (earlier in the plan) grants it too and revokes it on its revert
drop function api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid);
drop view api.vehicle_events;
drop function app.ensure_vehicle_event_partitions(date, integer);
drop table app.vehicle_event_voids;
drop table app.vehicle_events;  -- with its partitions
drop function app.refuse_event_change();
drop function app.vehicle_events_record_void();
drop function app.vehicle_events_prepare();
drop function app.vehicle_event_payload_problem(text, jsonb);
drop function app.vehicle_event_payload_spec(text);
drop function app.vehicle_event_types();
drop function app.is_date_text(text);

commit;
