-- Revert motovault:tenant_settings from pg: api.tenant_settings as @v1.1 defined it (without
-- time_zone and reminder_notify_time). A view cannot lose columns with create or replace: it is
-- dropped with its trash surface and recreated as deploy/tenant_settings@v1.1.sql made it.

begin;

set local lock_timeout = '5s';

drop function api.restore_tenant_settings(uuid);
drop view api.tenant_settings_trash;
drop view api.tenant_settings;

create view api.tenant_settings
with (security_invoker = true)
as
select tenant_id, id, reminder_urgent_days, reminder_very_urgent_days, reminder_urgent_km, reminder_very_urgent_km,
       created_at, updated_at, created_by, updated_by
from app.tenant_settings
where deleted_at is null;
comment on view api.tenant_settings is
    'Settings of the active tenant (at most one row; defaults apply without one): reminder urgency thresholds. urgent / very_urgent when at most this many days or km are left.';
comment on column api.tenant_settings.reminder_urgent_days is 'Days left at or below which a reminder is urgent (default 30).';
comment on column api.tenant_settings.reminder_very_urgent_days is 'Days left at or below which a reminder is very urgent (default 7, at most reminder_urgent_days).';
comment on column api.tenant_settings.reminder_urgent_km is 'Kilometres left at or below which a reminder is urgent (default 1500; vehicles in miles are converted).';
comment on column api.tenant_settings.reminder_very_urgent_km is 'Kilometres left at or below which a reminder is very urgent (default 500, at most reminder_urgent_km).';
select app.create_trash_api('api.tenant_settings', 'tenant_settings', 'settings rows', '409 if the tenant has another one now');

grant select, insert, update on api.tenant_settings to app_user;  -- delete: app.create_trash_api

commit;
