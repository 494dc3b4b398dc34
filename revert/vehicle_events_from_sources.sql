-- Revert motovault:vehicle_events_from_sources from pg

begin;

drop trigger odometer_entries_events on app.odometer_entries;
drop trigger maintenance_events on app.maintenance;
drop trigger fuel_logs_events on app.fuel_logs;
drop function app.emit_source_events();
drop function app.source_event(text, jsonb);

commit;
