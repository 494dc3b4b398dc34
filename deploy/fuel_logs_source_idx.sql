-- Deploy motovault:fuel_logs_source_idx to pg
-- requires: energy_sources
--
-- The index of fuel_logs_source_fk (a source's fill-ups; the foreign key's checks when a source goes),
-- built concurrently on the existing table: a change of its own, without a transaction.

set lock_timeout = '5s';

drop index concurrently if exists app.fuel_logs_source_idx;
create index concurrently if not exists fuel_logs_source_idx
    on app.fuel_logs (tenant_id, vehicle_id, source_id, energy_kind) where source_id is not null;
