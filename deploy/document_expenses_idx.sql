-- Deploy motovault:document_expenses_idx to pg
-- requires: document_expenses
--
-- The index of documents_expense_fk (an expense's documents; the foreign key's checks when an expense
-- goes), built concurrently on the existing table: a change of its own, without a transaction.

set lock_timeout = '5s';

drop index concurrently if exists app.documents_expense_idx;
create index concurrently if not exists documents_expense_idx
    on app.documents (tenant_id, expense_id) where expense_id is not null;
