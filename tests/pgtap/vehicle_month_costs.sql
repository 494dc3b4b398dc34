-- app.vehicle_month_costs (one call per vehicle) and api.vehicle_cost_months built on it: a row for
-- every month with a cost or an event, event-only months with costs 0, voided events left out of the
-- distance, the caller's tenant only; and api.vehicle_cost_months equal to its @v1.3 form (grouped
-- api.costs joined with api.vehicle_event_months) for every vehicle, a deleted one included.
select plan(6);

select tests.new_tenant('Month costs') as tenant \gset
select tests.new_member(:'tenant', 'member') as member \gset
select tests.new_vehicle(:'tenant', 'Car', 'km') as car \gset
select tests.new_vehicle(:'tenant', 'Van', 'mi') as van \gset
select tests.new_tenant('Other') as other \gset
select tests.new_vehicle(:'other', 'Other car', 'km') as other_car \gset
select tests.new_fuel_log(:'other_car', '2024-01-05', 100, 10, 'l', 50, 'EUR');

select tests.become(:'member', :'tenant');
-- January: two fill-ups (1000 -> 1400 km); February: an odometer reading only (1900 km, and a wrong
-- 2000 km corrected to 1950); March: a fill-up at 2600 km and a service
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, total_cost, currency)
values (:'car', '2024-01-05', 1000, 40, 80, 'EUR'),
       (:'car', '2024-01-20', 1400, 30, 60, 'EUR'),
       (:'car', '2024-03-10', 2600, 35, 70, 'EUR'),
       (:'van', '2024-02-02', 500, 50, 90, 'EUR');
insert into api.maintenance (vehicle_id, type, completed_on, cost, currency)
values (:'car', 'oil_change', '2024-03-12', 100, 'EUR');
insert into api.odometer_entries (vehicle_id, read_on, odometer)
values (:'car', '2024-02-10', 1900);
insert into api.vehicle_events (vehicle_id, type, occurred_at, odometer, payload)
values (:'car', 'odometer', '2024-02-20 12:00+00', 2000, '{"source":"manual"}');
insert into api.vehicle_events (vehicle_id, type, occurred_at, odometer, payload, voids_event_id)
select vehicle_id, 'odometer', occurred_at, 1950, '{"source":"manual","comment":"typo"}', id
from api.vehicle_events where vehicle_id = :'car' and odometer = 2000;

select results_eq(
    format($$select month, currency, fuel_cost, maintenance_cost, expense_cost, unconverted, distance, costs
             from app.vehicle_month_costs(app.current_tenant_id(), %L) order by month$$, :'car'),
    $$values ('2024-01-01'::date, 'EUR', 140.00, 0::numeric, 0::numeric, 0, 400::numeric, 2),
             ('2024-02-01'::date, null, null, null, null, null, 50::numeric, 0),
             ('2024-03-01'::date, 'EUR', 70.00, 100.00, 0::numeric, 0, 0::numeric, 2)$$,
    'a row per month with a cost or an event; February has events only (costs 0); the voided 2000 km reading is left out'
);
select results_eq(
    format($$select month, total_cost, distance, cost_per_100_distance
             from api.vehicle_cost_months where vehicle_id = %L order by month$$, :'car'),
    $$values ('2024-01-01'::date, 140.00, 400::numeric, 35.00),
             ('2024-03-01'::date, 170.00, 0::numeric, null)$$,
    'api.vehicle_cost_months: months with a cost only; no cost per 100 km over no distance'
);
select is(
    (select count(*)::int from app.vehicle_month_costs(:'other'::uuid, :'other_car'::uuid)),
    0, 'row level security applies inside: another tenant''s vehicle has no months'
);
select tests.unbecome();

-- the van is deleted: its costs stay in the months, as in api.costs
select tests.become(:'member', :'tenant');
delete from api.vehicles where id = :'van';
select tests.unbecome();

select tests.become(:'member', :'tenant');
select set_eq(
    $$select vehicle_id, month, currency, fuel_cost, maintenance_cost, total_cost, distance,
             cost_per_100_distance, expense_cost, unconverted
      from api.vehicle_cost_months$$,
    $$with per_month as (
          select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month,
                 c.reporting_currency as currency,
                 coalesce(sum(c.reporting_amount) filter (where c.kind = 'energy'), 0) as fuel_cost,
                 coalesce(sum(c.reporting_amount) filter (where c.kind = 'maintenance'), 0) as maintenance_cost,
                 coalesce(sum(c.reporting_amount) filter (where c.kind = 'expense'), 0) as expense_cost,
                 count(*) filter (where c.reporting_amount is null)::integer as unconverted
          from api.costs as c
          group by 1, 2, 3, 4
      )
      select p.vehicle_id, p.month, p.currency, p.fuel_cost, p.maintenance_cost,
             p.fuel_cost + p.maintenance_cost + p.expense_cost, d.distance,
             round(100 * (p.fuel_cost + p.maintenance_cost + p.expense_cost) / nullif(d.distance, 0), 2),
             p.expense_cost, p.unconverted
      from per_month as p
      left join api.vehicle_event_months as d
          on d.tenant_id = p.tenant_id and d.vehicle_id = p.vehicle_id and d.month = p.month$$,
    'every vehicle of the tenant, the deleted van included: the same rows as the @v1.3 form of the view'
);
select is(
    (select count(*)::int from api.vehicle_cost_months where vehicle_id = :'van'),
    (select count(distinct date_trunc('month', occurred_on))::int from api.costs where vehicle_id = :'van'),
    'the deleted van keeps its cost months'
);
select is(
    (select count(*)::int from api.vehicle_cost_months where vehicle_id = :'other_car'),
    0, 'api.vehicle_cost_months shows the active tenant only'
);
select tests.unbecome();

select * from finish();
