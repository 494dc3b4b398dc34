-- Deploy motovault:vehicles_decoded to pg
-- requires: vehicles
-- requires: vin_cache
--
-- The decoded fields of a vehicle's VIN are copied onto the vehicle when it is
-- decoded (by the worker, or at once from a fresh cache row): API users see them
-- in api.vehicles without ever reading the shared cache. They are read-only for
-- API users (the vin_decode_queue change adds the trigger that guards them).

begin;

alter table app.vehicles
    add column trim text,
    add column body_class text,
    add column vehicle_type text,
    add column fuel_types text[],
    add column engine_cylinders integer,
    add column engine_displacement_l numeric,
    add column engine_power_kw numeric,
    add column drive_type text,
    add column manufacturer text,
    add column plant_country text,
    add column vin_decoded_at timestamptz,
    add column vin_decode_source text,
    add column vin_filled text[],
    add constraint vehicles_vin_decode_source_known
        check (vin_decode_source is null or vin_decode_source in ('offline', 'vpic')) not valid,
    add constraint vehicles_vin_decoded_needs_vin
        check (vin_decoded_at is null or vin is not null) not valid,
    add constraint vehicles_vin_filled_known
        check (vin_filled is null or vin_filled <@ array['make', 'model', 'year']) not valid;

-- the new columns are NULL in every existing row: validation cannot fail, and NOT VALID first
-- keeps the ADD COLUMN itself free of a full-table check
alter table app.vehicles validate constraint vehicles_vin_decode_source_known;
alter table app.vehicles validate constraint vehicles_vin_decoded_needs_vin;
alter table app.vehicles validate constraint vehicles_vin_filled_known;

comment on column app.vehicles.vin_filled is
    'Which of make, model, year the decoder filled (they were empty): cleared again when the VIN changes, unless edited since.';
comment on column app.vehicles.vin_decoded_at is 'When the decoded fields were copied from the VIN cache; NULL while the VIN waits for the worker (or has none).';

-- the name vehicles_prepare gives a vehicle whose display_name was left blank
create function app.vehicle_default_name(year integer, make text, model text)
returns text
language sql
immutable
parallel safe
as $$
    select left(coalesce(nullif(concat_ws(' ', year::text, make, model), ''), 'Vehicle'), 100)
$$;
comment on function app.vehicle_default_name(integer, text, text) is
    'The display_name a vehicle gets when none is typed: "year make model" (at most 100 characters), or "Vehicle". A display_name still equal to it may be renamed when decoding fills year, make or model.';

-- the worker reads and fills vehicles that have a VIN, in every tenant
create policy vehicles_vin_worker_read on app.vehicles for select to vin_worker using (vin is not null);
create policy vehicles_vin_worker_fill on app.vehicles for update to vin_worker using (vin is not null) with check (vin is not null);
grant select (tenant_id, id, vin, display_name, make, model, year, deleted_at, vin_decoded_at, vin_filled) on app.vehicles to vin_worker;
grant update (display_name, make, model, year, trim, body_class, vehicle_type, fuel_types, engine_cylinders,
              engine_displacement_l, engine_power_kw, drive_type, manufacturer, plant_country,
              vin_decoded_at, vin_decode_source, vin_filled)
    on app.vehicles to vin_worker;
-- functions the vehicles triggers call as the invoker (app.stamp_row names the membership
-- helpers in an expression short-circuited for vin_worker, but EXECUTE is checked anyway)
grant execute on function app.current_user_id(), app.current_tenant_id(), app.jwt_claims(),
    app.current_member_role(), app.current_member_can_write(),
    app.vehicle_default_name(integer, text, text)
to vin_worker;
grant execute on function app.vehicle_default_name(integer, text, text) to app_user;

-- new columns can only be added at the end of a view
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

create or replace view api.vehicles_trash
with (security_invoker = true)
as
select tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
       odometer_reading, odometer_unit, is_active, notes,
       created_at, updated_at, created_by, updated_by, deleted_at,
       trim, body_class, vehicle_type, fuel_types, engine_cylinders, engine_displacement_l, engine_power_kw,
       drive_type, manufacturer, plant_country, vin_decoded_at, vin_decode_source, vin_filled
from app.vehicles
where deleted_at is not null;

commit;
