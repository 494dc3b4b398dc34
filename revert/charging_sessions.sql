-- Revert motovault:charging_sessions from pg

begin;

set local lock_timeout = '5s';

drop function api.ev_charging_costs(uuid, date, date);
drop function api.ev_efficiency(uuid, date, date);
drop function app.battery_charges(uuid, uuid, date, date);
drop view api.charging_sessions;
alter table app.fuel_logs
    drop column battery_kwh,
    drop column soc_before,
    drop column soc_after,
    drop column charger_level,
    drop column location_type,
    drop column network,
    drop column charge_minutes,
    drop column session_fee;

commit;
