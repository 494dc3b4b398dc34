-- Verify motovault:document_expenses_idx on pg

select 'app.documents_expense_idx'::regclass;
select 1 / (select count(*)::int from pg_index where indexrelid = 'app.documents_expense_idx'::regclass and indisvalid);
