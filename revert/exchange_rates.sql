-- Revert motovault:exchange_rates from pg

begin;

drop view api.exchange_rates;
drop function app.convert_amount(numeric, text, text, date);
drop function app.eur_rate(text, date);
drop table app.exchange_rates;
drop function app.tg_exchange_rates_prepare();

commit;
