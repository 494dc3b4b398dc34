-- Deploy motovault:table_rules to pg
-- requires: stamp_row
-- requires: audit_row
-- requires: soft_delete
-- requires: membership_helpers
--
-- Applying the rules to a table, written once:
--   app.enable_tenant_rules(table)      RLS enabled and forced, a policy per command, stamp and audit
--                                       triggers, grants
--   app.protect_read_only_view(view)    a view PostgreSQL cannot update answers writes with 403/405
--                                       instead of the rewriter's 500

begin;

set local lock_timeout = '5s';

create function app.enable_tenant_rules(
    target regclass,
    api_writes boolean default true,
    extra_read text default null
)
returns void
language plpgsql
as $$
declare
    tbl text := target::text;
    short text := (select relname from pg_class where oid = target);
    writer constant text := 'tenant_id = app.current_tenant_id() and (select app.current_member_can_write())';
begin
    execute format('alter table %s enable row level security', tbl);
    execute format('alter table %s force row level security', tbl);

    execute format(
        'create policy %I on %s for select to app_user using (tenant_id = app.current_tenant_id()%s)',
        short || '_members_read', tbl, coalesce(' or ' || extra_read, ''));
    if api_writes then
        execute format('create policy %I on %s for insert to app_user with check (%s)', short || '_writers_insert', tbl, writer);
        execute format(
            'create policy %I on %s for update to app_user using (tenant_id = app.current_tenant_id()) with check (%s)',
            short || '_writers_update', tbl, writer);
        execute format('grant select, insert, update on %s to app_user', tbl);
    else
        execute format('grant select on %s to app_user', tbl);
    end if;
    execute format(
        'create policy %I on %s for all to motovault_owner using (true) with check (true)',
        short || '_owner_role_all', tbl);

    execute format(
        'create trigger %I before insert or update on %s for each row execute function app.stamp_row()',
        short || '_stamp', tbl);
    execute format(
        'create trigger %I after insert or update or delete on %s for each row execute function app.audit_row()',
        short || '_audit', tbl);
end
$$;
comment on function app.enable_tenant_rules(regclass, boolean, text) is
    'Applies the tenant rules to a table: RLS enabled and forced; members read their tenant''s rows (plus extra_read), writers (owner, admin, member) insert and update when api_writes, nobody deletes through the API (DELETE on an api view soft-deletes); the owner role manages all; stamp and audit triggers; grants.';

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

commit;
