-- Verify motovault:vin_rules_parity on pg

select 1 / (app.vin_normalize(E'\t1m8gdm9axkp042788\n') = '1M8GDM9AXKP042788')::int;
select 1 / (app.vin_problem('1M8GDM9A6UP042788') like 'position 10 is not a model-year code%')::int;
select 1 / (app.vin_problem('1M8-DM9AXKIO42788') = 'contains ''-'' at position 4 (only digits and the letters A-Z except I, O and Q are allowed)')::int;
select 'app.vin_describe_char(text)'::regprocedure;
