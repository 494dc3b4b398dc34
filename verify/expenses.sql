-- Verify motovault:expenses on pg

select tenant_id, id, currency, deleted_at from app.reporting_currencies where false;
select tenant_id, id, vehicle_id, category, title, incurred_on, amount, currency, recur_months, recur_until, deleted_at
from app.expenses
where false;
select id from api.expenses where false;
select id, deleted_at from api.expenses_trash where false;
select expense_id, occurrence, occurred_on, next_on from api.expense_occurrences where false;
select amount, currency, reporting_currency, reporting_amount, rate, rate_date, rate_note from api.costs where false;
select 'api.restore_expense(uuid)'::regprocedure, 'app.reporting_currency(uuid)'::regprocedure;
