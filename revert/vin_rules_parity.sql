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

create or replace function app.vin_check_digit(vin text)
returns text
language sql
immutable
strict
parallel safe
as $$
    select case sum % 11 when 10 then 'X' else (sum % 11)::text end
    from (
        select sum(
            (
                case
                    when ch ~ '[0-9]' then ch::int
                    else (
                        '{"A":1,"B":2,"C":3,"D":4,"E":5,"F":6,"G":7,"H":8,"J":1,"K":2,"L":3,"M":4,"N":5,"P":7,"R":9,"S":2,"T":3,"U":4,"V":5,"W":6,"X":7,"Y":8,"Z":9}'::jsonb
                        ->> ch
                    )::int
                end
            )
            * (array[8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])[pos]
        ) as sum
        from generate_series(1, 17) as pos,
             lateral substr(vin, pos, 1) as ch
    ) as weighted
    where vin ~ '^[A-HJ-NPR-Z0-9]{17}$'
$$;
comment on function app.vin_check_digit(text) is
    'The check digit (0-9 or X) a 17-character VIN should carry at position 9 (49 CFR 565 transliteration and weights); NULL for a malformed VIN.';

drop function app.vin_describe_char(text);

commit;
