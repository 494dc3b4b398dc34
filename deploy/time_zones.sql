-- Deploy motovault:time_zones to pg
-- requires: schemas
-- requires: distribution
--
-- app.is_time_zone(): the CHECK of every time zone column. pg_timezone_names walks the time zone
-- directory on disk (~75 ms a call), so the names are copied once into app.time_zone_names, where a
-- look-up is an index probe; a name not there (a zone added by a later tzdata update, or a bad one)
-- still gets the authoritative look-up in pg_timezone_names. After a tzdata update, a DBA may run
-- select app.refresh_time_zone_names(); (docs/dba.md).

begin;

set local lock_timeout = '5s';

create table app.time_zone_names (
    name text not null,
    constraint time_zone_names_pkey primary key (name)
);
comment on table app.time_zone_names is
    'The names of pg_timezone_names, copied at deploy (and by app.refresh_time_zone_names()): app.is_time_zone() finds a name here with an index probe instead of reading the zone directory.';
select app.distribute_table('app.time_zone_names', 'reference');
alter table app.time_zone_names enable row level security;
alter table app.time_zone_names force row level security;
create policy time_zone_names_everyone_reads on app.time_zone_names for select to app_user using (true);
create policy time_zone_names_owner_role_all on app.time_zone_names for all to motovault_owner using (true) with check (true);
grant select on app.time_zone_names to app_user;

create or replace function app.refresh_time_zone_names()
returns integer
language plpgsql
as $$
declare
    added integer;
begin
    insert into app.time_zone_names (name)
    select z.name from pg_timezone_names as z
    on conflict (name) do nothing;
    get diagnostics added = row_count;
    return added;
end
$$;
comment on function app.refresh_time_zone_names() is
    'Copies time zone names that pg_timezone_names has and app.time_zone_names lacks (after a tzdata update); returns how many. Names are never removed: a zone that existed stays valid for the rows that use it.';

select app.refresh_time_zone_names();

create or replace function app.is_time_zone(name text)
returns boolean
language sql
stable
strict
parallel safe
as $$
    select exists (select from app.time_zone_names as z where z.name = is_time_zone.name)
        or exists (select from pg_catalog.pg_timezone_names as z where z.name = is_time_zone.name)
$$;
comment on function app.is_time_zone(text) is
    'True when name is a time zone name: looked up in app.time_zone_names (an index probe), then in pg_timezone_names (which reads the zone directory: only for names copied before a tzdata update or for bad ones).';

grant execute on function app.is_time_zone(text) to app_user;

commit;
