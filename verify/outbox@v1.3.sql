-- Verify motovault:outbox on pg

select tenant_id, id, type, version, vehicle_id, subject, occurred_at, dispatched_at from app.outbox_events where false;
select 'app.emit_outbox_event(uuid, text, jsonb, uuid)'::regprocedure;
select type from api.notify_event_types where false;
select 1 / count(*) from pg_trigger where tgname = '_800_outbox_insert' and tgrelid = 'app.fuel_logs'::regclass;
select 'app.uuid_v7_step(bytea, bigint, bigint)'::regprocedure, 'app.tg_outbox_vehicles()'::regprocedure;
select 1 / count(*) from pg_trigger where tgname = '_800_outbox_insert' and tgrelid = 'app.vehicles'::regclass
    and tgfoid = 'app.tg_outbox_vehicles()'::regprocedure;
