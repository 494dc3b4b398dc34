-- Verify motovault:notify_deliveries on pg

select tenant_id, id, subscription_id, event_id, status, attempts, next_attempt_at, lease_until from app.notify_deliveries where false;
select id, status from api.notify_deliveries where false;
select 'app.notify_claim(integer, text, integer)'::regprocedure, 'app.notify_finish(jsonb, text)'::regprocedure,
       'app.notify_dispatch(integer)'::regprocedure, 'api.replay_delivery(uuid)'::regprocedure;
