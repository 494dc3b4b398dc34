-- Cost of ownership: depreciation per day and distance, TCO per month and year, fleet: hand-computed.
select plan(8);

select tests.new_tenant('TCO test') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'Car', 'km') as car \gset
select tests.new_vehicle(:'tenant', 'Van', 'km') as van \gset
select tests.become(:'owner', :'tenant');

insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, purchase_odometer, currency,
                                   sold_on, sale_price, sale_odometer)
values (:'car', '2024-01-01', 20000, 10000, 'eur', '2024-03-01', 19400, 12000);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, currency)
values (:'car', '2024-01-02', 10000, 40, 1.50, 'EUR'),
       (:'car', '2024-01-15', 10800, 40, 1.50, 'EUR');
insert into api.maintenance (vehicle_id, type, completed_on, odometer, cost, currency)
values (:'car', 'oil_change', '2024-02-10', 11500, 120, 'EUR');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, currency)
values (:'car', '2024-02-25', 12000, 30, 1.60, 'EUR');
insert into api.expenses (vehicle_id, category, incurred_on, amount, currency)
values (:'car', 'insurance', '2024-02-01', 50, 'EUR');

select results_eq(
    format($$select depreciation, per_day, distance, per_distance, is_sold from api.vehicle_depreciation where vehicle_id = %L$$, :'car'),
    $$values (600.00, 10.0000, 2000, 0.3000, true)$$,
    'depreciation: 600 over 60 days (10 a day) and 2000 km (0.30 a km)'
);
select results_eq(
    format($$select month, energy, maintenance, expenses, depreciation, total, distance, cost_per_100
             from api.vehicle_tco_months where vehicle_id = %L order by month$$, :'car'),
    $$values ('2024-01-01'::date, 120.00, 0::numeric, 0::numeric, 310.00, 430.00, 800.0, 53.75),
             ('2024-02-01', 48.00, 120.00, 50.00, 290.00, 508.00, 500.0, 101.60),
             ('2024-03-01', 0, 0, 0, 0.00, 0.00, null, null)$$,
    'TCO per month: January 31 days and February 29 days of depreciation; cost per 100 km of that month''s distance'
);
select results_eq(
    format($$select year, total, distance, cost_per_100 from api.vehicle_tco_years where vehicle_id = %L$$, :'car'),
    $$values (2024, 938.00, 1300.0, 72.15)$$,
    'TCO per year: 938.00 over the 1300 km of the months with a distance'
);

insert into api.expenses (vehicle_id, category, incurred_on, amount, currency)
values (:'van', 'tolls', '2024-02-03', 12.5, 'EUR');
select results_eq(
    $$select month, vehicles, total from api.fleet_tco_months where month = '2024-02-01'$$,
    $$values ('2024-02-01'::date, 2::bigint, 520.50)$$,
    'the fleet per month: both vehicles'
);

select throws_ok(
    format($$insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, currency) values (%L, '2024-01-01', 1, 'EUR')$$, :'car'),
    '23505', null,
    'one ownership row per vehicle'
);
select throws_like(
    format($$insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, currency, sold_on)
             values (%L, '2024-01-01', 1, 'EUR', '2024-02-01')$$, :'van'),
    '%vehicle_ownership_sale_price_with_sold_on%',
    'a sale has a price'
);

-- a vehicle kept, with an estimate: depreciation to the estimate's day; in another reporting currency
insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, purchase_odometer, currency, estimated_value, estimated_on)
values (:'van', '2024-02-01', 3100, null, 'EUR', 3000, '2024-03-02');
select results_eq(
    format($$select per_day, is_sold, per_distance from api.vehicle_depreciation where vehicle_id = %L$$, :'van'),
    $$values (3.3333, false, null::numeric)$$,
    'an estimate: 100 over 30 days; no purchase odometer, no figure per distance'
);
select tests.unbecome();
insert into app.exchange_rates (currency, rate_date, per_eur) values ('USD', '2024-02-01', 1.0800), ('USD', '2024-02-02', 1.0860);
select tests.become(:'owner', :'tenant');
insert into api.reporting_currencies (currency) values ('USD');
select results_eq(
    format($$select expenses, total, unconverted from api.vehicle_tco_months where vehicle_id = %L and month = '2024-02-01'$$, :'car'),
    $$values (54.00, 54.00, 3::bigint)$$,
    'reporting in USD: the insurance converts at 1.08; the fill-up and the service (no USD rate within 7 days) and the depreciation (none at the purchase date) are left out and counted'
);

select * from finish();
