-- Energy sources: bi-fuel (one chain per tank), flex-fuel (one chain, blend), defaults, rules; hand-computed.
select plan(20);

select tests.new_tenant('Energy sources test') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'E: bi-fuel petrol + LPG', 'km') as car_e \gset
select tests.new_vehicle(:'tenant', 'F: flex-fuel E85', 'km') as car_f \gset
select tests.new_vehicle(:'tenant', 'G: no sources declared', 'km') as car_g \gset

select tests.become(:'owner', :'tenant');

insert into api.energy_sources (vehicle_id, tank_number, name, fuel_types, unit, capacity)
values (:'car_e', 1, 'Petrol tank', '{gasoline}', 'l', 55),
       (:'car_e', 2, 'LPG tank', '{lpg}', 'l', 60),
       (:'car_f', 1, 'Flex tank', '{e85,gasoline,e85}', 'l', 60);
select id as petrol from api.energy_sources where vehicle_id = :'car_e' and tank_number = 1 \gset
select id as lpg from api.energy_sources where vehicle_id = :'car_e' and tank_number = 2 \gset
select id as flex from api.energy_sources where vehicle_id = :'car_f' \gset

select results_eq(
    format($$select energy_kind, fuel_types from api.energy_sources where id = %L$$, :'flex'),
    $$values ('liquid', '{e85,gasoline}'::text[])$$,
    'the kind follows the unit; fuel types are sorted and deduplicated'
);

-- E, bi-fuel: each tank has its own full-to-full chain over the vehicle's whole distance
insert into api.fuel_logs (vehicle_id, source_id, filled_on, odometer, fuel_type, volume, price_per_unit, currency)
values
    (:'car_e', :'petrol', '2024-01-01', 1000, 'gasoline', 40, 1.80, 'EUR'),
    (:'car_e', :'lpg', '2024-01-02', 1010, 'lpg', 50, 0.80, 'EUR'),
    (:'car_e', :'lpg', '2024-01-20', 1510, 'lpg', 45, 0.80, 'EUR'),
    (:'car_e', :'petrol', '2024-02-01', 2010, 'gasoline', 10, 1.80, 'EUR'),
    (:'car_e', :'lpg', '2024-02-02', 2020, 'lpg', 40, 0.80, 'EUR');

select results_eq(
    format($$select source_name, distance, volume, economy from api.fuel_economy_intervals(%L, 'l_per_100km')
             where economy is not null$$, :'car_e'),
    $$values ('LPG tank', 500.0, 45.000, 9.00), ('LPG tank', 510.0, 40.000, 7.84), ('Petrol tank', 1010.0, 10.000, 0.99)$$,
    'bi-fuel: LPG 45 l over 500 km and 40 l over 510 km; petrol 10 l over 1010 km (the LPG fill-ups do not close it)'
);
select results_eq(
    format($$select source_name, intervals, economy from api.fuel_economy(%L, 'l_per_100km')$$, :'car_e'),
    $$values ('LPG tank', 2, 8.42), ('Petrol tank', 1, 0.99)$$,
    'bi-fuel averages per tank: LPG 85 l / 1010 km, petrol 10 l / 1010 km'
);
select results_eq(
    format($$select economy from api.fuel_economy(%L, 'l_per_100km', source => %L)$$, :'car_e', :'petrol'),
    $$values (0.99)$$,
    'source_id picks one tank'
);
select results_eq(
    format($$select source_name, fill_ups, volume, energy_kwh, cost, distance, volume_per_100, kwh_per_100, cost_per_100
             from api.vehicle_energy(%L)$$, :'car_e'),
    $$values ('Petrol tank', 2, 50.000, 445.0, 90.00, 1020.0, 0.98, 8.73, 1.76),
             ('LPG tank', 3, 135.000, 945.0, 108.00, 1020.0, 8.33, 58.33, 6.67),
             ('total', 5, null, 1390.0, 198.00, 1020.0, null, 67.06, 8.43)$$,
    'vehicle energy: 1020 km; per 100 km the fill-ups after each tank''s first: petrol 10 l (89 kWh, 18.00), LPG 85 l (595 kWh, 68.00)'
);

select throws_like(
    format($$insert into api.fuel_logs (vehicle_id, source_id, filled_on, odometer, fuel_type, volume)
             values (%L, %L, '2024-02-03', 2030, 'gasoline', 5), (%L, %L, '2024-02-03', 2030, 'lpg', 5)$$,
           :'car_e', :'petrol', :'car_e', :'petrol'),
    'fuel_type: lpg does not go into Petrol tank, which takes gasoline',
    'LPG into the petrol tank is refused, also in the middle of a batch'
);
select is((select count(*)::int from api.fuel_logs where vehicle_id = :'car_e'), 5, 'and nothing of the batch is written');
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, source_id, filled_on, odometer, fuel_type, volume)
             values (%L, %L, '2024-02-03', 2030, 'electric', 5)$$, :'car_e', :'lpg'),
    '23503', null,
    'a charge cannot name a liquid tank (fuel_logs_source_fk: same vehicle and energy kind)'
);
select throws_ok(
    format($$insert into api.fuel_logs (vehicle_id, source_id, filled_on, odometer, volume)
             values (%L, %L, '2024-02-03', 100, 5)$$, :'car_g', :'lpg'),
    '23503', null,
    'a fill-up cannot name another vehicle''s tank'
);
select throws_like(
    format($$update api.energy_sources set fuel_types = '{diesel}' where id = %L$$, :'petrol'),
    'fuel_types: Petrol tank has fill-ups of gasoline',
    'a tank keeps the fuel types its fill-ups use'
);
select throws_like(
    format($$insert into api.energy_sources (vehicle_id, tank_number, name, fuel_types, unit)
             values (%L, 3, 'Odd', '{lpg}', 'kwh')$$, :'car_e'),
    '%energy_sources_fuel_types_match_kind%',
    'fuel types must suit the energy kind'
);
select throws_ok(
    format($$insert into api.energy_sources (vehicle_id, tank_number, name) values (%L, 2, 'Second LPG')$$, :'car_e'),
    '23505', null,
    'one tank number per vehicle'
);

-- F, flex-fuel: one tank, one chain whatever the fuel; the blend of each interval is reported
insert into api.fuel_logs (vehicle_id, source_id, filled_on, odometer, fuel_type, volume, is_full)
values
    (:'car_f', :'flex', '2024-03-01', 5000, 'gasoline', 50, true),
    (:'car_f', :'flex', '2024-03-10', 5400, 'e85', 30, false),
    (:'car_f', :'flex', '2024-03-20', 5800, 'gasoline', 20, true),
    (:'car_f', null, '2024-04-01', 6200, 'e85', 40, true);
select results_eq(
    format($$select distance, volume, economy, fuel_types, blend from api.fuel_economy_intervals(%L, 'l_per_100km')
             where economy is not null$$, :'car_f'),
    $$values (800.0, 50.000, 6.25, '{e85,gasoline}'::text[], '{"e85": 0.600, "gasoline": 0.400}'::jsonb),
             (400.0, 40.000, 10.00, '{e85}'::text[], '{"e85": 1.000}'::jsonb)$$,
    'flex-fuel: 30 l e85 + 20 l petrol over 800 km is one interval (60 % e85); the fill-up naming no source joins tank 1'
);
select is(
    (select economy from api.fuel_economy(:'car_f', 'l_per_100km')),
    7.50, 'flex-fuel average: 90 l / 1200 km'
);

-- G: no sources: one implicit chain per energy kind, as before sources existed; declaring a tank adopts them
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume)
values (:'car_g', '2024-01-01', 100, 30), (:'car_g', '2024-01-15', 600, 35);
select results_eq(
    format($$select source_id, source_name, economy from api.fuel_economy(%L, 'l_per_100km')$$, :'car_g'),
    $$values (null::uuid, null::text, 7.00)$$,
    'no source declared: the implicit chain of the energy kind'
);
insert into api.energy_sources (vehicle_id, tank_number, name, fuel_types) values (:'car_g', 2, 'LPG tank', '{lpg}');
select results_eq(
    format($$select source_name, economy from api.fuel_economy(%L, 'l_per_100km')$$, :'car_g'),
    $$values (null::text, 7.00)$$,
    'an LPG tank does not take petrol fill-ups that name no source'
);
insert into api.energy_sources (vehicle_id, name) values (:'car_g', 'Tank');
select results_eq(
    format($$select source_name, economy from api.fuel_economy(%L, 'l_per_100km')$$, :'car_g'),
    $$values ('Tank', 7.00)$$,
    'a declared tank takes the fill-ups that name no source'
);

-- analysts see the chains per source, without notes
select tests.become_analyst();
select results_eq(
    format($$select count(distinct source_id)::int from analytics.fuel_economy_intervals where vehicle_id = %L$$, :'car_e'),
    $$values (2)$$,
    'analytics.fuel_economy_intervals: one chain per tank'
);
select results_eq(
    format($$select fuel_types, tank_number from analytics.energy_sources where vehicle_id = %L order by tank_number$$, :'car_e'),
    $$values ('{gasoline}'::text[], 1::smallint), ('{lpg}'::text[], 2::smallint)$$,
    'analytics.energy_sources lists the tanks'
);
select tests.unbecome();
select is(
    (select count(*)::int from pg_constraint where conname = 'fuel_logs_source_fk' and convalidated),
    1, 'the source foreign key is validated'
);

select * from finish();
