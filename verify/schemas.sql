-- Verify motovault:schemas on pg

select 1 / count(*)::integer from pg_namespace where nspname = 'app';
select 1 / count(*)::integer from pg_namespace where nspname = 'api';
select 1 / count(*)::integer from pg_namespace where nspname = 'audit';
select 1 / count(*)::integer from pg_namespace where nspname = 'analytics';
select 1 / count(*)::integer from pg_extension where extname = 'cube' and extnamespace = 'ext'::regnamespace;
select 1 / count(*)::integer from pg_extension where extname = 'pg_trgm' and extnamespace = 'ext'::regnamespace;
