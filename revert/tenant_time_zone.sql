-- Revert motovault:tenant_time_zone from pg

begin;

alter table app.tenant_settings
    drop column reminder_notify_time,
    drop column time_zone;

commit;
