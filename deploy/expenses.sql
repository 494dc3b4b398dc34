-- Deploy motovault:expenses to pg
-- requires: exchange_rates
-- requires: maintenance
--
-- Money other than energy and maintenance, and the tenant's reporting currency:
--   * app.reporting_currencies: one live row per tenant (EUR without one);
--   * app.expenses: insurance, registration, tax, parking, tolls, fines, washing, accessories, loan and
--     lease payments, other; an amount in its own currency; one-off, or recurring every recur_months
--     from incurred_on (until recur_until): the occurrences roll forward by themselves, each appearing
--     in api.expense_occurrences on its date, like a recurring reminder opening its next one;
--   * api.costs: every cost of the tenant's vehicles (energy with session fees, completed maintenance,
--     expense occurrences) in its currency and in the reporting currency at the ECB reference rate of
--     its date (app.convert_amount: the closest earlier rate, the rate date shown, NULL with a reason
--     when there is none).

begin;

set local lock_timeout = '5s';

create table app.reporting_currencies (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    currency text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint reporting_currencies_pkey primary key (tenant_id, id),
    constraint reporting_currencies_currency_iso4217 check (currency ~ '^[A-Z]{3}$')
);
comment on table app.reporting_currencies is
    'The currency a tenant''s cost views report in, one live row per tenant (EUR when there is none).';
select app.distribute_table('app.reporting_currencies', 'tenant');
alter table app.reporting_currencies
    add constraint reporting_currencies_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create unique index reporting_currencies_one_per_tenant on app.reporting_currencies (tenant_id) where deleted_at is null;

create or replace function app.tg_reporting_currencies_prepare()
returns trigger
language plpgsql
as $$
begin
    new.currency := upper(btrim(new.currency));
    return new;
end
$$;
comment on function app.tg_reporting_currencies_prepare() is 'BEFORE INSERT OR UPDATE on reporting_currencies: the code in upper case.';
create trigger _200_prepare before insert or update on app.reporting_currencies
    for each row execute function app.tg_reporting_currencies_prepare();

select app.enable_tenant_rules('app.reporting_currencies');

create or replace view api.reporting_currencies
with (security_invoker = true)
as
select tenant_id, id, currency, created_at, updated_at, created_by, updated_by
from app.reporting_currencies
where deleted_at is null;
comment on view api.reporting_currencies is
    'The active tenant''s reporting currency (at most one row; EUR without one): cost views show every amount in its own currency and in this one. 409 for a second row: PATCH the one there is.';
comment on column api.reporting_currencies.currency is 'ISO 4217 code, e.g. USD.';
select app.create_trash_api('api.reporting_currencies', 'reporting_currency', 'reporting currency rows', '409 if the tenant has another one now');
grant select, insert, update on api.reporting_currencies to app_user;  -- delete: app.create_trash_api

create or replace function app.reporting_currency(tenant uuid)
returns text
language sql
stable
parallel safe
as $$
    select coalesce(
        (select r.currency from app.reporting_currencies as r where r.tenant_id = tenant and r.deleted_at is null),
        'EUR')
$$;
comment on function app.reporting_currency(uuid) is 'A tenant''s reporting currency: its reporting_currencies row, else EUR.';

create table app.expenses (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    category text not null,
    title text,
    incurred_on date not null,
    amount numeric(12, 2) not null,
    currency text not null,
    recur_months smallint,
    recur_until date,
    odometer integer,
    vendor text,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint expenses_pkey primary key (tenant_id, id),
    constraint expenses_category_known
        check (category in ('insurance', 'registration', 'tax', 'parking', 'tolls', 'fines', 'washing',
                            'accessories', 'loan', 'lease', 'other')),
    constraint expenses_title_length check (title is null or char_length(title) between 1 and 200),
    constraint expenses_incurred_on_range check (incurred_on >= date '1886-01-01' and incurred_on <= current_date + 366),
    constraint expenses_amount_not_negative check (amount >= 0 and amount < 10000000000),  -- finite: refuses NaN and Infinity
    constraint expenses_currency_iso4217 check (currency ~ '^[A-Z]{3}$'),
    constraint expenses_recur_months_range check (recur_months between 1 and 120),
    constraint expenses_recur_until_needs_recur_months check (recur_until is null or recur_months is not null),
    constraint expenses_recur_until_after_incurred_on check (recur_until >= incurred_on),
    constraint expenses_odometer_not_negative check (odometer >= 0),
    constraint expenses_vendor_length check (vendor is null or char_length(vendor) between 1 and 200),
    constraint expenses_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.expenses is
    'Costs of a vehicle other than energy and maintenance (insurance, registration, tax, parking, tolls, fines, washing, accessories, loan and lease payments): an amount in its own currency, one-off or recurring every recur_months.';
select app.distribute_table('app.expenses', 'tenant');
alter table app.expenses
    add constraint expenses_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint expenses_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index expenses_vehicle_idx on app.expenses (tenant_id, vehicle_id, incurred_on);

create or replace function app.tg_expenses_prepare()
returns trigger
language plpgsql
as $$
begin
    new.currency := upper(btrim(new.currency));
    new.title := nullif(btrim(new.title), '');
    new.vendor := nullif(btrim(new.vendor), '');
    return new;
end
$$;
comment on function app.tg_expenses_prepare() is 'BEFORE INSERT OR UPDATE on expenses: currency in upper case, blank title and vendor to NULL.';
create trigger _200_prepare before insert or update on app.expenses
    for each row execute function app.tg_expenses_prepare();

select app.enable_tenant_rules('app.expenses');

create or replace function app.expense_dates(incurred_on date, recur_months integer, recur_until date, through date)
returns table (occurrence integer, occurred_on date)
language sql
immutable
parallel safe
as $$
    -- month arithmetic from the first date each time (31 Jan + 1 month = 29 Feb, + 2 months = 31 Mar)
    select n + 1, x.d
    from generate_series(
        0,
        case when expense_dates.recur_months is null then 0
             else (extract(year from age(expense_dates.through, expense_dates.incurred_on)) * 12
                   + extract(month from age(expense_dates.through, expense_dates.incurred_on)))::integer
                  / expense_dates.recur_months + 1
        end) as n
    cross join lateral (
        select (expense_dates.incurred_on + make_interval(months => n * coalesce(expense_dates.recur_months, 0)))::date as d
    ) as x
    where x.d <= least(expense_dates.through, coalesce(expense_dates.recur_until, expense_dates.through))
$$;
comment on function app.expense_dates(date, integer, date, date) is
    'The dates of an expense up to a day: incurred_on, then every recur_months (counted from incurred_on, so month ends stay month ends) up to recur_until.';

create or replace view api.expenses
with (security_invoker = true)
as
select e.tenant_id, e.id, e.vehicle_id, e.category, e.title, e.incurred_on, e.amount, e.currency,
       e.recur_months, e.recur_until, e.odometer, e.vendor, e.notes,
       e.created_at, e.updated_at, e.created_by, e.updated_by
from app.expenses as e
where e.deleted_at is null;
comment on view api.expenses is
    'Other costs of the active tenant''s vehicles: insurance, registration, tax, parking, tolls, fines, washing, accessories, loan, lease, other. An amount in its own currency; recurring every recur_months from incurred_on (until recur_until): each occurrence appears in expense_occurrences on its date. DELETE moves an expense to expenses_trash.';
comment on column api.expenses.vehicle_id is 'The vehicle.';
comment on column api.expenses.category is 'insurance, registration, tax, parking, tolls, fines, washing, accessories, loan, lease or other.';
comment on column api.expenses.title is 'Short description, e.g. Comprehensive insurance.';
comment on column api.expenses.incurred_on is 'Date of the (first) payment.';
comment on column api.expenses.amount is 'Amount of one payment (>= 0) in currency.';
comment on column api.expenses.currency is 'ISO 4217 code of the amount.';
comment on column api.expenses.recur_months is 'Recurring every this many months (1..120) from incurred_on; NULL: one-off.';
comment on column api.expenses.recur_until is 'Last day a recurring payment may fall on (NULL: open).';
comment on column api.expenses.odometer is 'Odometer at the payment (optional, informational).';
comment on column api.expenses.vendor is 'Insurer, authority, operator, shop.';
comment on column api.expenses.notes is 'Free text.';
select app.create_trash_api('api.expenses', 'expense', 'expenses');
grant select, insert, update on api.expenses to app_user;  -- delete: app.create_trash_api

create or replace view api.expense_occurrences
with (security_invoker = true)
as
select e.tenant_id, e.id as expense_id, e.vehicle_id, e.category, e.title, d.occurrence, d.occurred_on,
       e.amount, e.currency,
       case when e.recur_months is not null
                 and d.occurrence = count(*) over (partition by e.tenant_id, e.vehicle_id, e.id)
                 and (e.recur_until is null or nx.next_on <= e.recur_until)
            then nx.next_on
       end as next_on
from app.expenses as e
cross join lateral app.expense_dates(e.incurred_on, e.recur_months, e.recur_until, current_date) as d
cross join lateral (
    select (e.incurred_on + make_interval(months => d.occurrence * coalesce(e.recur_months, 0)))::date as next_on
) as nx
where e.deleted_at is null;
comment on view api.expense_occurrences is
    'Every payment of the active tenant''s expenses up to today: a one-off once, a recurring one every recur_months from incurred_on (up to recur_until); the newest of a series shows next_on, the date the next one will appear (NULL when the series has ended).';
comment on column api.expense_occurrences.occurrence is '1 for the first payment, 2 for the next, ...';
comment on column api.expense_occurrences.occurred_on is 'Date of this payment.';
comment on column api.expense_occurrences.next_on is 'On the newest payment of a recurring expense: the date of the next one (NULL when recur_until comes first).';
grant select on api.expense_occurrences to app_user;
select app.protect_read_only_view('api.expense_occurrences');

create or replace view api.costs
with (security_invoker = true)
as
with c as (
    select l.tenant_id, l.vehicle_id, l.filled_on as occurred_on, 'energy'::text as kind, l.fuel_type as category,
           'fuel_logs'::text as source_table, l.id as source_id,
           case when l.total_cost is null and l.session_fee is null then null
                else coalesce(l.total_cost, 0) + coalesce(l.session_fee, 0) end as amount,
           l.currency
    from app.fuel_logs as l
    where l.deleted_at is null
      and (l.total_cost is not null or l.session_fee is not null)
    union all
    select m.tenant_id, m.vehicle_id, m.completed_on, 'maintenance', m.type, 'maintenance', m.id, m.cost, m.currency
    from app.maintenance as m
    where m.deleted_at is null
      and m.status = 'completed'
      and m.cost is not null
    union all
    select o.tenant_id, o.vehicle_id, o.occurred_on, 'expense', o.category, 'expenses', o.expense_id, o.amount, o.currency
    from api.expense_occurrences as o
)
select c.tenant_id, c.vehicle_id, c.occurred_on, c.kind, c.category, c.source_table, c.source_id,
       c.amount, c.currency,
       r.currency as reporting_currency,
       case when c.currency = r.currency then c.amount else x.converted end as reporting_amount,
       case when c.currency = r.currency then 1 else x.rate end as rate,
       x.rate_date,
       x.note as rate_note
from c
left join app.reporting_currencies as rc on rc.tenant_id = c.tenant_id and rc.deleted_at is null
cross join lateral (select coalesce(rc.currency, 'EUR') as currency) as r
-- only an amount in another currency looks rates up (the condition gates the call)
left join lateral (
    select a.converted, a.rate, a.rate_date, a.note
    from app.convert_amount(c.amount, c.currency, r.currency, c.occurred_on) as a
    where c.currency is distinct from r.currency
) as x on true;
comment on view api.costs is
    'Every cost of the active tenant''s vehicles: energy (fill-ups and charges, session fees included), completed maintenance and expense payments, each in its own currency and in the tenant''s reporting currency at the ECB reference rate of its date (the closest earlier rate, rate_date shown); a missing rate leaves reporting_amount NULL and rate_note says why.';
comment on column api.costs.kind is 'energy, maintenance or expense.';
comment on column api.costs.category is 'The fuel type, maintenance type or expense category.';
comment on column api.costs.source_table is 'fuel_logs, maintenance or expenses: where the cost is recorded.';
comment on column api.costs.source_id is 'The id of the row in source_table.';
comment on column api.costs.amount is 'The amount in its own currency.';
comment on column api.costs.reporting_currency is 'The tenant''s reporting currency (reporting_currencies; EUR without one).';
comment on column api.costs.reporting_amount is 'The amount in the reporting currency; NULL when no rate is known (rate_note).';
comment on column api.costs.rate is 'Units of the reporting currency per unit of currency (1 for the same currency).';
comment on column api.costs.rate_date is 'The date of the ECB rate used: the closest earlier publication, at most 7 days before occurred_on.';
comment on column api.costs.rate_note is 'Why reporting_amount is NULL (no rate).';
grant select on api.costs to app_user;
select app.protect_read_only_view('api.costs');

grant execute on function app.reporting_currency(uuid), app.expense_dates(date, integer, date, date) to app_user;

commit;
