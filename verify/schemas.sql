-- Verify motovault:schemas on pg

select 1 / (count(*) = 4)::int
from pg_namespace
where nspname in ('app', 'api', 'audit', 'analytics');

select 1 / has_schema_privilege('anon', 'api', 'usage')::int;
select 1 / has_schema_privilege('analyst', 'analytics', 'usage')::int;
