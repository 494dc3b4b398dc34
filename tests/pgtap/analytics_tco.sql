-- The analysts' cost of ownership (analytics.vehicle_tco_months, _years, fleet_tco_months, _years):
-- the figures of the tenants' own views, hand-computed, across tenants, in each reporting currency.
select plan(6);

select tests.new_tenant('TCO A') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'Car', 'km') as car \gset
select tests.new_vehicle(:'tenant', 'Van', 'km') as van \gset
select tests.new_tenant('TCO B') as tenant_b \gset
select tests.new_member(:'tenant_b', 'owner') as owner_b \gset
select tests.new_vehicle(:'tenant_b', 'B car', 'km') as b_car \gset
insert into app.exchange_rates (currency, rate_date, per_eur) values ('USD', '2024-01-01', 1.1000);

-- A, as tests/pgtap/ownership_costs.sql: bought for 20,000 on 1 January, sold for 19,400 on 1 March
-- after 2,000 km (10.00 a day); January 310.00 of depreciation and 120.00 of fuel over 800 km
select tests.become(:'owner', :'tenant');
insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, purchase_odometer, currency,
                                   sold_on, sale_price, sale_odometer)
values (:'car', '2024-01-01', 20000, 10000, 'EUR', '2024-03-01', 19400, 12000);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, currency)
values (:'car', '2024-01-02', 10000, 40, 1.50, 'EUR'),
       (:'car', '2024-01-15', 10800, 40, 1.50, 'EUR'),
       (:'car', '2024-02-25', 12000, 30, 1.60, 'EUR');
insert into api.maintenance (vehicle_id, type, completed_on, odometer, cost, currency)
values (:'car', 'oil_change', '2024-02-10', 11500, 120, 'EUR');
insert into api.expenses (vehicle_id, category, title, vendor, notes, incurred_on, amount, currency)
values (:'car', 'insurance', 'Mrs Smith''s policy', 'Acme', 'call Anna', '2024-02-01', 50, 'EUR'),
       (:'van', 'tolls', null, null, null, '2024-02-03', 12.5, 'EUR');
-- B reports in USD; its car depreciates 31.00 a day in EUR from 1 January: 1.1 USD per EUR
select tests.become(:'owner_b', :'tenant_b');
insert into api.reporting_currencies (currency) values ('USD');
insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, currency, estimated_value, estimated_on)
values (:'b_car', '2024-01-01', 10000, 'EUR', 9039, '2024-02-01');
select tests.unbecome();

select tests.become_analyst();
select results_eq(
    format($$select month, currency, energy, maintenance, expenses, depreciation, total, unconverted, distance_km, cost_per_100km
             from analytics.vehicle_tco_months where vehicle_id = %L order by month$$, :'car'),
    $$values ('2024-01-01'::date, 'EUR', 120.00, 0::numeric, 0::numeric, 310.00, 430.00, 0, 800.0, 53.75),
             ('2024-02-01', 'EUR', 48.00, 120.00, 50.00, 290.00, 508.00, 0, 500.0, 101.60),
             ('2024-03-01', 'EUR', 0, 0, 0, 0.00, 0.00, 0, null, null)$$,
    'per vehicle and month: the api''s figures (tests/pgtap/ownership_costs.sql), per 100 km'
);
select results_eq(
    format($$select year, total, distance_km, cost_per_100km from analytics.vehicle_tco_years where vehicle_id = %L$$, :'car'),
    $$values (2024, 938.00, 1300.0, 72.15)$$,
    'per vehicle and year: 938.00 over the 1300 km of the months with a distance'
);
select results_eq(
    format($$select month, vehicles, total from analytics.fleet_tco_months where tenant_id = %L order by month$$, :'tenant'),
    $$values ('2024-01-01'::date, 1, 430.00), ('2024-02-01', 2, 520.50), ('2024-03-01', 1, 0.00)$$,
    'per fleet and month: the van''s tolls join the car in February'
);
select results_eq(
    format($$select month, currency, depreciation, total from analytics.vehicle_tco_months where vehicle_id = %L order by month$$, :'b_car'),
    $$values ('2024-01-01'::date, 'USD', 1057.10, 1057.10), ('2024-02-01', 'USD', 0.00, 0.00)$$,
    'another tenant in its own reporting currency: 961 EUR over 31 days, all in January, x 1.1 = 1057.10 USD at the purchase date''s rate'
);
select results_eq(
    format($$select year, vehicles, total from analytics.fleet_tco_years where tenant_id in (%L, %L) order by total$$,
           :'tenant', :'tenant_b'),
    $$values (2024, 2, 950.50), (2024, 1, 1057.10)$$,
    'per fleet and year, both tenants'
);
-- nothing personal: the expense's title, vendor and notes and the vehicles' names are nowhere
select is(
    (select count(*)::int from information_schema.columns
     where table_schema = 'analytics' and table_name in ('vehicle_tco_months', 'vehicle_tco_years', 'fleet_tco_months', 'fleet_tco_years', 'costs')
       and column_name ~ '(title|vendor|notes|name|vin|plate)'),
    0, 'the TCO views carry no title, vendor, notes, name, VIN or plate'
);
select tests.unbecome();

select * from finish();
