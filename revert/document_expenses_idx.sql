-- Revert motovault:document_expenses_idx from pg

set lock_timeout = '5s';

drop index concurrently if exists app.documents_expense_idx;
