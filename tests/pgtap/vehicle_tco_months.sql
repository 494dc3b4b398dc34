-- app.vehicle_tco_months (one call per vehicle) behind api.vehicle_tco_months: depreciation in every
-- month owned, the distance of a month with events and no cost, the caller's tenant only; hand-computed.
select plan(2);

select tests.new_tenant('TCO months') as tenant \gset
select tests.new_member(:'tenant', 'member') as member \gset
select tests.new_vehicle(:'tenant', 'Car', 'km') as car \gset
select tests.new_tenant('Other') as other \gset
select tests.new_vehicle(:'other', 'Other car', 'km') as other_car \gset
select tests.new_fuel_log(:'other_car', '2024-01-05', 100, 10, 'l', 50, 'EUR');

select tests.become(:'member', :'tenant');
-- bought 1 January 2024 for 1000, sold 1 March for 400: 600 / 60 days = 10.00 a day; a fill-up in
-- January (50 EUR), two odometer readings in February and no cost
insert into api.vehicle_ownership (vehicle_id, purchased_on, purchase_price, currency, sold_on, sale_price)
values (:'car', '2024-01-01', 1000, 'EUR', '2024-03-01', 400);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, total_cost, currency)
values (:'car', '2024-01-20', 900, 40, 50, 'EUR');
insert into api.odometer_entries (vehicle_id, read_on, odometer)
values (:'car', '2024-02-05', 1000), (:'car', '2024-02-25', 1300);

select results_eq(
    format($$select month, currency, energy, depreciation, total, unconverted, distance, cost_per_100
             from api.vehicle_tco_months where vehicle_id = %L order by month$$, :'car'),
    $$values ('2024-01-01'::date, 'EUR', 50.00, 310.00, 360.00, 0::bigint, 0::numeric, null::numeric),
             ('2024-02-01', 'EUR', 0, 290.00, 290.00, 0, 300, 96.67),
             ('2024-03-01', 'EUR', 0, 0.00, 0.00, 0, null, null)$$,
    'January: 31 days x 10.00 and the fill-up; February: 29 days over the 300 km of its readings; March: the day of sale, nothing'
);
select is(
    (select count(*)::int from app.vehicle_tco_months(:'other'::uuid, :'other_car'::uuid)),
    0, 'row level security applies inside: another tenant''s vehicle has no months'
);
select tests.unbecome();

select * from finish();
