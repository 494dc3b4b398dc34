-- Deploy motovault:document_expenses_checks to pg
-- requires: document_expenses_idx
--
-- Validates documents_expense_fk and documents_one_record, added NOT VALID by document_expenses (a
-- scan under a light lock).

begin;

set local lock_timeout = '5s';

alter table app.documents validate constraint documents_expense_fk;
alter table app.documents validate constraint documents_one_record;

commit;
