-- Revert motovault:odometer_readings from pg

begin;

drop view api.odometer_readings;
drop view app.odometer_readings;

commit;
