-- Revert motovault:vin_rules_parity from pg: the vin_rules definitions again

begin;

create or replace function app.vin_normalize(vin text)
returns text
language sql
immutable
strict
parallel safe
as $$
    select upper(btrim(vin))
$$;
comment on function app.vin_normalize(text) is 'Trims and upper-cases a VIN.';

create or replace function app.vin_problem(vin text)
returns text
language sql
immutable
parallel safe
as $$
    select case
        when vin is null then null
        when char_length(vin) <> 17 then
            format('17 characters expected, found %s', char_length(vin))
        when vin ~ '[IOQ]' then
            format('contains %s at position %s (I, O and Q are never used)',
                   substring(vin from '[IOQ]'), strpos(vin, substring(vin from '[IOQ]')))
        when vin !~ '^[A-Z0-9]{17}$' then
            format('contains %s at position %s (only A-Z and 0-9 are allowed)',
                   substring(vin from '[^A-Z0-9]'), strpos(vin, substring(vin from '[^A-Z0-9]')))
        when vin ~ '^[1-5]' and substr(vin, 9, 1) <> app.vin_check_digit(vin) then
            format('position 9 should be %s, found %s', app.vin_check_digit(vin), substr(vin, 9, 1))
    end
$$;
comment on function app.vin_problem(text) is
    'Why a normalized VIN is invalid, in words a user understands, or NULL when it is valid. The check digit is enforced for North-American VINs (first character 1-5).';

drop function app.vin_describe_char(text);

commit;
