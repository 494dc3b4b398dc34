-- Revert motovault:vehicle_timeline from pg

begin;

drop function api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid);

commit;
