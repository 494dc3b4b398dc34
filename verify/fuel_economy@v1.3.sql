-- Verify motovault:fuel_economy on pg

select 'api.fuel_economy(uuid, text, date, date, uuid)'::regprocedure,
       'api.fuel_economy_intervals(uuid, text, date, date)'::regprocedure, 'app.fuel_intervals(uuid, uuid)'::regprocedure,
       'api.vehicle_energy(uuid, date, date)'::regprocedure, 'app.fuel_energy_kwh(text, numeric)'::regprocedure;
select tenant_id, vehicle_id, energy_kind, per_100km, source_id from analytics.fuel_economy_intervals where false;
select tenant_id, vehicle_id, energy_kind, month, per_100km, source_id from analytics.fuel_economy_months where false;
