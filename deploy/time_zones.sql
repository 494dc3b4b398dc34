-- Deploy motovault:time_zones to pg
-- requires: schemas
--
-- app.is_time_zone(): the CHECK of every time zone column. pg_timezone_names walks the time zone
-- directory on disk (~75 ms a row), so the names known at deploy time are a constant array in the
-- function (microseconds); a name not in it (a zone added by a later tzdata update, or a bad one)
-- still gets the authoritative look-up in pg_timezone_names.

begin;

set local lock_timeout = '5s';

select format(
    $ddl$
create function app.is_time_zone(name text)
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

grant execute on function app.is_time_zone(text) to app_user;

commit;
