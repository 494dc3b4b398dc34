-- Revert motovault:vin_rules from pg

begin;

drop function app.vin_problem(text);
drop function app.vin_describe_char(text);
drop function app.vin_check_digit(text);
drop function app.vin_normalize(text);

commit;
