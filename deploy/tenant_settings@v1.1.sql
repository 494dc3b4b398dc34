-- Deploy motovault:tenant_settings to pg
-- requires: tenancy
--
-- Per-tenant settings, one live row per tenant (defaults apply without one): reminder urgency
-- thresholds in days and km.

begin;

set local lock_timeout = '5s';

create table app.tenant_settings (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    reminder_urgent_days integer not null default 30,
    reminder_very_urgent_days integer not null default 7,
    reminder_urgent_km integer not null default 1500,
    reminder_very_urgent_km integer not null default 500,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint tenant_settings_pkey primary key (tenant_id, id),
    constraint tenant_settings_urgent_days_range check (reminder_urgent_days between 0 and 3650),
    constraint tenant_settings_very_urgent_days_within_urgent check (reminder_very_urgent_days between 0 and reminder_urgent_days),
    constraint tenant_settings_urgent_km_range check (reminder_urgent_km between 0 and 1000000),
    constraint tenant_settings_very_urgent_km_within_urgent check (reminder_very_urgent_km between 0 and reminder_urgent_km)
);
comment on table app.tenant_settings is
    'Per-tenant settings, one live row per tenant: reminder urgency thresholds in days and km (defaults 30/7 days, 1500/500 km when there is no row).';
select app.distribute_table('app.tenant_settings', 'tenant');
alter table app.tenant_settings
    add constraint tenant_settings_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create unique index tenant_settings_one_per_tenant on app.tenant_settings (tenant_id) where deleted_at is null;

select app.enable_tenant_rules('app.tenant_settings');

create or replace view api.tenant_settings
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
