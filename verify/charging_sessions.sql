-- Verify motovault:charging_sessions on pg

select battery_kwh, soc_before, soc_after, charger_level, location_type, network, charge_minutes, session_fee
from app.fuel_logs
where false;
select id, grid_kwh, battery_kwh, session_fee from api.charging_sessions where false;
select 'api.ev_efficiency(uuid, date, date)'::regprocedure,
       'api.ev_charging_costs(uuid, date, date)'::regprocedure, 'app.battery_charges(uuid, uuid, date, date)'::regprocedure;
