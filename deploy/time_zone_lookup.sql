-- Deploy motovault:time_zone_lookup to pg
-- requires: garages
--
-- app.is_time_zone() (the garages_timezone_known CHECK) read pg_timezone_names, which walks the whole
-- time zone directory on disk: ~75 ms per row. A bulk POST of a few thousand garages held a backend
-- for minutes. Now the names known at deploy time are a constant array in the function (microseconds);
-- a name not in it (a zone added by a later tzdata update, or a bad one) still gets the authoritative
-- look-up in pg_timezone_names.

begin;

select format(
    $ddl$
create or replace function app.is_time_zone(name text)
returns boolean
language plpgsql
stable
strict
parallel safe
as $body$
begin
    if is_time_zone.name = any (%L::text[]) then
        return true;
    end if;
    return exists (select from pg_timezone_names as z where z.name = is_time_zone.name);
end
$body$
$ddl$,
    array_agg(z.name order by z.name)
)
from pg_timezone_names as z
\gexec

comment on function app.is_time_zone(text) is
    'True when name is one of the database''s time zone names (pg_timezone_names): the names known at deploy time are checked in memory, others in pg_timezone_names.';

commit;
