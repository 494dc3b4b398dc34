-- Verify motovault:notify_subscriptions on pg

select tenant_id, id, name, channel, target_hint, event_types, vehicle_ids, active, flagged_at, deleted_at
from app.notify_subscriptions where false;
select target from auth_private.notify_targets where false;
select secret, expires_at from auth_private.notify_signing_secrets where false;
select id from api.notify_subscriptions where false;
select 'api.create_subscription(text, text, text, text[], uuid[], boolean)'::regprocedure;
