-- Deploy motovault:vin_rules to pg
-- requires: schemas
--
-- VIN rules as immutable SQL (49 CFR 565), the same rules as motovault.vin in Python (the property
-- test tests/test_vin_sql_parity.py holds them together): 17 characters from A-Z and 0-9 without I, O
-- and Q; for North-American VINs (first character 1-5) position 9 is a check digit and position 10 a
-- model-year code. vin_check_digit and vin_problem are single inlinable expressions: the vehicles
-- CHECK runs them on every write.

begin;

set local lock_timeout = '5s';

create or replace function app.vin_normalize(vin text)
returns text
language sql
immutable
strict
parallel safe
as $$
    select case
        when char_length(btrim(vin, E' \t\n\r\f\x0b')) <= 64 then
            translate(btrim(vin, E' \t\n\r\f\x0b'), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
        else
            btrim(vin, E' \t\n\r\f\x0b')
    end
$$;
comment on function app.vin_normalize(text) is
    'Trims ASCII whitespace at both ends and upper-cases ASCII letters (as motovault.vin.normalize); nothing else changes. A trimmed value longer than 64 characters (never a VIN) is only trimmed: upper-casing megabytes cost seconds.';

create or replace function app.vin_check_digit(vin text)
returns text
language sql
immutable
parallel safe
as $$
    -- the array maps a character's code - 47 ('0' = 1 ... 'Z' = 43) to its 49 CFR 565 value
    select case when vin ~ '^[A-HJ-NPR-Z0-9]{17}$' then
        (array['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'])[(
            ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 0) - 47] * 8
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 1) - 47] * 7
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 2) - 47] * 6
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 3) - 47] * 5
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 4) - 47] * 4
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 5) - 47] * 3
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 6) - 47] * 2
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 7) - 47] * 10
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 9) - 47] * 9
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 10) - 47] * 8
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 11) - 47] * 7
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 12) - 47] * 6
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 13) - 47] * 5
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 14) - 47] * 4
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 15) - 47] * 3
            + ('{0,1,2,3,4,5,6,7,8,9,0,0,0,0,0,0,0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,0,7,0,9,2,3,4,5,6,7,8,9}'::integer[])[get_byte(vin::bytea, 16) - 47] * 2
        ) % 11 + 1]
    end
$$;
comment on function app.vin_check_digit(text) is
    'The check digit (0-9 or X) a 17-character VIN should carry at position 9 (49 CFR 565 transliteration and weights); NULL for a malformed VIN. Byte arithmetic with a constant table: microseconds a call (the vehicles CHECK runs it on every write).';

create or replace function app.vin_describe_char(c text)
returns text
language sql
immutable
parallel safe
as $$
    select case
        when c = ' ' then 'a space'
        when ascii(c) between 33 and 126 and c ~ '^[A-Za-z0-9]$' then c
        when ascii(c) between 33 and 126 and c = '''' then '"''"'
        when ascii(c) between 33 and 126 and c = '\' then '''\\'''
        when ascii(c) between 33 and 126 then '''' || c || ''''
        else 'U+' || upper(lpad(to_hex(ascii(c)), greatest(4, length(to_hex(ascii(c)))), '0'))
    end
$$;
comment on function app.vin_describe_char(text) is 'How a VIN message names a character: itself, quoted punctuation, "a space" or U+XXXX.';

create or replace function app.vin_problem(vin text)
returns text
language sql
immutable
parallel safe
as $$
    -- only immutable operators (|| on text, ::text), so the planner inlines it into the vehicles CHECK
    select case
        when vin is null then null
        when char_length(vin) <> 17 then
            '17 characters expected, found ' || char_length(vin)::text
        when vin !~ '^[A-HJ-NPR-Z0-9]{17}$' then
            case
                when substr(vin, char_length(substring(vin from '^[A-HJ-NPR-Z0-9]*')) + 1, 1) in ('I', 'O', 'Q') then
                    'contains ' || substr(vin, char_length(substring(vin from '^[A-HJ-NPR-Z0-9]*')) + 1, 1)
                    || ' at position ' || (char_length(substring(vin from '^[A-HJ-NPR-Z0-9]*')) + 1)::text
                    || ' (I, O and Q are never used)'
                else
                    'contains ' || app.vin_describe_char(substr(vin, char_length(substring(vin from '^[A-HJ-NPR-Z0-9]*')) + 1, 1))
                    || ' at position ' || (char_length(substring(vin from '^[A-HJ-NPR-Z0-9]*')) + 1)::text
                    || ' (only digits and the letters A-Z except I, O and Q are allowed)'
            end
        when vin !~ '^[1-5]' then null
        when substr(vin, 9, 1) <> app.vin_check_digit(vin) then
            'position 9 should be ' || app.vin_check_digit(vin) || ', found ' || substr(vin, 9, 1)
        when substr(vin, 10, 1) !~ '^[A-HJ-NPR-TV-Y1-9]$' then
            'position 10 is not a model-year code: found ' || substr(vin, 10, 1) || ' (I, O, Q, U, Z and 0 are never used)'
    end
$$;
comment on function app.vin_problem(text) is
    'Why a normalized VIN is invalid, in words a user understands (the first error motovault.vin.validate lists), or NULL when it is valid. The check digit and the position-10 model-year code are enforced for North-American VINs (first character 1-5).';

grant execute on function app.vin_normalize(text), app.vin_check_digit(text), app.vin_problem(text) to app_user, vin_worker;
grant execute on function app.vin_describe_char(text) to app_user, vin_worker;

commit;
