-- Expenses, recurring payments, reporting currency and conversion at ECB rate dates: hand-computed.
select plan(14);

-- ECB reference rates (units per 1 EUR), as motovault rates load writes them
insert into app.exchange_rates (currency, rate_date, per_eur)
values ('USD', '2024-01-05', 1.0921), ('USD', '2024-01-08', 1.0946), ('GBP', '2024-01-05', 0.8621);

select results_eq(
    $$select converted, rate, rate_date, note from app.convert_amount(100, 'USD', 'EUR', '2024-01-06')$$,
    $$values (91.57, 0.91566706, '2024-01-05'::date, null::text)$$,
    'USD on a Saturday: Friday''s rate, 100 / 1.0921'
);
select results_eq(
    $$select converted, rate, rate_date from app.convert_amount(50, 'GBP', 'USD', '2024-01-06')$$,
    $$values (63.34, 1.26679040, '2024-01-05'::date)$$,
    'a cross rate through the euro: 50 x 1.0921 / 0.8621'
);
select results_eq(
    $$select converted, rate, rate_date, note from app.convert_amount(100, 'JPY', 'EUR', '2024-01-06')$$,
    $$values (null::numeric, null::numeric, null::date, 'no ECB rate for JPY within 7 days up to 2024-01-06')$$,
    'a missing rate is NULL with a reason, never 1'
);
select results_eq(
    $$select converted, note from app.convert_amount(100, 'USD', 'EUR', '2024-01-20')$$,
    $$values (null::numeric, 'no ECB rate for USD within 7 days up to 2024-01-20')$$,
    'a rate older than 7 days is not used'
);
select results_eq(
    $$select converted, rate, rate_date, note from app.convert_amount(12.5, 'CHF', 'CHF', '2024-01-06')$$,
    $$values (12.5, 1::numeric, null::date, null::text)$$,
    'the same currency is the amount itself, with no rate date'
);

select tests.new_tenant('Costs test') as tenant \gset
select tests.new_member(:'tenant', 'owner') as owner \gset
select tests.new_vehicle(:'tenant', 'Car', 'km') as car \gset
select tests.become(:'owner', :'tenant');

-- 31 Jan monthly until 30 Apr: month ends stay month ends
insert into api.expenses (vehicle_id, category, title, incurred_on, amount, currency, recur_months, recur_until)
values (:'car', 'insurance', 'Insurance', '2024-01-31', 40, 'EUR', 1, '2024-04-30');
select results_eq(
    format($$select occurrence, occurred_on, next_on from api.expense_occurrences where vehicle_id = %L order by 1$$, :'car'),
    $$values (1, '2024-01-31'::date, null::date), (2, '2024-02-29', null), (3, '2024-03-31', null), (4, '2024-04-30', null)$$,
    'a recurring expense rolls forward from its first date; it ends at recur_until'
);

-- an open monthly series that started two months ago: three payments so far, the next one shown
insert into api.expenses (vehicle_id, category, title, incurred_on, amount, currency, recur_months)
values (:'car', 'parking', 'Garage space', current_date - interval '2 months', 75, 'EUR', 1);
select results_eq(
    format($$select count(*)::int, max(next_on) from api.expense_occurrences where vehicle_id = %L and title = 'Garage space'$$, :'car'),
    format($$values (3, %L::date)$$, (current_date - interval '2 months' + interval '3 months')::date),
    'an open series: the payments up to today, and on the newest the date of the next'
);

insert into api.expenses (vehicle_id, category, incurred_on, amount, currency)
values (:'car', 'tolls', '2024-01-06', 100, 'USD'),
       (:'car', 'fines', '2024-01-06', 5000, 'JPY');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, price_per_unit, currency)
values (:'car', '2024-01-06', 1000, 40, 1.50, 'GBP');

select results_eq(
    format($$select category, amount, currency, reporting_currency, reporting_amount, rate_date, rate_note
             from api.costs where vehicle_id = %L and occurred_on = '2024-01-06' order by category$$, :'car'),
    $$values ('fines', 5000.00, 'JPY', 'EUR', null::numeric, null::date, 'no ECB rate for JPY within 7 days up to 2024-01-06'),
             ('gasoline', 60.00, 'GBP', 'EUR', 69.60, '2024-01-05'::date, null::text),
             ('tolls', 100.00, 'USD', 'EUR', 91.57, '2024-01-05', null)$$,
    'costs in EUR (no reporting currency set): 60 GBP / 0.8621, 100 USD / 1.0921, JPY without a rate'
);

insert into api.reporting_currencies (currency) values ('usd');
select results_eq(
    format($$select category, reporting_currency, reporting_amount, rate from api.costs
             where vehicle_id = %L and occurred_on in ('2024-01-06', '2024-01-31') order by category$$, :'car'),
    $$values ('fines', 'USD', null::numeric, null::numeric),
             ('gasoline', 'USD', 76.01, 1.26679040),
             ('insurance', 'USD', null, null),
             ('tolls', 'USD', 100.00, 1::numeric)$$,
    'reporting in USD: GBP at 1.0921 / 0.8621; USD as is; EUR on 31 Jan has no USD rate within 7 days'
);
select throws_ok(
    $$insert into api.reporting_currencies (currency) values ('GBP')$$,
    '23505', null,
    'one reporting currency per tenant'
);
select throws_like(
    format($$insert into api.expenses (vehicle_id, category, incurred_on, amount, currency) values (%L, 'snacks', '2024-01-01', 1, 'EUR')$$, :'car'),
    '%expenses_category_known%',
    'an unknown category is refused'
);
select throws_like(
    format($$insert into api.expenses (vehicle_id, category, incurred_on, amount, currency, recur_until)
             values (%L, 'tax', '2024-01-01', 1, 'EUR', '2025-01-01')$$, :'car'),
    '%expenses_recur_until_needs_recur_months%',
    'recur_until needs recur_months'
);
delete from api.expenses where vehicle_id = :'car' and category = 'tolls';
select is(
    (select count(*)::int from api.expenses_trash where vehicle_id = :'car'),
    1, 'DELETE moves an expense to the trash'
);
select is(
    (select count(*)::int from api.costs where vehicle_id = :'car' and category = 'tolls'),
    0, 'and its cost is gone from api.costs'
);

select * from finish();
