-- Revert motovault:fuel_economy from pg

begin;

drop view analytics.fuel_economy_months;
drop view analytics.fuel_economy_intervals;
drop function api.fuel_economy(uuid, text, date, date);
drop function api.fuel_economy_intervals(uuid, text, date, date);
drop function app.resolve_economy_unit(uuid, text);
drop function app.fuel_intervals(uuid, uuid);
drop function app.economy_in_unit(numeric, numeric, text);
drop function app.economy_unit_kind(text);

commit;
