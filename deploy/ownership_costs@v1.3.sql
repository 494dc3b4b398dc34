-- Deploy motovault:ownership_costs to pg
-- requires: expenses
-- requires: vehicle_event_months
--
-- Cost of ownership: a vehicle's purchase (date, price, odometer) and sale, or an estimate of its value
-- on a day while it is kept; straight-line depreciation per day and per distance between the two; the
-- total cost of ownership per vehicle and month (api.vehicle_tco_months) and year (_years), split into
-- energy, maintenance, expenses and depreciation, in the tenant's reporting currency, with the cost per
-- 100 of the vehicle's distance unit; the same for the fleet (api.fleet_tco_months).
--
-- Depreciation is spread evenly over the days between purchase and sale (or the estimate) and
-- converted at the rate of the purchase date: the money was paid then.

begin;

set local lock_timeout = '5s';

create table app.vehicle_ownership (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    vehicle_id uuid not null,
    purchased_on date not null,
    purchase_price numeric(12, 2) not null,
    purchase_odometer integer,
    currency text not null,
    sold_on date,
    sale_price numeric(12, 2),
    sale_odometer integer,
    estimated_value numeric(12, 2),
    estimated_on date,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint vehicle_ownership_pkey primary key (tenant_id, id),
    constraint vehicle_ownership_purchased_on_range check (purchased_on >= date '1886-01-01' and purchased_on <= current_date + 1),
    constraint vehicle_ownership_purchase_price_not_negative check (purchase_price >= 0 and purchase_price < 10000000000),
    constraint vehicle_ownership_purchase_odometer_not_negative check (purchase_odometer >= 0),
    constraint vehicle_ownership_currency_iso4217 check (currency ~ '^[A-Z]{3}$'),
    constraint vehicle_ownership_sold_on_after_purchase check (sold_on > purchased_on),
    constraint vehicle_ownership_sale_price_with_sold_on check ((sale_price is null) = (sold_on is null)),
    constraint vehicle_ownership_sale_price_not_negative check (sale_price >= 0 and sale_price < 10000000000),
    constraint vehicle_ownership_sale_odometer_after_purchase check (sale_odometer >= purchase_odometer),
    constraint vehicle_ownership_estimated_value_with_estimated_on check ((estimated_value is null) = (estimated_on is null)),
    constraint vehicle_ownership_estimated_value_not_negative check (estimated_value >= 0 and estimated_value < 10000000000),
    constraint vehicle_ownership_estimated_on_after_purchase check (estimated_on > purchased_on),
    constraint vehicle_ownership_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.vehicle_ownership is
    'Purchase and sale of a vehicle (or an estimate of its value while kept), one live row per vehicle: the basis of depreciation and cost of ownership. Odometers in the vehicle''s unit.';
select app.distribute_table('app.vehicle_ownership', 'tenant');
alter table app.vehicle_ownership
    add constraint vehicle_ownership_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint vehicle_ownership_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create unique index vehicle_ownership_one_per_vehicle on app.vehicle_ownership (tenant_id, vehicle_id) where deleted_at is null;
create index vehicle_ownership_vehicle_idx on app.vehicle_ownership (tenant_id, vehicle_id);

create or replace function app.tg_vehicle_ownership_prepare()
returns trigger
language plpgsql
as $$
begin
    new.currency := upper(btrim(new.currency));
    new.notes := nullif(btrim(new.notes), '');
    return new;
end
$$;
comment on function app.tg_vehicle_ownership_prepare() is 'BEFORE INSERT OR UPDATE on vehicle_ownership: currency in upper case, blank notes to NULL.';
create trigger _200_prepare before insert or update on app.vehicle_ownership
    for each row execute function app.tg_vehicle_ownership_prepare();

select app.enable_tenant_rules('app.vehicle_ownership');

create or replace view api.vehicle_ownership
with (security_invoker = true)
as
select o.tenant_id, o.id, o.vehicle_id, o.purchased_on, o.purchase_price, o.purchase_odometer, o.currency,
       o.sold_on, o.sale_price, o.sale_odometer, o.estimated_value, o.estimated_on, o.notes,
       o.created_at, o.updated_at, o.created_by, o.updated_by
from app.vehicle_ownership as o
where o.deleted_at is null;
comment on view api.vehicle_ownership is
    'Purchase and sale (or a value estimate) of the active tenant''s vehicles, one row per vehicle (409 for a second): depreciation is spread evenly from purchase to sale or estimate (vehicle_depreciation). DELETE moves a row to vehicle_ownership_trash.';
comment on column api.vehicle_ownership.purchased_on is 'Day of purchase.';
comment on column api.vehicle_ownership.purchase_price is 'Price paid (>= 0) in currency.';
comment on column api.vehicle_ownership.purchase_odometer is 'Odometer at purchase, in the vehicle''s unit.';
comment on column api.vehicle_ownership.currency is 'ISO 4217 code of the prices and the estimate.';
comment on column api.vehicle_ownership.sold_on is 'Day of sale (after purchase); give sale_price with it.';
comment on column api.vehicle_ownership.sale_price is 'Price received (>= 0).';
comment on column api.vehicle_ownership.sale_odometer is 'Odometer at sale (not below purchase_odometer).';
comment on column api.vehicle_ownership.estimated_value is 'While the vehicle is kept: its estimated value on estimated_on (give both).';
comment on column api.vehicle_ownership.estimated_on is 'Day of the estimate (after purchase).';
comment on column api.vehicle_ownership.notes is 'Free text.';
select app.create_trash_api('api.vehicle_ownership', 'vehicle_ownership', 'ownership rows', '409 if the vehicle has another one now');
grant select, insert, update on api.vehicle_ownership to app_user;  -- delete: app.create_trash_api

create or replace view api.vehicle_depreciation
with (security_invoker = true)
as
select o.tenant_id, o.vehicle_id, o.purchased_on,
       coalesce(o.sold_on, o.estimated_on) as valued_on,
       o.purchase_price,
       coalesce(o.sale_price, o.estimated_value) as value,
       o.currency,
       o.sold_on is not null as is_sold,
       o.purchase_price - coalesce(o.sale_price, o.estimated_value) as depreciation,
       round((o.purchase_price - coalesce(o.sale_price, o.estimated_value))
             / (coalesce(o.sold_on, o.estimated_on) - o.purchased_on), 4) as per_day,
       d.distance,
       v.odometer_unit as distance_unit,
       round((o.purchase_price - coalesce(o.sale_price, o.estimated_value)) / nullif(d.distance, 0), 4) as per_distance
from app.vehicle_ownership as o
join app.vehicles as v on v.tenant_id = o.tenant_id and v.id = o.vehicle_id
cross join lateral (
    select case when o.sold_on is not null then o.sale_odometer else v.odometer_reading end - o.purchase_odometer as distance
) as d
where o.deleted_at is null;
comment on view api.vehicle_depreciation is
    'Straight-line depreciation of the active tenant''s vehicles: purchase price less the sale price (or the estimated value), per day between purchase and sale (or estimate) and per distance driven since purchase (to the sale odometer, else the vehicle''s latest reading), in the purchase currency. NULL figures when no sale or estimate is given.';
grant select on api.vehicle_depreciation to app_user;
select app.protect_read_only_view('api.vehicle_depreciation');

create or replace view api.vehicle_tco_months
with (security_invoker = true)
as
with months as (
    -- months with a cost, and every month the vehicle was owned (depreciation)
    select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month
    from api.costs as c
    union
    select d.tenant_id, d.vehicle_id, m::date
    from api.vehicle_depreciation as d
    cross join generate_series(date_trunc('month', d.purchased_on),
                               date_trunc('month', coalesce(d.valued_on, current_date)), interval '1 month') as m
    where d.per_day is not null
),
c as (
    select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month,
           sum(c.reporting_amount) filter (where c.kind = 'energy') as energy,
           sum(c.reporting_amount) filter (where c.kind = 'maintenance') as maintenance,
           sum(c.reporting_amount) filter (where c.kind = 'expense') as expenses,
           count(*) filter (where c.reporting_amount is null) as unconverted
    from api.costs as c
    group by c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date
),
dep as (
    select m.tenant_id, m.vehicle_id, m.month,
           -- days of the month inside [purchased_on, valued_on)
           greatest(0, least((m.month + interval '1 month')::date, d.valued_on) - greatest(m.month, d.purchased_on))
               * d.per_day as amount,
           d.currency, d.purchased_on
    from months as m
    join api.vehicle_depreciation as d on d.tenant_id = m.tenant_id and d.vehicle_id = m.vehicle_id
    where d.per_day is not null
)
select m.tenant_id, m.vehicle_id, m.month,
       app.reporting_currency(m.tenant_id) as currency,
       coalesce(c.energy, 0) as energy,
       coalesce(c.maintenance, 0) as maintenance,
       coalesce(c.expenses, 0) as expenses,
       coalesce(x.converted, 0) as depreciation,
       coalesce(c.energy, 0) + coalesce(c.maintenance, 0) + coalesce(c.expenses, 0) + coalesce(x.converted, 0) as total,
       coalesce(c.unconverted, 0) + case when dep.amount is not null and x.converted is null then 1 else 0 end as unconverted,
       e.distance,
       round(100 * (coalesce(c.energy, 0) + coalesce(c.maintenance, 0) + coalesce(c.expenses, 0) + coalesce(x.converted, 0))
             / nullif(e.distance, 0), 2) as cost_per_100
from months as m
left join c on c.tenant_id = m.tenant_id and c.vehicle_id = m.vehicle_id and c.month = m.month
left join dep on dep.tenant_id = m.tenant_id and dep.vehicle_id = m.vehicle_id and dep.month = m.month
left join lateral app.convert_amount(round(dep.amount, 2), dep.currency, app.reporting_currency(m.tenant_id), dep.purchased_on) as x on true
left join api.vehicle_event_months as e on e.tenant_id = m.tenant_id and e.vehicle_id = m.vehicle_id and e.month = m.month;
comment on view api.vehicle_tco_months is
    'Total cost of ownership of the active tenant''s vehicles per calendar month, in the reporting currency: energy, maintenance, expenses (api.costs, converted at the ECB rate of each cost''s date) and depreciation (per day x the days owned that month, converted at the purchase date''s rate); unconverted counts the amounts left out for want of a rate; distance that month (vehicle''s unit, from its events) and cost per 100 of it.';
grant select on api.vehicle_tco_months to app_user;
select app.protect_read_only_view('api.vehicle_tco_months');

create or replace view api.vehicle_tco_years
with (security_invoker = true)
as
select m.tenant_id, m.vehicle_id, extract(year from m.month)::integer as year, m.currency,
       sum(m.energy) as energy, sum(m.maintenance) as maintenance, sum(m.expenses) as expenses,
       sum(m.depreciation) as depreciation, sum(m.total) as total, sum(m.unconverted) as unconverted,
       sum(m.distance) as distance,
       round(100 * sum(m.total) filter (where m.distance is not null) / nullif(sum(m.distance), 0), 2) as cost_per_100
from api.vehicle_tco_months as m
group by m.tenant_id, m.vehicle_id, extract(year from m.month), m.currency;
comment on view api.vehicle_tco_years is
    'Total cost of ownership of the active tenant''s vehicles per calendar year (the sum of vehicle_tco_months): energy, maintenance, expenses, depreciation, total in the reporting currency; distance and cost per 100 of the vehicle''s unit over the months with a distance.';
grant select on api.vehicle_tco_years to app_user;
select app.protect_read_only_view('api.vehicle_tco_years');

create or replace view api.fleet_tco_months
with (security_invoker = true)
as
select m.tenant_id, m.month, m.currency, count(distinct m.vehicle_id) as vehicles,
       sum(m.energy) as energy, sum(m.maintenance) as maintenance, sum(m.expenses) as expenses,
       sum(m.depreciation) as depreciation, sum(m.total) as total, sum(m.unconverted) as unconverted
from api.vehicle_tco_months as m
group by m.tenant_id, m.month, m.currency;
comment on view api.fleet_tco_months is
    'Total cost of ownership of the active tenant''s fleet per calendar month in the reporting currency: energy, maintenance, expenses, depreciation and total over its vehicles.';
grant select on api.fleet_tco_months to app_user;
select app.protect_read_only_view('api.fleet_tco_months');

commit;
