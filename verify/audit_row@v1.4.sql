-- Verify motovault:audit_row on pg

select 1 / (prosecdef and proconfig @> array['search_path=""'])::integer from pg_proc where oid = 'app.tg_audit_row()'::regprocedure;
select 'app.audit_operation(text, jsonb, jsonb)'::regprocedure;
