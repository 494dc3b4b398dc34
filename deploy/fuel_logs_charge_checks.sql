-- Deploy motovault:fuel_logs_charge_checks to pg
-- requires: charging_sessions
--
-- Validates the charging checks charging_sessions added not valid (a scan under a light lock).

begin;

set local lock_timeout = '5s';

alter table app.fuel_logs validate constraint fuel_logs_charge_fields_electric;
alter table app.fuel_logs validate constraint fuel_logs_battery_kwh_within_grid;
alter table app.fuel_logs validate constraint fuel_logs_soc_before_range;
alter table app.fuel_logs validate constraint fuel_logs_soc_after_range;
alter table app.fuel_logs validate constraint fuel_logs_soc_after_not_below_before;
alter table app.fuel_logs validate constraint fuel_logs_charger_level_known;
alter table app.fuel_logs validate constraint fuel_logs_location_type_known;
alter table app.fuel_logs validate constraint fuel_logs_network_length;
alter table app.fuel_logs validate constraint fuel_logs_charge_minutes_range;
alter table app.fuel_logs validate constraint fuel_logs_session_fee_not_negative;
alter table app.fuel_logs validate constraint fuel_logs_currency_with_session_fee;

commit;
