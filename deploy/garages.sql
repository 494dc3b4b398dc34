-- Deploy motovault:garages to pg
-- requires: tenancy
-- requires: time_zones

begin;

set local lock_timeout = '5s';

create table app.garages (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    name text not null,
    address text,
    latitude numeric(8, 6),
    longitude numeric(9, 6),
    timezone text,
    is_default boolean not null default false,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint garages_pkey primary key (tenant_id, id),
    constraint garages_name_not_blank check (char_length(btrim(name)) between 1 and 100),
    constraint garages_address_length check (address is null or char_length(address) <= 500),
    constraint garages_latitude_range check (latitude between -90 and 90),
    constraint garages_longitude_range check (longitude between -180 and 180),
    constraint garages_coordinates_both_or_neither check ((latitude is null) = (longitude is null)),
    constraint garages_timezone_known check (timezone is null or app.is_time_zone(timezone)),
    constraint garages_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.garages is 'Where a tenant keeps vehicles: name, address, coordinates, time zone.';
select app.distribute_table('app.garages', 'tenant');
alter table app.garages
    add constraint garages_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;

create unique index garages_name_unique_live on app.garages (tenant_id, lower(btrim(name))) where deleted_at is null;
create unique index garages_one_default_per_tenant on app.garages (tenant_id) where is_default and deleted_at is null;

select app.enable_tenant_rules('app.garages');

create or replace view api.garages
with (security_invoker = true)
as
select tenant_id, id, name, address, latitude, longitude, timezone, is_default, notes,
       created_at, updated_at, created_by, updated_by
from app.garages
where deleted_at is null;
comment on view api.garages is
    'Garages of the active tenant. Names are unique per tenant; at most one is the default; DELETE moves a garage to garages_trash.';
comment on column api.garages.tenant_id is 'The tenant; defaults to the token''s tenant_id and cannot be another.';
comment on column api.garages.name is 'Name, 1-100 characters, unique in the tenant.';
comment on column api.garages.latitude is 'Latitude in degrees (-90..90); give both coordinates or neither.';
comment on column api.garages.longitude is 'Longitude in degrees (-180..180); give both coordinates or neither.';
comment on column api.garages.timezone is 'IANA time zone name, e.g. Europe/Berlin.';
comment on column api.garages.is_default is 'The tenant''s default garage (at most one).';

select app.create_trash_api('api.garages', 'garage', 'garages');

grant select, insert, update on api.garages to app_user;  -- delete: app.create_trash_api

commit;
