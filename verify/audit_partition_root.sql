-- Verify motovault:audit_partition_root on pg

select 1 / (pg_get_functiondef('app.audit_row()'::regprocedure) like '%pg_partition_root%')::int;
