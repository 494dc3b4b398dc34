-- Revert motovault:vehicles_decoded from pg
--
-- A view cannot lose columns in place: api.vehicles, vehicles_trash and
-- restore_vehicle (which returns api.vehicles rows) are recreated exactly as
-- the vehicles change made them.

begin;

drop function api.restore_vehicle(uuid);
drop view api.vehicles_trash;
drop view api.vehicles;

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

revoke select, update on app.vehicles from vin_worker;
drop policy vehicles_vin_worker_fill on app.vehicles;
drop policy vehicles_vin_worker_read on app.vehicles;
revoke execute on function app.current_user_id(), app.current_tenant_id(), app.jwt_claims(),
    app.current_member_role(), app.current_member_can_write()
from vin_worker;
drop function app.vehicle_default_name(integer, text, text);

alter table app.vehicles
    drop constraint vehicles_vin_filled_known,
    drop constraint vehicles_vin_decoded_needs_vin,
    drop constraint vehicles_vin_decode_source_known,
    drop column trim,
    drop column body_class,
    drop column vehicle_type,
    drop column fuel_types,
    drop column engine_cylinders,
    drop column engine_displacement_l,
    drop column engine_power_kw,
    drop column drive_type,
    drop column manufacturer,
    drop column plant_country,
    drop column vin_decoded_at,
    drop column vin_decode_source,
    drop column vin_filled;

commit;
