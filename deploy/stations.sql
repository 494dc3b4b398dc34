-- Deploy motovault:stations to pg
-- requires: table_rules
-- requires: helpers
--
-- Fuel and charging stations: shared reference data (no tenant_id), readable by
-- app_user, written by the owner role (directly or through app.import_stations).
--
-- Geo search uses the trusted `cube` extension in schema ext (created by the schemas change). earthdistance is
-- NOT a trusted extension (the owner role cannot create it), so its two formulas
-- (lat/lng -> point on the earth's surface; chord <-> great-circle distance) are
-- reimplemented below as SQL-standard bodies that are bound at creation time:
-- they work whatever the caller's search_path and are inlined by the planner, so
-- the GiST expression index on app.earth_point(latitude, longitude) matches.

begin;

set local lock_timeout = '5s';

create or replace function app.earth_point(latitude double precision, longitude double precision)
returns ext.cube
language sql
immutable
strict
parallel safe
return ext.cube(
    ext.cube(
        ext.cube(6378168::float8 * cos(radians(latitude)) * cos(radians(longitude))),
        6378168::float8 * cos(radians(latitude)) * sin(radians(longitude))
    ),
    6378168::float8 * sin(radians(latitude))
);
comment on function app.earth_point(double precision, double precision) is
    'The point on a sphere of radius 6378168 m (earthdistance''s earth()) at latitude/longitude in degrees, as a 3-D cube.';

create or replace function app.chord_to_meters(chord double precision)
returns double precision
language sql
immutable
strict
parallel safe
return case
    when chord < 0 then 0
    when chord / (2 * 6378168::float8) > 1 then pi() * 6378168::float8
    else 2 * 6378168::float8 * asin(chord / (2 * 6378168::float8))
end;
comment on function app.chord_to_meters(double precision) is 'Great-circle distance in meters for a straight-line (chord) distance through the earth.';

create or replace function app.meters_to_chord(meters double precision)
returns double precision
language sql
immutable
strict
parallel safe
return case
    when meters < 0 then 0
    when meters / 6378168::float8 > pi() then 2 * 6378168::float8
    else 2 * 6378168::float8 * sin(meters / (2 * 6378168::float8))
end;
comment on function app.meters_to_chord(double precision) is 'Straight-line (chord) distance for a great-circle distance in meters.';

create table app.stations (
    id uuid not null default app.uuid_v7(),
    name text not null,
    brand text,
    address text,
    latitude double precision not null,
    longitude double precision not null,
    google_place_id text,
    source text not null default 'manual',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint stations_pkey primary key (id),
    constraint stations_name_not_blank check (char_length(btrim(name)) between 1 and 200),
    constraint stations_brand_length check (brand is null or char_length(brand) between 1 and 100),
    constraint stations_address_length check (address is null or char_length(address) <= 500),
    constraint stations_latitude_range check (latitude between -90 and 90),
    constraint stations_longitude_range check (longitude between -180 and 180),
    constraint stations_google_place_id_format check (google_place_id is null or (google_place_id ~ '^[A-Za-z0-9_-]+$' and char_length(google_place_id) between 10 and 300)),
    constraint stations_source_known check (source in ('manual', 'import', 'google', 'osm', 'user'))
);
comment on table app.stations is
    'Fuel and charging stations: shared reference data for all tenants. Read by app_user, written by the owner role and app.import_stations().';
select app.distribute_table('app.stations', 'reference');

create unique index stations_google_place_id_unique on app.stations (google_place_id) where google_place_id is not null;
create index stations_location_gist on app.stations using gist (app.earth_point(latitude, longitude)) where deleted_at is null;
create index stations_name_trgm on app.stations using gin (lower(name) ext.gin_trgm_ops) where deleted_at is null;

select app.enable_shared_rules('app.stations');
create policy stations_everyone_reads on app.stations for select to app_user, analyst using (deleted_at is null);
grant select on app.stations to app_user, analyst;

create or replace function app.import_stations(rows jsonb)
returns integer
language plpgsql
as $$
declare
    n integer;
begin
    insert into app.stations (name, brand, address, latitude, longitude, google_place_id, source)
    select r.name, r.brand, r.address, r.latitude, r.longitude, r.google_place_id, coalesce(r.source, 'import')
    from jsonb_to_recordset(rows) as r(
        name text, brand text, address text, latitude double precision, longitude double precision,
        google_place_id text, source text
    )
    on conflict (google_place_id) where google_place_id is not null do update
        set name = excluded.name,
            brand = excluded.brand,
            address = excluded.address,
            latitude = excluded.latitude,
            longitude = excluded.longitude,
            source = excluded.source,
            deleted_at = null;
    get diagnostics n = row_count;
    return n;
end
$$;
comment on function app.import_stations(jsonb) is
    'Owner role: upserts stations from a JSON array of {name, brand, address, latitude, longitude, google_place_id, source}; rows with a known google_place_id are updated. Returns the number of rows written.';

-- API -------------------------------------------------------------------------------------------

create or replace view api.stations
with (security_invoker = true)
as
select id, name, brand, address, latitude, longitude, google_place_id, source, created_at, updated_at
from app.stations
where deleted_at is null;
comment on view api.stations is
    'Fuel and charging stations shared by all tenants (read only). Filter by name with name=ilike.*shell*, or use stations_near / stations_search.';
comment on column api.stations.google_place_id is 'Google Places id, unique when present.';
comment on column api.stations.source is 'Where the row came from: manual, import, google, osm or user.';

create or replace function api.stations_near(
    lat double precision,
    lng double precision,
    radius_km double precision default 10,
    "limit" integer default 20
)
returns table (
    id uuid,
    name text,
    brand text,
    address text,
    latitude double precision,
    longitude double precision,
    google_place_id text,
    distance_km double precision
)
language plpgsql
stable
as $$
declare
    center ext.cube;
begin
    if lat is null or lat not between -90 and 90 then
        raise exception using errcode = 'invalid_parameter_value', message = format('lat: must be between -90 and 90, got %s', coalesce(lat::text, 'null'));
    end if;
    if lng is null or lng not between -180 and 180 then
        raise exception using errcode = 'invalid_parameter_value', message = format('lng: must be between -180 and 180, got %s', coalesce(lng::text, 'null'));
    end if;
    if radius_km is null or radius_km <= 0 or radius_km > 500 then
        raise exception using errcode = 'invalid_parameter_value', message = format('radius_km: must be more than 0 and at most 500, got %s', coalesce(radius_km::text, 'null')),
            hint = 'Search a smaller area.';
    end if;
    if "limit" is null or "limit" not between 1 and 200 then
        raise exception using errcode = 'invalid_parameter_value', message = format('limit: must be between 1 and 200, got %s', coalesce("limit"::text, 'null'));
    end if;
    center := app.earth_point(lat, lng);
    return query
    select s.id, s.name, s.brand, s.address, s.latitude, s.longitude, s.google_place_id,
           app.chord_to_meters(app.earth_point(s.latitude, s.longitude) operator(ext.<->) center) / 1000
    from app.stations as s
    where s.deleted_at is null
      and ext.cube_enlarge(center, app.meters_to_chord(radius_km * 1000), 3) operator(ext.@>) app.earth_point(s.latitude, s.longitude)
      and app.earth_point(s.latitude, s.longitude) operator(ext.<->) center <= app.meters_to_chord(radius_km * 1000)
    order by app.earth_point(s.latitude, s.longitude) operator(ext.<->) center
    limit "limit";
end
$$;
comment on function api.stations_near(double precision, double precision, double precision, integer) is
    'Stations within radius_km (default 10, at most 500) of lat/lng, nearest first, with their great-circle distance in km; at most limit (default 20, at most 200) rows. Uses a GiST index (nearest-neighbour scan).';

create or replace function api.stations_search(q text, "limit" integer default 20)
returns setof api.stations
language plpgsql
stable
as $$
begin
    if q is null or char_length(btrim(q)) < 2 then
        raise exception using errcode = 'invalid_parameter_value', message = 'q: give at least 2 characters of the station name';
    end if;
    return query
    select v.*
    from api.stations as v
    join app.stations as s on s.id = v.id
    where lower(s.name) like '%' || lower(btrim(q)) || '%'
      and s.deleted_at is null
    order by char_length(s.name), s.name
    limit least(greatest(coalesce("limit", 20), 1), 200);
end
$$;
comment on function api.stations_search(text, integer) is
    'Stations whose name contains q (case-insensitive, at least 2 characters), shortest names first; trigram-indexed.';

grant select on api.stations to app_user;
grant execute on function
    app.earth_point(double precision, double precision),
    app.chord_to_meters(double precision),
    app.meters_to_chord(double precision),
    api.stations_near(double precision, double precision, double precision, integer),
    api.stations_search(text, integer)
    to app_user;

commit;
