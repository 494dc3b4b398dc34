-- Verify motovault:document_expenses_checks on pg

select 1 / (count(*) filter (where convalidated) = 2)::int
from pg_constraint
where conrelid = 'app.documents'::regclass
  and conname in ('documents_expense_fk', 'documents_one_record');
