-- Deploy motovault:document_expenses to pg
-- requires: documents
-- requires: expenses
--
-- Documents on expenses (a receipt, an invoice, a tax notice): app.documents.expense_id with its foreign
-- key, the recipe of docs/documents.md. The record columns are read from the foreign keys
-- (app.document_record_columns), so the upload's X-Document-expense_id header, the vehicle taken from
-- the record and the tenant check follow. The foreign key and the widened one-record check are added
-- NOT VALID (validated by document_expenses_checks), the index comes in document_expenses_idx, and the
-- api view shows the column from the reworked documents change.

begin;

set local lock_timeout = '5s';

alter table app.documents
    add column expense_id uuid,
    add constraint documents_expense_fk foreign key (tenant_id, expense_id)
        references app.expenses (tenant_id, id) on delete cascade not valid;
alter table app.documents drop constraint documents_one_record;
alter table app.documents
    add constraint documents_one_record
        check (num_nonnulls(fuel_log_id, maintenance_id, reminder_id, expense_id) <= 1) not valid;
comment on column app.documents.expense_id is 'The expense it belongs to, if any (at most one record per document).';

commit;
