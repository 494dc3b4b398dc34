-- Revert motovault:vehicle_events from pg

begin;

drop view api.vehicle_events;
drop function app.ensure_vehicle_event_partitions(date, integer);
drop function app.ensure_vehicle_event_statistics();
drop table app.vehicle_event_voids;
drop table app.vehicle_events;  -- with its partitions and their statistics
drop function app.tg_refuse_change();
drop function app.tg_vehicle_events_record_void();
drop function app.tg_vehicle_events_prepare();
drop function app.vehicle_event_payload_problem(text, jsonb);
drop function app.vehicle_event_payload_spec(text);
drop function app.vehicle_event_types();

commit;
