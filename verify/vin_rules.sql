-- Verify motovault:vin_rules on pg

select 1 / (app.vin_check_digit('1M8GDM9AXKP042788') = 'X')::int;
select 1 / (app.vin_problem('1M8GDM9AXKP042788') is null)::int;
select 1 / (app.vin_problem('1M8GDM9A1KP042788') = 'position 9 should be X, found 1')::int;
select 1 / (app.vin_normalize('  1m8gdm9axkp042788 ') = '1M8GDM9AXKP042788')::int;
