-- Verify motovault:energy_sources on pg

select tenant_id, id, vehicle_id, tank_number, name, energy_kind, fuel_types, unit, capacity, notes, deleted_at
from app.energy_sources
where false;
select source_id from app.fuel_logs where false;
select id from api.energy_sources where false;
select id, deleted_at from api.energy_sources_trash where false;
select 'api.restore_energy_source(uuid)'::regprocedure, 'app.tg_fuel_logs_source_fuel()'::regprocedure;
