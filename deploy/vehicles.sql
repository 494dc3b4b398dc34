-- Deploy motovault:vehicles to pg
-- requires: garages
-- requires: vin_rules
--
-- Vehicles: the table (MotoVaultPro columns, display_name, garage, odometer unit, and the fields
-- decoded from the VIN, read-only for API users), VIN normalization and checks, the tenant rules, the
-- VIN worker's access (it fills decoded fields of every tenant's vehicles), the API views.

begin;

set local lock_timeout = '5s';

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
    trim text,
    body_class text,
    vehicle_type text,
    fuel_types text[],
    engine_cylinders integer,
    engine_displacement_l numeric,
    engine_power_kw numeric,
    drive_type text,
    manufacturer text,
    plant_country text,
    vin_decoded_at timestamptz,
    vin_decode_source text,
    vin_filled text[],
    constraint vehicles_pkey primary key (tenant_id, id),
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
    constraint vehicles_notes_length check (notes is null or char_length(notes) <= 10000),
    constraint vehicles_vin_decode_source_known
        check (vin_decode_source is null or vin_decode_source in ('offline', 'vpic')),
    constraint vehicles_vin_decoded_needs_vin
        check (vin_decoded_at is null or vin is not null),
    constraint vehicles_vin_filled_known
        check (vin_filled is null or vin_filled <@ array['make', 'model', 'year']),
    constraint vehicles_engine_displacement_l_finite
        check (engine_displacement_l not in ('NaN', 'Infinity', '-Infinity')),
    constraint vehicles_engine_power_kw_finite
        check (engine_power_kw not in ('NaN', 'Infinity', '-Infinity'))
)
-- a fill by the VIN worker, like every odometer update a fill-up makes, changes no indexed column:
-- with room on the page it is a HOT update (measured: 1,999 of 2,000 batch fills HOT at fillfactor 50,
-- 11 at 100)
with (fillfactor = 50);
comment on table app.vehicles is
    'Vehicles of a tenant (MotoVaultPro columns plus display_name, garage, odometer unit, notes). display_name is the one name column.';
select app.distribute_table('app.vehicles', 'tenant');
alter table app.vehicles
    add constraint vehicles_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint vehicles_garage_fk foreign key (tenant_id, garage_id)
        references app.garages (tenant_id, id);
create trigger _300_clear_vehicles_garage_id before delete on app.garages
    for each row execute function app.tg_clear_references('app.vehicles', 'garage_id');

create index vehicles_garage_idx on app.vehicles (tenant_id, garage_id);
create unique index vehicles_vin_unique_live on app.vehicles (tenant_id, vin) where vin is not null and deleted_at is null;
create index vehicles_vin_idx on app.vehicles (vin) where vin is not null;

comment on column app.vehicles.vin_filled is
    'Which of make, model, year the decoder filled (they were empty): cleared again when the VIN changes, unless edited since.';
comment on column app.vehicles.vin_decoded_at is 'When the decoded fields were copied from the VIN cache; NULL while the VIN waits for the worker (or has none).';

-- the name _200_prepare gives a vehicle whose display_name was left blank
create or replace function app.vehicle_default_name(year integer, make text, model text)
returns text
language sql
immutable
parallel safe
as $$
    select left(coalesce(nullif(concat_ws(' ', year::text, make, model), ''), 'Vehicle'), 100)
$$;
comment on function app.vehicle_default_name(integer, text, text) is
    'The display_name a vehicle gets when none is typed: "year make model" (at most 100 characters), or "Vehicle". A display_name still equal to it may be renamed when decoding fills year, make or model.';

create or replace function app.vehicle_odometer_unit(tenant uuid, vehicle uuid)
returns text
language sql
stable
as $$
    select v.odometer_unit
    from app.vehicles as v
    where v.tenant_id = tenant
      and v.id = vehicle
$$;
comment on function app.vehicle_odometer_unit(uuid, uuid) is
    'The odometer unit (mi or km) of a vehicle: the default unit of readings recorded for it.';
grant execute on function app.vehicle_odometer_unit(uuid, uuid) to app_user;

-- normalize what people type, and explain a bad VIN better than a CHECK can
create or replace function app.tg_vehicles_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
begin
    -- an unchanged VIN was normalized and checked when it was written (and the CHECKs
    -- vehicles_vin_normalized and vehicles_vin_valid hold it): only a new one is explained here
    if tg_op = 'INSERT' or new.vin is distinct from old.vin then
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
comment on function app.tg_vehicles_prepare() is
    'BEFORE INSERT OR UPDATE on vehicles: trims and upper-cases the VIN and explains a bad one; display_name defaults to "year make model".';
create trigger _200_prepare before insert or update on app.vehicles
    for each row execute function app.tg_vehicles_prepare();

-- the VIN worker's fills (one UPDATE per batch) are audited by one statement-level trigger
select app.enable_tenant_rules('app.vehicles', bulk_writer => 'vin_worker');

-- the worker reads and fills vehicles that have a VIN, in every tenant
create policy vehicles_vin_worker_read on app.vehicles for select to vin_worker using (vin is not null);
create policy vehicles_vin_worker_fill on app.vehicles for update to vin_worker using (vin is not null) with check (vin is not null);
grant select (tenant_id, id, vin, display_name, make, model, year, deleted_at, vin_decoded_at, vin_filled) on app.vehicles to vin_worker;
grant update (display_name, make, model, year, trim, body_class, vehicle_type, fuel_types, engine_cylinders,
              engine_displacement_l, engine_power_kw, drive_type, manufacturer, plant_country,
              vin_decoded_at, vin_decode_source, vin_filled)
    on app.vehicles to vin_worker;
-- functions the vehicles triggers call as the invoker (the claims and membership helpers are
-- granted to vin_worker by their own changes)
grant execute on function app.vehicle_default_name(integer, text, text) to vin_worker;
grant execute on function app.vehicle_default_name(integer, text, text) to app_user;

create or replace view api.vehicles
with (security_invoker = true)
as
select tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
       odometer_reading, odometer_unit, is_active, notes,
       created_at, updated_at, created_by, updated_by,
       trim, body_class, vehicle_type, fuel_types, engine_cylinders, engine_displacement_l, engine_power_kw,
       drive_type, manufacturer, plant_country, vin_decoded_at, vin_decode_source, vin_filled
from app.vehicles
where deleted_at is null;
comment on view api.vehicles is
    'Vehicles of the active tenant. VINs are normalized and validated (check digit enforced for North-American VINs) and unique per tenant; DELETE moves a vehicle to vehicles_trash.';
comment on column api.vehicles.tenant_id is 'The tenant; defaults to the token''s tenant_id and cannot be another.';
comment on column api.vehicles.vin is '17-character VIN (no I, O, Q), upper-cased; optional; unique among the tenant''s vehicles.';
comment on column api.vehicles.display_name is 'The vehicle''s name; defaults to "year make model".';
comment on column api.vehicles.odometer_reading is 'Latest odometer reading (>= 0) in odometer_unit.';
comment on column api.vehicles.odometer_unit is 'mi or km.';
comment on column api.vehicles.garage_id is 'Garage of the same tenant where the vehicle is kept.';
comment on column api.vehicles.make is 'Make; filled from the decoded VIN when left empty (what a person typed is never overwritten).';
comment on column api.vehicles.model is 'Model; filled from the decoded VIN when left empty.';
comment on column api.vehicles.year is 'Model year, 1886 to next year + 1; filled from the decoded VIN when left empty.';
comment on column api.vehicles.trim is 'Decoded from the VIN (read-only).';
comment on column api.vehicles.body_class is 'Decoded from the VIN (read-only), e.g. Sedan/Saloon.';
comment on column api.vehicles.vehicle_type is 'Decoded from the VIN (read-only), e.g. PASSENGER CAR, MOTORCYCLE.';
comment on column api.vehicles.fuel_types is 'Decoded from the VIN (read-only): primary then secondary fuel.';
comment on column api.vehicles.engine_cylinders is 'Decoded from the VIN (read-only).';
comment on column api.vehicles.engine_displacement_l is 'Decoded from the VIN (read-only), litres.';
comment on column api.vehicles.engine_power_kw is 'Decoded from the VIN (read-only), kW.';
comment on column api.vehicles.drive_type is 'Decoded from the VIN (read-only).';
comment on column api.vehicles.manufacturer is 'Decoded from the VIN (read-only).';
comment on column api.vehicles.plant_country is 'Decoded from the VIN (read-only).';
comment on column api.vehicles.vin_decoded_at is 'When the VIN was decoded onto this vehicle; NULL while it is queued (see rpc/decode_vin).';
comment on column api.vehicles.vin_decode_source is 'offline (embedded vPIC database) or vpic (NHTSA REST API).';
comment on column api.vehicles.vin_filled is 'Which of make, model, year were empty and filled from the VIN (read-only); they are cleared again if the VIN changes, unless edited since.';

select app.create_trash_api('api.vehicles', 'vehicle', 'vehicles', '409 if its VIN is in use again');

grant select, insert, update on api.vehicles to app_user;  -- delete: app.create_trash_api

commit;
