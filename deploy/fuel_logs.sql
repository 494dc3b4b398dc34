-- Deploy motovault:fuel_logs to pg
-- requires: fuel_logs_source_fk
--
-- Rework after @v1.1: api.fuel_logs (and its trash) show source_id, the energy source a fill-up fills
-- (app.energy_sources, change energy_sources). The table and its rules are the @v1.0 deploy script's.

begin;

set local lock_timeout = '5s';

create or replace view api.fuel_logs
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, filled_on, filled_time, odometer, odometer_unit, fuel_type, grade,
       volume, volume_unit, price_per_unit, total_cost, currency, is_full, missed_previous,
       station_id, station_name, notes, energy_kind,
       created_at, updated_at, created_by, updated_by, source_id
from app.fuel_logs
where deleted_at is null;
comment on view api.fuel_logs is
    'Fill-ups and charges of the active tenant''s vehicles. Give two of volume, price_per_unit and total_cost and the third is computed; three must agree within 0.01. Odometer readings must be consistent with the vehicle''s other readings. DELETE moves a row to fuel_logs_trash.';
comment on column api.fuel_logs.filled_on is 'Date of the fill-up (not in the future).';
comment on column api.fuel_logs.filled_time is 'Optional local time of the fill-up; orders fill-ups on the same day.';
comment on column api.fuel_logs.odometer is 'Odometer reading at the fill-up, in odometer_unit (defaults to the vehicle''s unit).';
comment on column api.fuel_logs.odometer_unit is 'mi or km; defaults to the vehicle''s odometer unit.';
comment on column api.fuel_logs.fuel_type is 'gasoline, diesel, e85, biodiesel, lpg (litres or gallons), electric (kWh), cng, hydrogen (kg) or other.';
comment on column api.fuel_logs.grade is 'Optional grade or octane, e.g. 95 or premium.';
comment on column api.fuel_logs.volume is 'Amount filled (> 0) in volume_unit.';
comment on column api.fuel_logs.volume_unit is 'l, gal_us, gal_imp, kwh or kg; must suit the fuel type; defaults from the fuel type and the vehicle''s unit.';
comment on column api.fuel_logs.price_per_unit is 'Price per volume_unit in currency.';
comment on column api.fuel_logs.total_cost is 'Total paid in currency; volume x price_per_unit within 0.01.';
comment on column api.fuel_logs.currency is 'ISO 4217 code, e.g. USD; required with a price or total.';
comment on column api.fuel_logs.is_full is 'True for a full tank (or full charge); partial fill-ups are summed into the next full one.';
comment on column api.fuel_logs.missed_previous is 'True when an earlier fill-up was not recorded: no economy figure for the interval ending here.';
comment on column api.fuel_logs.station_id is 'A station from /stations (optional).';
comment on column api.fuel_logs.station_name is 'Free-text station name; defaults to the station''s name.';
comment on column api.fuel_logs.energy_kind is 'liquid, electric or mass (computed from volume_unit): economy is computed per kind.';

comment on column api.fuel_logs.source_id is
    'The energy source filled (GET /energy_sources): a tank or battery of this vehicle and energy kind whose fuel_types include fuel_type; NULL: the vehicle''s lowest-numbered source of this energy kind that takes its fuel type.';

create or replace view api.fuel_logs_trash
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, filled_on, filled_time, odometer, odometer_unit, fuel_type, grade,
       volume, volume_unit, price_per_unit, total_cost, currency, is_full, missed_previous,
       station_id, station_name, notes, energy_kind,
       created_at, updated_at, created_by, updated_by, deleted_at, source_id
from app.fuel_logs
where deleted_at is not null;

commit;
