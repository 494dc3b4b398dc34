-- Verify motovault:vehicle_events_from_sources on pg

select 'app.tg_emit_source_events()'::regprocedure, 'app.source_event(text, jsonb)'::regprocedure;
select 1 / (count(*) = 6)::integer from pg_trigger where tgfoid = 'app.tg_emit_source_events()'::regprocedure;
