-- Verify motovault:exchange_rates on pg

select currency, rate_date, per_eur, source from app.exchange_rates where false;
select currency, rate_date, per_eur from api.exchange_rates where false;
select 'app.convert_amount(numeric, text, text, date)'::regprocedure, 'app.eur_rate(text, date)'::regprocedure;
