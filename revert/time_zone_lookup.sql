-- Revert motovault:time_zone_lookup from pg: back to the look-up in pg_timezone_names

begin;

create or replace function app.is_time_zone(name text)
returns boolean
language sql
stable
strict
parallel safe
as $$
    select exists (select from pg_timezone_names as z where z.name = is_time_zone.name)
$$;
comment on function app.is_time_zone(text) is 'True when name is one of the database''s time zone names (pg_timezone_names).';

commit;
