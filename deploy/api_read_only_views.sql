-- Deploy motovault:api_read_only_views to pg
-- requires: analytics_fuel_costs
--
-- A view PostgreSQL cannot update itself (joins, aggregates, unions) makes a write through it
-- fail in the rewriter with SQLSTATE 55000 -- which PostgREST answers with 500 -- before any
-- privilege is checked. An INSTEAD OF trigger on each such view lets the privilege check run
-- first (403 for API roles, which hold no write grant on them) and, should a role ever get a
-- grant, refuses the write itself with 405. tests/pgtap/tenant_tables.sql fails when a new
-- api view is neither auto-updatable nor protected.

begin;

create function app.refuse_view_write()
returns trigger
language plpgsql
as $$
begin
    raise sqlstate 'PT405' using
        message = format('%s: read-only, %s is not allowed', tg_table_name, lower(tg_op)),
        hint = 'Write through the table''s own endpoint.';
end
$$;
comment on function app.refuse_view_write() is
    'INSTEAD OF trigger of read-only api views: refuses INSERT, UPDATE and DELETE with 405.';

create function app.protect_read_only_view(target regclass)
returns void
language plpgsql
as $$
begin
    execute format(
        'create trigger %I instead of insert or update or delete on %s for each row execute function app.refuse_view_write()',
        (select relname from pg_class where oid = target) || '_read_only', target);
end
$$;
comment on function app.protect_read_only_view(regclass) is
    'Attaches the read-only INSTEAD OF trigger to a view PostgreSQL cannot update by itself.';

select app.protect_read_only_view(c.oid::regclass)
from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'api'
  and c.relkind = 'v'
  and pg_relation_is_updatable(c.oid::regclass, false) & 28 = 0
  and not exists (select from pg_trigger as t where t.tgrelid = c.oid);

commit;
