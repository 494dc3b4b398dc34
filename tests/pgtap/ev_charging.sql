-- EV charging: sessions, efficiency from grid, battery and SoC, cost by location; EV and PHEV, hand-computed.
select plan(14);

select tests.new_tenant('EV test') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'H: battery electric', 'km') as ev \gset
select tests.new_vehicle(:'tenant', 'P: plug-in hybrid', 'km') as phev \gset

select tests.become(:'owner', :'tenant');

insert into api.energy_sources (vehicle_id, tank_number, name, unit, capacity)
values (:'ev', 1, 'Battery', 'kwh', 60),
       (:'phev', 1, 'Petrol tank', 'l', 45),
       (:'phev', 2, 'Battery', 'kwh', 12);

-- H: four sessions, never full; 60 kWh battery
insert into api.charging_sessions (vehicle_id, charged_on, odometer, grid_kwh, battery_kwh, soc_before, soc_after,
                                   charger_level, location_type, network, charge_minutes, price_per_kwh, session_fee,
                                   currency, is_full)
values
    (:'ev', '2024-05-01', 10000, 30, 27, 20, 65, 'ac_l2', 'home', null, 300, 0.30, null, 'EUR', false),
    (:'ev', '2024-05-05', 10200, 20, 18, 35, 65, 'ac_l2', 'home', null, 200, 0.30, null, 'EUR', false),
    (:'ev', '2024-05-08', 10400, 33, 30, 30, 80, 'dc_fast', 'public', 'Ionity', 25, 0.60, 1.00, 'EUR', false),
    (:'ev', '2024-05-12', 10700, 35, 31.5, 20, 72.5, 'ac_l2', 'work', null, 240, 0, null, 'EUR', false);

select results_eq(
    format($$select fuel_type, volume, volume_unit, total_cost, energy_kind from api.fuel_logs
             where vehicle_id = %L order by filled_on limit 1$$, :'ev'),
    $$values ('electric', 30.000, 'kwh', 9.00, 'electric')$$,
    'a charging session is an electric fill-up: kWh from the grid, cost computed from the price'
);
select results_eq(
    format($$select sessions, grid_kwh, battery_kwh, charging_efficiency, distance, grid_kwh_per_100, battery_kwh_per_100
             from api.ev_efficiency(%L)$$, :'ev'),
    $$values (4, 118.000, 106.500, 0.903, 700.0, 12.57, 11.36)$$,
    'grid: 88 kWh after the first charge over 700 km; battery: 79.5 kWh; losses: 106.5 of 118 kWh reached the battery'
);
select results_eq(
    format($$select soc_pairs, soc_kwh, soc_distance, soc_kwh_per_100, note from api.ev_efficiency(%L)$$, :'ev'),
    $$values (3, 75.00, 700.0, 10.71, '')$$,
    'SoC estimate: (65-35) + (65-30) + (80-20) = 125 % of 60 kWh = 75 kWh over 700 km'
);
select results_eq(
    format($$select location_type, sessions, grid_kwh, cost, cost_per_kwh, cost_per_100 from api.ev_charging_costs(%L)$$, :'ev'),
    $$values ('home', 2, 50.000, 15.00, 0.3000, 3.77),
             ('public', 1, 33.000, 20.80, 0.6303, 7.92),
             ('work', 1, 35.000, 0.00, 0.0000, 0.00)$$,
    'cost per 100 km by location: price per kWh there (fees included) x 12.571 kWh per 100 km'
);
select is_empty(
    format($$select economy from api.fuel_economy_intervals(%L, 'kwh_per_100km')$$, :'ev'),
    'never-full charges close no full-to-full interval: the SoC estimate is the figure to use'
);

select throws_like(
    format($$insert into api.charging_sessions (vehicle_id, charged_on, odometer, grid_kwh, battery_kwh)
             values (%L, '2024-05-13', 10710, 10, 11)$$, :'ev'),
    '%fuel_logs_battery_kwh_within_grid%',
    'more energy into the battery than from the grid is refused'
);
select throws_like(
    format($$insert into api.charging_sessions (vehicle_id, charged_on, odometer, grid_kwh, soc_before, soc_after)
             values (%L, '2024-05-13', 10710, 10, 80, 40)$$, :'ev'),
    '%fuel_logs_soc_after_not_below_before%',
    'a charge does not lower the state of charge'
);
select throws_like(
    format($$insert into api.charging_sessions (vehicle_id, charged_on, odometer, fuel_type, grid_kwh, location_type)
             values (%L, '2024-06-01', 100, 'gasoline', 10, 'home')$$, :'phev'),
    '%fuel_logs_charge_fields_electric%',
    'charging fields belong to electric rows'
);
select throws_like(
    format($$insert into api.charging_sessions (vehicle_id, charged_on, odometer, grid_kwh, charger_level)
             values (%L, '2024-05-13', 10710, 10, 'level9')$$, :'ev'),
    '%fuel_logs_charger_level_known%',
    'charger level is ac_l1, ac_l2 or dc_fast'
);

-- P: plug-in hybrid; petrol and electricity both per the vehicle's whole distance in vehicle_energy
insert into api.fuel_logs (vehicle_id, filled_on, filled_time, odometer, fuel_type, volume, price_per_unit, currency)
values (:'phev', '2024-06-01', '08:00', 20000, 'gasoline', 30, 1.50, 'EUR');
insert into api.charging_sessions (vehicle_id, charged_on, started_time, odometer, grid_kwh, price_per_kwh, currency, location_type)
values (:'phev', '2024-06-01', '20:00', 20000, 10, 0.25, 'EUR', 'home'),
       (:'phev', '2024-06-05', null, 20060, 10, 0.25, 'EUR', 'home'),
       (:'phev', '2024-06-10', null, 20120, 11, 0.50, 'EUR', 'public');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, fuel_type, volume, price_per_unit, currency)
values (:'phev', '2024-06-20', 20600, 'gasoline', 20, 1.50, 'EUR');

select results_eq(
    format($$select source_name, fill_ups, energy_kwh, cost, distance, volume_per_100, kwh_per_100, cost_per_100
             from api.vehicle_energy(%L)$$, :'phev'),
    $$values ('Petrol tank', 2, 445.0, 75.00, 600.0, 3.33, 29.67, 5.00),
             ('Battery', 3, 31.0, 10.50, 600.0, 3.50, 3.50, 1.33),
             ('total', 5, 476.0, 85.50, 600.0, null, 33.17, 6.33)$$,
    'PHEV over 600 km: petrol 20 l (178 kWh, 30.00) and 21 kWh (8.00) after each source''s first fill-up'
);
select results_eq(
    format($$select source_name, sessions, distance, grid_kwh_per_100, note from api.ev_efficiency(%L)$$, :'phev'),
    $$values ('Battery', 3, 120.0, 17.50,
             'battery_kwh missing on some charges: no battery figure; no consecutive charges with SoC: no SoC estimate')$$,
    'PHEV battery between charges: 21 kWh over the 120 km from the first charge to the last'
);
select results_eq(
    format($$select location_type, cost_per_kwh, grid_kwh_per_100, cost_per_100 from api.ev_charging_costs(%L)$$, :'phev'),
    $$values ('home', 0.2500, 17.50, 4.38), ('public', 0.5000, 17.50, 8.75)$$,
    'PHEV: 17.5 kWh per 100 km at 0.25 at home and 0.50 in public'
);

delete from api.charging_sessions where vehicle_id = :'phev' and charged_on = '2024-06-10';
select results_eq(
    format($$select (select count(*)::int from api.charging_sessions where vehicle_id = %L),
                    (select count(*)::int from api.fuel_logs_trash where vehicle_id = %L)$$, :'phev', :'phev'),
    $$values (2, 1)$$,
    'DELETE on charging_sessions soft-deletes: the session is in fuel_logs_trash'
);
select throws_ok(
    $$select * from api.ev_efficiency(gen_random_uuid())$$,
    'PT404', null,
    'an unknown vehicle is 404'
);

select * from finish();
