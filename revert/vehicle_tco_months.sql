-- Revert motovault:vehicle_tco_months from pg

begin;

set local lock_timeout = '5s';

drop function app.vehicle_tco_months(uuid, uuid);

commit;
