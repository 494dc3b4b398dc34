-- Deploy motovault:odometer_readings to pg
-- requires: fuel_logs
-- requires: odometer_entries
-- requires: maintenance
--
-- app.odometer_readings: every live odometer reading of every vehicle, one UNION ALL branch per source
-- table, with the reading in km and reset entries flagged; api.odometer_readings shows a tenant's.
--
-- Adding a source (e.g. trips): give the table vehicle_id, read_at (timestamp), odometer,
-- odometer_unit and deleted_at columns and an index on (tenant_id, vehicle_id, read_at, odometer)
-- where deleted_at is null; rework this change with one more UNION ALL branch WITHOUT a where clause
-- (filters stay outside, so the union stays flattened); attach the odometer guard to the table
-- (rework odometer_guard).

begin;

set local lock_timeout = '5s';

create or replace view app.odometer_readings
with (security_invoker = true)
as
-- The UNION ALL branches have no WHERE clause of their own, so the planner flattens them into one
-- append relation: the filters below are pushed into every branch (matching the partial indexes),
-- and max(read_at) / ORDER BY read_at LIMIT 1 become a Merge Append of backward index scans.
select r.tenant_id, r.vehicle_id, r.source, r.id, r.read_at, r.odometer, r.odometer_unit, r.odometer_km, r.is_reset
from (
    select tenant_id, vehicle_id, 'fuel_logs'::text as source, id, read_at, odometer, odometer_unit,
           app.distance_in_km(odometer, odometer_unit) as odometer_km, false as is_reset, deleted_at
    from app.fuel_logs
    union all
    select tenant_id, vehicle_id, 'odometer_entries'::text, id, read_at, odometer, odometer_unit,
           app.distance_in_km(odometer, odometer_unit), kind = 'reset', deleted_at
    from app.odometer_entries
    union all
    select tenant_id, vehicle_id, 'maintenance'::text, id, read_at, odometer, odometer_unit,
           app.distance_in_km(odometer, odometer_unit), false, deleted_at
    from app.maintenance
) as r
where r.deleted_at is null
  and r.read_at is not null
  and r.odometer is not null;
comment on view app.odometer_readings is
    'Every live odometer reading of every vehicle, one UNION ALL branch per source table (fuel_logs, odometer_entries, maintenance, ...), with the reading in km for comparison and reset entries flagged.';

create or replace view api.odometer_readings
with (security_invoker = true)
as
select vehicle_id, source, id, read_at, odometer, odometer_unit, is_reset
from app.odometer_readings;
comment on view api.odometer_readings is
    'Every odometer reading of the active tenant''s vehicles, whatever recorded it (source: fuel_logs, odometer_entries, maintenance). Read only.';

grant select on api.odometer_readings, app.odometer_readings to app_user;
select app.protect_read_only_view('api.odometer_readings');

commit;
