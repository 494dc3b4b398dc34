-- Revert motovault:expenses from pg

begin;

drop view api.costs;
drop view api.expense_occurrences;
drop function api.restore_expense(uuid);
drop view api.expenses_trash;
drop view api.expenses;
drop function app.expense_dates(date, integer, date, date);
drop table app.expenses;
drop function app.tg_expenses_prepare();
drop function app.reporting_currency(uuid);
drop function api.restore_reporting_currency(uuid);
drop view api.reporting_currencies_trash;
drop view api.reporting_currencies;
drop table app.reporting_currencies;
drop function app.tg_reporting_currencies_prepare();

commit;
