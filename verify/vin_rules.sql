-- Verify motovault:vin_rules on pg

select 1 / (app.vin_problem(app.vin_normalize(' 1hgcm82633a004352 ')) is null)::integer;
select 1 / (app.vin_check_digit('1HGCM82633A004352') = '3')::integer;
