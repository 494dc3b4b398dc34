-- Deploy motovault:fuel_logs_source_fk to pg
-- requires: fuel_logs_source_idx
--
-- Validates fuel_logs_source_fk, added NOT VALID by energy_sources (a scan under a light lock).

begin;

set local lock_timeout = '5s';

alter table app.fuel_logs validate constraint fuel_logs_source_fk;

commit;
