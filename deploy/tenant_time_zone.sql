-- Deploy motovault:tenant_time_zone to pg
-- requires: tenant_settings
-- requires: time_zones
--
-- The tenant's time zone and the local time of day reminders notify at (reminder_alerts): a
-- reminder becomes due at 09:00 in the garage's (or else the tenant's) time zone, not at
-- midnight UTC.

begin;

set local lock_timeout = '5s';

alter table app.tenant_settings
    add column time_zone text
        constraint tenant_settings_time_zone_known check (time_zone is null or app.is_time_zone(time_zone)),
    add column reminder_notify_time time not null default time '09:00';
comment on column app.tenant_settings.time_zone is
    'IANA time zone of the tenant (a vehicle''s garage time zone wins); NULL: UTC.';
comment on column app.tenant_settings.reminder_notify_time is
    'Local time of day at which a reminder that became due notifies (reminder.due_soon, reminder.overdue).';

commit;
