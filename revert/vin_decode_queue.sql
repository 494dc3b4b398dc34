-- Revert motovault:vin_decode_queue from pg

begin;

drop function app.purge_vin_decode_jobs(integer);
drop function app.vin_decode_fail(bigint[], text, text);
drop function app.vin_decode_finish(bigint[], text);
drop function app.vin_decode_claim(integer, text, integer);
drop trigger _600_vin_decode on app.vehicles;
drop function app.tg_vehicles_vin_decode();
drop function app.vehicle_decode_vin(app.vehicles);
drop function app.vin_enqueue(text);
drop type app.vin_decode_result;
drop table app.vin_decode_queue;

commit;
