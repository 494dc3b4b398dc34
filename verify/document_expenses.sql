-- Verify motovault:document_expenses on pg

select expense_id from app.documents where false;
select 1 / (select count(*)::int from pg_constraint where conname = 'documents_expense_fk' and conrelid = 'app.documents'::regclass);
