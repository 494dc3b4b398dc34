-- Deploy motovault:vehicles to pg
-- requires: garages
-- requires: vin_rules

begin;

create table app.vehicles (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    garage_id uuid,
    vin text,
    display_name text not null,
    make text,
    model text,
    year integer,
    color text,
    license_plate text,
    odometer_reading integer not null default 0,
    odometer_unit text not null default 'mi',
    is_active boolean not null default true,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint vehicles_pkey primary key (tenant_id, id),
    constraint vehicles_tenant_fk foreign key (tenant_id) references app.tenants (id) on delete cascade,
    constraint vehicles_garage_fk foreign key (tenant_id, garage_id)
        references app.garages (tenant_id, id) on delete set null (garage_id),
    constraint vehicles_vin_normalized check (vin = app.vin_normalize(vin)),
    constraint vehicles_vin_valid check (app.vin_problem(vin) is null),
    constraint vehicles_display_name_not_blank check (char_length(btrim(display_name)) between 1 and 100),
    constraint vehicles_make_length check (make is null or char_length(make) between 1 and 100),
    constraint vehicles_model_length check (model is null or char_length(model) between 1 and 100),
    constraint vehicles_year_in_range check (year between 1886 and extract(year from current_date)::integer + 1),
    constraint vehicles_color_length check (color is null or char_length(color) <= 50),
    constraint vehicles_license_plate_length check (license_plate is null or char_length(license_plate) between 1 and 20),
    constraint vehicles_odometer_not_negative check (odometer_reading >= 0),
    constraint vehicles_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint vehicles_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.vehicles is
    'Vehicles of a tenant (MotoVaultPro columns plus display_name, garage, odometer unit, notes). display_name is the one name column.';

create index vehicles_garage_idx on app.vehicles (tenant_id, garage_id);
create unique index vehicles_vin_unique_live on app.vehicles (tenant_id, vin) where vin is not null and deleted_at is null;
create index vehicles_vin_idx on app.vehicles (vin) where vin is not null;

-- normalize what people type, and explain a bad VIN better than a CHECK can
create function app.vehicles_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
begin
    new.vin := nullif(app.vin_normalize(new.vin), '');
    problem := app.vin_problem(new.vin);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicles_vin_valid',
            column = 'vin',
            message = format('vin: %s', problem),
            detail = format('VIN %s', new.vin),
            hint = 'A VIN has 17 characters, A-Z and 0-9 without I, O and Q; position 9 is a check digit.';
    end if;
    new.make := nullif(btrim(new.make), '');
    new.model := nullif(btrim(new.model), '');
    if new.display_name is null or btrim(new.display_name) = '' then
        new.display_name := coalesce(nullif(concat_ws(' ', new.year, new.make, new.model), ''), 'Vehicle');
    else
        new.display_name := btrim(new.display_name);
    end if;
    return new;
end
$$;
comment on function app.vehicles_prepare() is
    'BEFORE INSERT OR UPDATE on vehicles: trims and upper-cases the VIN and explains a bad one; display_name defaults to "year make model".';
create trigger vehicles_prepare before insert or update on app.vehicles
    for each row execute function app.vehicles_prepare();

select app.enable_tenant_rules('app.vehicles');

create view api.vehicles
with (security_invoker = true)
as
select tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
       odometer_reading, odometer_unit, is_active, notes,
       created_at, updated_at, created_by, updated_by
from app.vehicles
where deleted_at is null;
comment on view api.vehicles is
    'Vehicles of the active tenant. VINs are normalized and validated (check digit enforced for North-American VINs) and unique per tenant; DELETE moves a vehicle to vehicles_trash.';
comment on column api.vehicles.tenant_id is 'The tenant; defaults to the token''s tenant_id and cannot be another.';
comment on column api.vehicles.vin is '17-character VIN (no I, O, Q), upper-cased; optional; unique among the tenant''s vehicles.';
comment on column api.vehicles.display_name is 'The vehicle''s name; defaults to "year make model".';
comment on column api.vehicles.year is 'Model year, 1886 to next year + 1.';
comment on column api.vehicles.odometer_reading is 'Latest odometer reading (>= 0) in odometer_unit.';
comment on column api.vehicles.odometer_unit is 'mi or km.';
comment on column api.vehicles.garage_id is 'Garage of the same tenant where the vehicle is kept.';

create trigger vehicles_soft_delete
    instead of delete on api.vehicles
    for each row execute function app.soft_delete_row('app.vehicles');

create view api.vehicles_trash
with (security_invoker = true)
as
select tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
       odometer_reading, odometer_unit, is_active, notes,
       created_at, updated_at, created_by, updated_by, deleted_at
from app.vehicles
where deleted_at is not null;
comment on view api.vehicles_trash is 'Deleted vehicles of the active tenant; restore_vehicle brings one back. Purged after 30 days.';

create function api.restore_vehicle(id uuid)
returns setof api.vehicles
language plpgsql
as $$
begin
    perform app.restore_row('app.vehicles', restore_vehicle.id);
    return query select * from api.vehicles as v where v.id = restore_vehicle.id;
end
$$;
comment on function api.restore_vehicle(uuid) is 'Brings a deleted vehicle back from vehicles_trash (409 if its VIN is in use again).';

grant select, insert, update, delete on api.vehicles to app_user;
grant select on api.vehicles_trash to app_user;
grant execute on function api.restore_vehicle(uuid) to app_user;

commit;
