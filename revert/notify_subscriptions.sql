-- Revert motovault:notify_subscriptions from pg

begin;

drop function api.rotate_subscription_secret(uuid, integer);
drop function api.create_subscription(text, text, text, text[], uuid[], boolean);
drop function api.restore_notify_subscription(uuid);
drop view api.notify_subscriptions_trash;
drop view api.notify_subscriptions;
drop table auth_private.notify_signing_secrets;
drop table auth_private.notify_targets;
drop table app.notify_subscriptions;
drop function app.tg_notify_subscriptions_prepare();
drop function app.new_webhook_secret();
drop function app.require_notify_manager();
drop function app.notify_target_refused(text);
drop function app.notify_wants(text[], text);
drop function app.notify_event_types_known(text[]);

commit;
