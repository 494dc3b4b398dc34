-- Verify motovault:vehicle_events_from_sources on pg

select 'app.emit_source_events()'::regprocedure;
select 'app.source_event(text, jsonb)'::regprocedure;
select 1 / count(*)::int from pg_trigger where tgname = 'fuel_logs_events' and tgrelid = 'app.fuel_logs'::regclass;
select 1 / count(*)::int from pg_trigger where tgname = 'maintenance_events' and tgrelid = 'app.maintenance'::regclass;
select 1 / count(*)::int from pg_trigger where tgname = 'odometer_entries_events' and tgrelid = 'app.odometer_entries'::regclass;
