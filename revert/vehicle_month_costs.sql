-- Revert motovault:vehicle_month_costs from pg

begin;

set local lock_timeout = '5s';

drop function app.vehicle_month_costs(uuid, uuid);

commit;
