-- Revert motovault:vehicle_events_from_sources from pg

begin;

drop trigger _500_events on app.odometer_entries;
drop trigger _500_events on app.maintenance;
drop trigger _500_events on app.fuel_logs;
drop function app.tg_emit_source_events();
drop function app.source_event(text, jsonb);

commit;
