-- Deploy motovault:odometer_entries to pg
-- requires: vehicles
--
-- Odometer readings outside fill-ups and services, and reset entries (kind reset: the instrument
-- cluster was replaced; readings before and after it are not compared). The consistency rules over
-- every source of readings are the odometer_readings and odometer_guard changes.

begin;

set local lock_timeout = '5s';

create table app.odometer_entries (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    kind text not null default 'reading',
    read_on date not null default current_date,
    read_time time,
    odometer integer not null,
    odometer_unit text not null,
    notes text,
    read_at timestamp generated always as (read_on + coalesce(read_time, time '00:00')) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint odometer_entries_pkey primary key (tenant_id, id),
    constraint odometer_entries_kind_known check (kind in ('reading', 'reset')),
    constraint odometer_entries_read_on_not_future check (read_on <= current_date + 1),
    constraint odometer_entries_odometer_not_negative check (odometer >= 0),
    constraint odometer_entries_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint odometer_entries_notes_length check (notes is null or char_length(notes) <= 10000),
    constraint odometer_entries_read_on_after_1886 check (read_on >= date '1886-01-01')
);
comment on table app.odometer_entries is
    'Odometer readings that are not part of a fill-up or service, and reset entries: kind reset records the reading of a replaced instrument cluster and starts a new sequence.';
select app.distribute_table('app.odometer_entries', 'tenant');
alter table app.odometer_entries
    add constraint odometer_entries_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint odometer_entries_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;

create index odometer_entries_vehicle_read_idx on app.odometer_entries (tenant_id, vehicle_id, read_at, odometer) where deleted_at is null;
create index odometer_entries_vehicle_resets_idx on app.odometer_entries (tenant_id, vehicle_id, read_at) where kind = 'reset' and deleted_at is null;
create index odometer_entries_vehicle_fk_idx on app.odometer_entries (tenant_id, vehicle_id);

create or replace function app.tg_odometer_entries_prepare()
returns trigger
language plpgsql
as $$
begin
    new.odometer_unit := coalesce(
        new.odometer_unit,
        app.vehicle_odometer_unit(coalesce(new.tenant_id, app.current_tenant_id()), new.vehicle_id),
        'km');
    return new;
end
$$;
comment on function app.tg_odometer_entries_prepare() is 'BEFORE INSERT OR UPDATE on odometer_entries: odometer_unit defaults to the vehicle''s.';
create trigger _200_prepare before insert or update on app.odometer_entries
    for each row execute function app.tg_odometer_entries_prepare();

select app.enable_tenant_rules('app.odometer_entries');

create or replace view api.odometer_entries
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, kind, read_on, read_time, odometer, odometer_unit, notes,
       created_at, updated_at, created_by, updated_by
from app.odometer_entries
where deleted_at is null;
comment on view api.odometer_entries is
    'Odometer readings of the active tenant''s vehicles outside fill-ups and services, and reset entries (kind reset: the instrument cluster was replaced; readings before and after it are not compared). DELETE moves a row to odometer_entries_trash.';
comment on column api.odometer_entries.kind is 'reading or reset.';
comment on column api.odometer_entries.odometer is 'The reading (>= 0); for a reset, what the new cluster shows.';
comment on column api.odometer_entries.odometer_unit is 'mi or km; defaults to the vehicle''s unit.';

select app.create_trash_api('api.odometer_entries', 'odometer_entry', 'odometer entries', 'its reading is checked again');

grant select, insert, update on api.odometer_entries to app_user;  -- delete: app.create_trash_api

commit;
