-- Verify motovault:fuel_economy on pg

select 'app.fuel_intervals(uuid, uuid)'::regprocedure;
select 'app.economy_in_unit(numeric, numeric, text)'::regprocedure;
select 'api.fuel_economy(uuid, text, date, date)'::regprocedure;
select 'api.fuel_economy_intervals(uuid, text, date, date)'::regprocedure;
