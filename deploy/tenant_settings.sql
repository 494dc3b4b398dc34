-- Deploy motovault:tenant_settings to pg
-- requires: tenant_settings@v1.1
-- requires: tenant_time_zone
--
-- Reworked after @v1.1: api.tenant_settings also shows and writes the tenant's time zone and the
-- local time reminders notify at (tenant_time_zone, docs/notifications.md). The view only gains
-- columns at its end, so create or replace keeps its trash view and restore RPC.

begin;

set local lock_timeout = '5s';

create or replace view api.tenant_settings
with (security_invoker = true)
as
select tenant_id, id, reminder_urgent_days, reminder_very_urgent_days, reminder_urgent_km, reminder_very_urgent_km,
       created_at, updated_at, created_by, updated_by, time_zone, reminder_notify_time
from app.tenant_settings
where deleted_at is null;
comment on view api.tenant_settings is
    'Settings of the active tenant (at most one row; defaults apply without one): reminder urgency thresholds, time zone and the local time reminders notify at. urgent / very_urgent when at most this many days or km are left.';
comment on column api.tenant_settings.time_zone is
    'IANA time zone of the tenant, e.g. Europe/Berlin (NULL: UTC). A vehicle''s garage time zone wins for its reminders.';
comment on column api.tenant_settings.reminder_notify_time is
    'Local time of day (default 09:00) at which a reminder that became due sends reminder.due_soon / reminder.overdue.';

commit;
