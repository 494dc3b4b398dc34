-- Cost per vehicle-month counts expenses and every cost in the reporting currency (analytics.costs,
-- analytics.cost_months, api.vehicle_cost_months): hand-computed.
select plan(6);

select tests.new_tenant('Cost months') as tenant \gset
select tests.new_member(:'tenant', 'member') as member \gset
select tests.new_vehicle(:'tenant', 'Car', 'km') as car \gset
select tests.new_tenant('Other') as other \gset
select tests.new_vehicle(:'other', 'Other car', 'km') as other_car \gset

-- ECB-style rates (units per 1 EUR): Friday 5 January, Friday 19 January, Monday 5 February 2024
insert into app.exchange_rates (currency, rate_date, per_eur)
values ('USD', '2024-01-05', 1.1000), ('GBP', '2024-01-05', 0.8000),
       ('USD', '2024-01-19', 1.2000), ('GBP', '2024-01-19', 0.8000),
       ('USD', '2024-02-05', 1.2000), ('GBP', '2024-02-05', 0.8000);
select tests.new_fuel_log(:'other_car', '2024-01-05', 100, 10, 'l', 999, 'EUR');

select tests.become(:'member', :'tenant');
insert into api.reporting_currencies (currency) values ('USD');
-- January: fuel 80 EUR x 1.1 = 88.00 and 60 EUR x 1.2 (Saturday 20th: Friday's rate) = 72.00;
-- a service of 100.00 USD; insurance 40 GBP on Saturday 6th: 40 x 1.1 / 0.8 = 55.00, monthly until
-- 6 February (60.00 then: 40 x 1.2 / 0.8); parking of 500 JPY: no JPY rate, left out and counted
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, total_cost, currency)
values (:'car', '2024-01-05', 1000, 40, 80, 'EUR'),
       (:'car', '2024-01-20', 1500, 30, 60, 'EUR');
insert into api.maintenance (vehicle_id, type, completed_on, cost, currency)
values (:'car', 'oil_change', '2024-01-10', 100, 'USD');
insert into api.expenses (vehicle_id, category, incurred_on, amount, currency, recur_months, recur_until)
values (:'car', 'insurance', '2024-01-06', 40, 'GBP', 1, '2024-02-06'),
       (:'car', 'parking', '2024-01-25', 500, 'JPY', null, null);

select results_eq(
    format($$select month, currency, fuel_cost, maintenance_cost, expense_cost, total_cost, unconverted,
                    distance, cost_per_100_distance
             from api.vehicle_cost_months where vehicle_id = %L order by month$$, :'car'),
    $$values ('2024-01-01'::date, 'USD', 160.00, 100.00, 55.00, 315.00, 1, 500.0, 63.00),
             ('2024-02-01'::date, 'USD', 0, 0, 60.00, 60.00, 0, null, null)$$,
    'api: one row per month in USD; expenses counted; January 315.00 over 500 km = 63.00 per 100 km; the JPY parking is unconverted'
);
select tests.unbecome();

select tests.become_analyst();
select results_eq(
    format($$select month, currency, fuel_cost, maintenance_cost, expense_cost, total_cost, unconverted,
                    distance_km, cost_per_100km, fuel_cost_per_100km
             from analytics.cost_months where vehicle_id = %L order by month$$, :'car'),
    $$values ('2024-01-01'::date, 'USD', 160.00, 100.00, 55.00, 315.00, 1, 500.0, 63.00, 32.00),
             ('2024-02-01'::date, 'USD', 0, 0, 60.00, 60.00, 0, null, null, null)$$,
    'analytics: the same figures across tenants, per 100 km'
);
select results_eq(
    format($$select occurred_on, kind, category, amount, currency, reporting_amount, rate, rate_date
             from analytics.costs where vehicle_id = %L and kind = 'expense' order by occurred_on$$, :'car'),
    $$values ('2024-01-06'::date, 'expense', 'insurance', 40.00, 'GBP', 55.00, 1.37500000, '2024-01-05'::date),
             ('2024-01-25', 'expense', 'parking', 500.00, 'JPY', null, null, null),
             ('2024-02-06', 'expense', 'insurance', 40.00, 'GBP', 60.00, 1.50000000, '2024-02-05')$$,
    'analytics.costs: each payment at the rate of its date (Saturday: Friday''s), through the euro; no rate: NULL'
);
select is(
    (select total_cost from analytics.cost_months where vehicle_id = :'other_car'),
    999.00::numeric, 'another tenant reports in EUR (no reporting_currencies row)'
);
select tests.unbecome();

-- a deleted expense no longer counts; another tenant sees nothing of it
select tests.become(:'member', :'tenant');
delete from api.expenses where category = 'parking';
select is(
    (select unconverted from api.vehicle_cost_months where vehicle_id = :'car' and month = '2024-01-01'),
    0, 'the deleted parking expense is gone from the month'
);
select is(
    (select count(*)::int from api.vehicle_cost_months where vehicle_id = :'other_car'),
    0, 'api.vehicle_cost_months shows the active tenant only'
);
select tests.unbecome();

select * from finish();
