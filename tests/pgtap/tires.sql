-- Tires: DOT codes parsed and checked, one tire per wheel position (a rotation swaps in one
-- statement), mounts checked once per statement (a bad row in a batch writes nothing and is
-- named), distance per set and tire across seasonal swaps, wear projection, age and rotation
-- warnings, isolation.
select plan(22);

select tests.new_tenant('Tires') as home \gset
select tests.new_member(:'home', 'member') as member \gset
select tests.new_member(:'home', 'viewer') as viewer \gset
select tests.new_vehicle(:'home', 'Golf', 'km') as golf \gset
select tests.new_vehicle(:'home', 'Polo', 'km') as polo \gset
select tests.new_tenant('Neighbours') as other \gset
select tests.new_member(:'other', 'owner') as neighbour \gset

select tests.become(:'member', :'home');
insert into api.odometer_entries (vehicle_id, read_on, odometer)
values (:'golf', current_date - 400, 20000), (:'golf', current_date - 90, 36000), (:'golf', current_date, 40500),
       (:'polo', current_date - 50, 50000);

-- DOT codes
insert into api.tire_sets (vehicle_id, name, brand, model, size, season, dot_code, rotate_every_km)
values (:'golf', 'Summer', 'Michelin', 'Primacy 4', '205/55 r16 91v', 'summer', 'dot 4b9x  3vr 2319', 6000)
returning id as summer \gset
select results_eq(
    format($$select dot_code, manufactured_on, size from api.tire_sets where id = %L$$, :'summer'),
    $$values ('DOT 4B9X 3VR 2319'::text, date '2019-06-03', '205/55 R16 91V'::text)$$,
    'the DOT code is normalized and its week 23 of 2019 parsed (the Monday of that ISO week)'
);
select throws_like(
    format($$insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code) values (%L, 'x', 'B', '205/55 R16', 'winter', 'DOT 4B9X 3VR 5419')$$, :'golf'),
    'dot_code: week 54 of %does not exist (01-53)',
    'week 54 does not exist'
);
select throws_like(
    format($$insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code) values (%L, 'x', 'B', '205/55 R16', 'winter', 'DOT 4B9X 3VR 5319')$$, :'golf'),
    'dot_code: 2019 has no ISO week 53%',
    '2019 has no week 53'
);
select lives_ok(
    format($$insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code) values (%L, 'Old', 'B', '205/55 R16', 'winter', 'DOT 4B9X 3VR 5320')$$, :'golf'),
    '2020 has a week 53'
);
select throws_like(
    format($$insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code) values (%L, 'x', 'B', '205/55 R16', 'winter', 'DOT 4B9X 3VR 0199')$$, :'golf'),
    'dot_code: week 01 of 2099 % is in the future',
    'a DOT date in the future is refused'
);
select throws_like(
    format($$insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code) values (%L, 'x', 'B', '205/55 R16', 'winter', 'ABC')$$, :'golf'),
    'dot_code: ''ABC'' is not a DOT code%',
    'a DOT code has its shape'
);
select throws_like(
    format($$insert into api.tire_sets (vehicle_id, name, brand, size, season) values (%L, 'x', 'B', '205/55 R16', 'spring')$$, :'golf'),
    '%tire_sets_season_known%',
    'season is summer, winter or all_season'
);
insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code)
values (:'golf', 'Winter', 'Continental', '205/55 R16', 'winter', 'DOT 4B9X 3VR ' || to_char(current_date - 365, 'IWIY'))
returning id as winter \gset

-- tires and positions
insert into api.tires (tire_set_id, label, position, added_on)
values (:'summer', '1', 'front_left', current_date - 400), (:'summer', '2', 'front_right', current_date - 400),
       (:'summer', '3', 'rear_left', current_date - 400), (:'summer', '4', 'rear_right', current_date - 400);
select throws_like(
    format($$insert into api.tires (tire_set_id, label, position) values (%L, '5', 'front_left')$$, :'summer'),
    'position: front_left of tire set % holds tires 1, 5',
    'one tire per wheel position'
);
select lives_ok(
    format($$update api.tires set position = case position when 'front_left' then 'rear_right' else 'front_left' end
             where tire_set_id = %L and position in ('front_left', 'rear_right')$$, :'summer'),
    'a rotation swaps positions in one statement'
);

-- mounts: a batch with an overlap in the middle writes nothing and names it
select throws_like(
    format($$insert into api.tire_mounts (tire_set_id, vehicle_id, mounted_on, mount_odometer, dismounted_on, dismount_odometer)
             values (%1$L, %3$L, current_date - 400, 20000, current_date - 220, 29000),
                    (%2$L, %3$L, current_date - 250, 28000, current_date - 100, 35000),
                    (%1$L, %3$L, current_date - 100, 35000, null, null)$$, :'summer', :'winter', :'golf'),
    'mounted_on: set % mounted on % overlaps the mount of set % on %',
    'a batch with an overlapping mount in the middle is refused, naming it'
);
select is((select count(*)::int from api.tire_mounts), 0, 'and writes nothing');
insert into api.tire_mounts (tire_set_id, vehicle_id, mounted_on, mount_odometer, dismounted_on, dismount_odometer)
values (:'summer', :'golf', current_date - 400, 20000, current_date - 220, 29000),
       (:'winter', :'golf', current_date - 220, 29000, current_date - 100, 35000),
       (:'summer', :'golf', current_date - 100, 35000, null, null);
select throws_like(
    format($$insert into api.tire_mounts (tire_set_id, vehicle_id, mounted_on, mount_odometer) values (%L, %L, current_date - 10, 40000)$$,
           :'winter', :'polo'),
    'mount_odometer: 40000 km on % is lower than 50000 km read on %',
    'a mount below the vehicle''s earlier reading is refused'
);

-- distance per set across the seasonal swaps, age and rotation
select results_eq(
    format($$select name, distance_km, age_warning, mounted_on_vehicle_id is not null, rotation_km_left, rotation_urgency
             from api.tire_set_status where tire_set_id in (%L, %L) order by name$$, :'summer', :'winter'),
    $$values ('Summer'::text, 14500::numeric, 'inspect'::text, true, 500::numeric, 'very_urgent'::text),
             ('Winter', 6000, null, false, null, null)$$,
    'summer: 9000 + 5500 km, over 6 years old, 500 km to its rotation; winter: 6000 km'
);
insert into api.tire_sets (vehicle_id, name, brand, size, season, dot_code)
values (:'polo', 'Spare set', 'Kleber', '185/65 R15', 'all_season', 'DOT 4B9X 3VR ' || to_char(current_date - 3700, 'IWIY'));
select is((select age_warning from api.tire_set_status where name = 'Spare set'), 'replace', 'a set made over 10 years ago: replace');
insert into api.maintenance (vehicle_id, type, completed_on, odometer) values (:'golf', 'tire_rotation', current_date - 5, 40000);
select results_eq(
    format($$select km_since_rotation, rotation_urgency from api.tire_set_status where tire_set_id = %L$$, :'summer'),
    $$values (500::numeric, 'not_urgent'::text)$$,
    'a tire_rotation service resets the rotation distance'
);

-- tread depth and the wear projection (8.0 mm new, 6.0 mm after 9000 km, 4.6 mm after 14500 km)
select id as tire1 from api.tires where tire_set_id = :'summer' and label = '1' \gset
insert into api.tread_measurements (tire_id, measured_on, odometer, depth_mm) values (:'tire1', current_date - 220, 29000, 6.0);
insert into api.tread_measurements (tire_id, measured_on, odometer, depth_mm) values (:'tire1', current_date, 40500, 4.6);
select results_eq(
    format($$select distance_km, depth_mm, last_measured_position, mm_per_1000_km, km_to_legal_min,
                    projected_legal_min_on = current_date + ceil(km_to_legal_min / 50.0)::int
             from api.tire_wear where tire_id = %L$$, :'tire1'),
    $$values (14500::numeric, 4.6::numeric, 'rear_right'::text, 0.233::numeric, 12860::numeric, true)$$,
    'wear: 0.233 mm per 1000 km, 12860 km to 1.6 mm, at 50 km a day'
);
select throws_like(
    format($$insert into api.tread_measurements (tire_id, depth_mm) values (%L, 31)$$, :'tire1'),
    '%tread_measurements_depth_mm_range%',
    'a depth is 0-30 mm'
);

-- roles and isolation
select tests.become(:'viewer', :'home');
select throws_ok(
    format($$insert into api.tires (tire_set_id, label) values (%L, '9')$$, :'summer'),
    '42501', null,
    'viewers do not write'
);
select tests.become(:'neighbour', :'other');
select is((select count(*)::int from api.tire_sets), 0, 'another tenant sees no tire sets');
select is((select count(*)::int from api.tire_wear), 0, 'nor tires');
select is((select count(*)::int from api.tire_set_status), 0, 'nor their status');
select throws_ok(
    format($$insert into api.tire_mounts (tire_set_id, vehicle_id, mounted_on, mount_odometer) values (%L, %L, current_date, 1)$$,
           :'summer', :'golf'),
    '23503', null,
    'nor mounts a set of another tenant'
);

select tests.unbecome();
select * from finish();
