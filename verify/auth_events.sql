-- Verify motovault:auth_events on pg

select id, event, user_id, tenant_id, session_id, detail, occurred_at from audit.auth_events where false;
select id, occurred_at, event from api.auth_events where false;
