-- Verify motovault:vehicle_timeline on pg

select 1 / has_function_privilege('app_user', 'api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid)', 'execute')::integer;
