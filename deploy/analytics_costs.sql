-- Deploy motovault:analytics_costs to pg
-- requires: expenses
--
-- analytics.costs: every cost of every tenant's live vehicles (energy with session fees, completed
-- maintenance, expense payments up to today), in its own currency and in the tenant's reporting currency
-- at the ECB reference rate of its date: what api.costs shows a tenant, for analysts and without personal
-- data (no titles, vendors, notes). Written out rather than calling app.convert_amount or
-- app.expense_dates: a function in a view runs with the querying role's rights, and analyst may not use
-- schema app (docs/analysts.md). The rules are the same: the closest earlier rate no older than 7 days,
-- EUR is 1, through the euro, rounded to cents; a missing rate leaves reporting_amount NULL.

begin;

set local lock_timeout = '5s';

create or replace view analytics.costs
as
with c as (
    select l.tenant_id, l.vehicle_id, l.filled_on as occurred_on, 'energy'::text as kind, l.fuel_type as category,
           coalesce(l.total_cost, 0) + coalesce(l.session_fee, 0) as amount, l.currency
    from app.fuel_logs as l
    where l.deleted_at is null
      and (l.total_cost is not null or l.session_fee is not null)
    union all
    select m.tenant_id, m.vehicle_id, m.completed_on, 'maintenance', m.type, m.cost, m.currency
    from app.maintenance as m
    where m.deleted_at is null
      and m.status = 'completed'
      and m.cost is not null
    union all
    -- the payments of an expense up to today: incurred_on, then every recur_months (months counted from
    -- incurred_on) up to recur_until, as app.expense_dates
    select e.tenant_id, e.vehicle_id, d.occurred_on, 'expense', e.category, e.amount, e.currency
    from app.expenses as e
    cross join lateral (
        select (e.incurred_on + make_interval(months => n * coalesce(e.recur_months, 0)))::date as occurred_on
        from generate_series(
            0,
            case when e.recur_months is null then 0
                 else (extract(year from age(current_date, e.incurred_on)) * 12
                       + extract(month from age(current_date, e.incurred_on)))::integer / e.recur_months + 1
            end) as n
    ) as d
    where e.deleted_at is null
      and d.occurred_on <= least(current_date, coalesce(e.recur_until, current_date))
)
select c.tenant_id, c.vehicle_id, c.occurred_on, c.kind, c.category, c.amount, c.currency,
       r.currency as reporting_currency,
       case when c.currency = r.currency then c.amount
            else round(c.amount * t.per_eur / f.per_eur, 2) end as reporting_amount,
       case when c.currency = r.currency then 1
            else round(t.per_eur / f.per_eur, 8) end as rate,
       case when c.currency <> r.currency and f.per_eur is not null and t.per_eur is not null
            then least(f.rate_date, t.rate_date) end as rate_date
from c
join app.vehicles as v on v.tenant_id = c.tenant_id and v.id = c.vehicle_id and v.deleted_at is null
left join app.reporting_currencies as rc on rc.tenant_id = c.tenant_id and rc.deleted_at is null
cross join lateral (select coalesce(rc.currency, 'EUR') as currency) as r
-- only an amount in another currency looks rates up (EUR is 1 and has no rows)
left join lateral (
    select 1::numeric as per_eur, null::date as rate_date
    where c.currency = 'EUR'
    union all
    (select x.per_eur, x.rate_date
     from app.exchange_rates as x
     where x.currency = c.currency
       and x.rate_date <= c.occurred_on
       and x.rate_date > c.occurred_on - 7
     order by x.rate_date desc
     limit 1)
) as f on c.currency <> r.currency
left join lateral (
    select 1::numeric as per_eur, null::date as rate_date
    where r.currency = 'EUR'
    union all
    (select x.per_eur, x.rate_date
     from app.exchange_rates as x
     where x.currency = r.currency
       and x.rate_date <= c.occurred_on
       and x.rate_date > c.occurred_on - 7
     order by x.rate_date desc
     limit 1)
) as t on c.currency <> r.currency;
comment on view analytics.costs is
    'Every cost of every tenant''s live vehicles: energy (fill-ups and charges, session fees included), completed maintenance and expense payments up to today (recurring ones rolled forward), each in its own currency and in the tenant''s reporting currency at the ECB reference rate of its date (the closest earlier rate no older than 7 days; rate_date shown; reporting_amount NULL when a rate is missing). No personal data: no titles, vendors or notes.';
comment on column analytics.costs.kind is 'energy, maintenance or expense.';
comment on column analytics.costs.category is 'The fuel type, maintenance type or expense category (insurance, tax, parking, ...).';
comment on column analytics.costs.reporting_amount is 'The amount in the tenant''s reporting currency; NULL when no rate is known.';
comment on column analytics.costs.rate is 'Units of the reporting currency per unit of currency (1 for the same currency).';
comment on column analytics.costs.rate_date is 'The date of the ECB rate used (NULL for the same currency or no rate).';
grant select on analytics.costs to analyst;

commit;
