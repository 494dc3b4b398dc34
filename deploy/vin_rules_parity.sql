-- Deploy motovault:vin_rules_parity to pg
-- requires: vin_rules
--
-- The property test (tests/test_vin_sql_parity.py) found where the SQL rules
-- of vin_rules differed from motovault.vin; this change makes them agree:
--   * normalize: trim ASCII whitespace (space, tab, LF, CR, FF, VT), not only
--     spaces; upper-case ASCII a-z only (upper() also mapped e.g. U+017F long s
--     to S and U+0131 dotless i to I under a Unicode collation);
--   * the first offending position is reported (I/O/Q were reported before any
--     other character), characters described as Python does ('-', a space, U+00E9);
--   * position 10 must be a model-year code (never I, O, Q, U, Z or 0) for
--     North-American VINs, checked after the check digit.
-- Stored VINs are not affected: every valid normalized VIN stays one.

begin;

create or replace function app.vin_normalize(vin text)
returns text
language sql
immutable
strict
parallel safe
as $$
    select translate(btrim(vin, E' \t\n\r\f\x0b'), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
$$;
comment on function app.vin_normalize(text) is
    'Trims ASCII whitespace at both ends and upper-cases ASCII letters (as motovault.vin.normalize); nothing else changes.';

create function app.vin_describe_char(c text)
returns text
language sql
immutable
strict
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
    select case
        when vin is null then null
        when char_length(vin) <> 17 then
            format('17 characters expected, found %s', char_length(vin))
        when vin !~ '^[A-HJ-NPR-Z0-9]{17}$' then (
            select case
                when bad in ('I', 'O', 'Q') then format('contains %s at position %s (I, O and Q are never used)', bad, pos)
                else format('contains %s at position %s (only digits and the letters A-Z except I, O and Q are allowed)',
                            app.vin_describe_char(bad), pos)
            end
            from (
                select substr(vin, pos, 1) as bad, pos
                from generate_series(1, 17) as pos
                where substr(vin, pos, 1) !~ '^[A-HJ-NPR-Z0-9]$'
                order by pos
                limit 1
            ) as first_bad
        )
        when vin ~ '^[1-5]' and substr(vin, 9, 1) <> app.vin_check_digit(vin) then
            format('position 9 should be %s, found %s', app.vin_check_digit(vin), substr(vin, 9, 1))
        when vin ~ '^[1-5]' and substr(vin, 10, 1) !~ '^[A-HJ-NPR-TV-Y1-9]$' then
            format('position 10 is not a model-year code: found %s (I, O, Q, U, Z and 0 are never used)', substr(vin, 10, 1))
    end
$$;
comment on function app.vin_problem(text) is
    'Why a normalized VIN is invalid, in words a user understands (the first error motovault.vin.validate lists), or NULL when it is valid. The check digit and the position-10 model-year code are enforced for North-American VINs (first character 1-5).';

grant execute on function app.vin_describe_char(text) to app_user, vin_worker;

commit;
