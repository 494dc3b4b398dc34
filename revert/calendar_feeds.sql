-- Revert motovault:calendar_feeds from pg

begin;

drop function api.create_calendar_feed(text);
drop function api.calendar(text);
drop function api.restore_calendar_feed(uuid);
drop view api.calendar_feeds_trash;
drop view api.calendar_feeds;
drop table auth_private.calendar_feed_tokens;
drop table app.calendar_feeds;
drop function app.ical_fold(text);
drop function app.ical_text(text);
drop domain api."text/calendar";

commit;
