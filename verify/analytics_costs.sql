-- Verify motovault:analytics_costs on pg

select tenant_id, vehicle_id, occurred_on, kind, category, amount, currency, reporting_currency, reporting_amount,
       rate, rate_date
from analytics.costs
where false;
