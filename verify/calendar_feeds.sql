-- Verify motovault:calendar_feeds on pg

select tenant_id, id, user_id, name, deleted_at from app.calendar_feeds where false;
select token_hash, feed_id from auth_private.calendar_feed_tokens where false;
select id from api.calendar_feeds where false;
select 'api.calendar(text)'::regprocedure, 'api.create_calendar_feed(text)'::regprocedure;
