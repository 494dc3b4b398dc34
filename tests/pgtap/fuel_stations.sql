-- Stations: shared, read-only for app_user, nearest first through the GiST index, name search.
select plan(12);

insert into app.stations (name, brand, latitude, longitude, google_place_id, source)
values
    ('Shell Springfield Downtown', 'Shell', 39.7990, -89.6440, 'ChIJ_downtown_0001', 'import'),
    ('BP North',                  'BP',    39.8500, -89.6500, null, 'manual'),
    ('Casey''s West',              'Caseys',39.7800, -89.7500, null, 'manual'),
    ('Shell Chicago',             'Shell', 41.8781, -87.6298, null, 'manual');
-- filler so the planner has a reason to use the index
insert into app.stations (name, latitude, longitude, source)
select 'Filler ' || g, -60 + (g % 120), -170 + (g % 340), 'import' from generate_series(1, 2000) as g;
analyze app.stations;

-- a signed-in user with no tenant: stations are shared
select tests.new_user() as driver \gset
select tests.become(:'driver');

select results_eq(
    $$select name from api.stations_near(39.781721, -89.650148, 25, 10)$$,
    array['Shell Springfield Downtown', 'BP North', 'Casey''s West'],
    'stations_near lists stations within the radius, nearest first'
);
select ok(
    (select abs(distance_km - 1.95) < 0.05 from api.stations_near(39.781721, -89.650148, 25, 1)),
    'distance_km is the great-circle distance (Springfield home -> downtown station about 1.95 km)'
);
select results_eq(
    $$select count(*)::int from api.stations_near(39.781721, -89.650148, 300, 200) where name like 'Shell%'$$,
    array[2],
    'a larger radius reaches Chicago (about 280 km away)'
);
select results_eq(
    $$select name from api.stations_near(39.781721, -89.650148, 25, 1)$$,
    array['Shell Springfield Downtown'],
    'limit caps the rows'
);
select throws_like(
    $$select * from api.stations_near(95, 0, 10, 10)$$,
    'lat: must be between -90 and 90%',
    'a latitude out of range is refused, naming lat'
);
select throws_like(
    $$select * from api.stations_near(0, 0, 0, 10)$$,
    'radius_km: %',
    'a radius of 0 is refused, naming radius_km'
);
select results_eq(
    $$select name from api.stations_search('shell')$$,
    array['Shell Chicago', 'Shell Springfield Downtown'],
    'stations_search finds names containing the text, case-insensitive'
);
select throws_ok(
    $$insert into app.stations (name, latitude, longitude) values ('Mine', 1, 1)$$,
    '42501', null,
    'app_user cannot write stations'
);
select throws_ok(
    $$update app.stations set name = 'x'$$,
    '42501', null,
    'app_user cannot update stations'
);
select tests.unbecome();

select ok(
    (select count(*) = 1 from app.stations where google_place_id = 'ChIJ_downtown_0001'),
    'google_place_id present once'
);
select throws_ok(
    $$insert into app.stations (name, latitude, longitude, google_place_id) values ('Dup', 1, 1, 'ChIJ_downtown_0001')$$,
    '23505', null,
    'google_place_id is unique'
);
create function pg_temp.plan_of(q text) returns text language plpgsql as $f$
declare
    r text;
    t text := '';
begin
    for r in execute 'explain ' || q loop
        t := t || r || E'\n';
    end loop;
    return t;
end
$f$;
select alike(
    pg_temp.plan_of($$
        select s.id
        from app.stations as s
        where s.deleted_at is null
          and ext.cube_enlarge(app.earth_point(39.78, -89.65), app.meters_to_chord(25000), 3) operator(ext.@>) app.earth_point(s.latitude, s.longitude)
        order by app.earth_point(s.latitude, s.longitude) operator(ext.<->) app.earth_point(39.78, -89.65)
        limit 10
    $$),
    '%Index Scan%stations_location_gist%',
    'the nearest-first search is an index scan on the GiST index over earth_point(latitude, longitude)'
);

select * from finish();
