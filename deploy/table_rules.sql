-- Deploy motovault:table_rules to pg
-- requires: stamp_row
-- requires: audit_row
-- requires: soft_delete
-- requires: membership_helpers
--
-- Applying the rules, written once (docs/conventions: every table gets them from these helpers):
--   app.enable_tenant_rules(table)     a tenant table: RLS enabled and forced, a policy per command,
--                                      stamp and audit triggers, grants
--   app.attach_audit_triggers(table)   the audit triggers, one per statement and event (reworked after
--                                      @v1.1: bulk writes, docs/bulk.md)
--   app.enable_shared_rules(table)     a shared table (no tenant_id): RLS enabled and forced, the owner
--                                      role's policy, stamp and audit triggers; its read policy is its own
--   app.create_trash_api(view, ...)    the soft-delete surface of an api view: DELETE soft-deletes, a
--                                      <view>_trash view, a restore_<thing> RPC, comments, grants
--   app.protect_read_only_view(view)   a view PostgreSQL cannot update answers writes with 403/405
--                                      instead of the rewriter's 500
-- Trigger names carry their order (PostgreSQL fires triggers of one event in name order):
--   BEFORE  _100_ checks of raw input, _200_prepare (normalize, defaults), _300_ domain rules,
--           _500_stamp, _600_ what needs the stamped row
--   AFTER   _100_ guards that may refuse the write, _300_/_400_ rows the write implies, _500_events,
--           _900_audit_insert/_update/_delete (per statement: they fire after every row trigger)
-- Policies compare tenant_id with app.current_tenant_id() and call the membership helpers directly,
-- never in a sub-select (Citus refuses sub-selects in policies).

begin;

set local lock_timeout = '5s';

create or replace function app.attach_audit_triggers(target regclass, tenant_column text default null)
returns void
language plpgsql
as $$
declare
    event text;
begin
    -- a trigger with transition tables has exactly one event and no column list: one per event
    foreach event in array array['insert', 'update', 'delete'] loop
        execute format(
            'create trigger %I after %s on %s referencing %s for each statement execute function app.tg_audit_row(%s)',
            '_900_audit_' || event, event, target,
            case event
                when 'insert' then 'new table as new_rows'
                when 'update' then 'old table as old_rows new table as new_rows'
                else 'old table as old_rows'
            end,
            coalesce(quote_literal(tenant_column), ''));
    end loop;
end
$$;
comment on function app.attach_audit_triggers(regclass, text) is
    'Attaches the audit triggers of a table: _900_audit_insert, _900_audit_update and _900_audit_delete, AFTER, FOR EACH STATEMENT with transition tables (one event each, as PostgreSQL requires), calling app.tg_audit_row(tenant_column) (no argument: a shared table).';

create or replace function app.enable_tenant_rules(
    target regclass,
    api_writes boolean default true,
    extra_read text default null,
    bulk_writer name default null
)
returns void
language plpgsql
as $$
declare
    tbl constant text := target::text;
    short constant text := (select relname from pg_class where oid = target);
    writer constant text := 'tenant_id = app.current_tenant_id() and app.current_member_can_write()';
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
        'create trigger _500_stamp before insert or update on %s for each row execute function app.tg_stamp_row(%L, %L)',
        tbl, 'tenant', 'app_user');
    perform app.attach_audit_triggers(target, 'tenant_id');
end
$$;
comment on function app.enable_tenant_rules(regclass, boolean, text, name) is
    'Applies the tenant rules to a table: RLS enabled and forced; members read their tenant''s rows (plus extra_read), writers (owner, admin, member) insert and update when api_writes, nobody deletes through the API (DELETE on an api view soft-deletes); the owner role manages all; triggers _500_stamp (per row) and _900_audit_insert/_update/_delete (per statement, app.attach_audit_triggers); grants. bulk_writer is no longer used (every write is audited per statement) and stays for the signature.';

create or replace function app.enable_shared_rules(target regclass, audit_tenant_column text default null)
returns void
language plpgsql
as $$
declare
    tbl constant text := target::text;
    short constant text := (select relname from pg_class where oid = target);
begin
    execute format('alter table %s enable row level security', tbl);
    execute format('alter table %s force row level security', tbl);
    execute format(
        'create policy %I on %s for all to motovault_owner using (true) with check (true)',
        short || '_owner_role_all', tbl);
    execute format(
        'create trigger _500_stamp before insert or update on %s for each row execute function app.tg_stamp_row(%L, %L)',
        tbl, 'shared', 'app_user');
    perform app.attach_audit_triggers(target, audit_tenant_column);
end
$$;
comment on function app.enable_shared_rules(regclass, text) is
    'Applies the rules of a shared table (no tenant_id: tenants, users, stations): RLS enabled and forced, the owner role manages all, triggers _500_stamp and _900_audit_insert/_update/_delete (to audit.shared_record_version, or under the tenant in audit_tenant_column). Who else reads or writes it is the table''s own policies and grants.';

create or replace function app.tg_refuse_view_write()
returns trigger
language plpgsql
as $$
begin
    raise sqlstate 'PT405' using
        message = format('%s: read-only, %s is not allowed', tg_table_name, lower(tg_op)),
        hint = 'Write through the table''s own endpoint.';
end
$$;
comment on function app.tg_refuse_view_write() is
    'INSTEAD OF trigger of read-only api views (_500_read_only): refuses INSERT, UPDATE and DELETE with 405.';

create or replace function app.protect_read_only_view(target regclass)
returns void
language plpgsql
as $$
begin
    execute format(
        'create trigger _500_read_only instead of insert or update or delete on %s for each row execute function app.tg_refuse_view_write()',
        target);
end
$$;
comment on function app.protect_read_only_view(regclass) is
    'Attaches the read-only INSTEAD OF trigger (_500_read_only) to a view PostgreSQL cannot update by itself.';

create or replace function app.create_trash_api(api_view regclass, thing text, things text, restore_note text default null)
returns void
language plpgsql
as $fn$
declare
    view_name constant text := (select relname from pg_class where oid = api_view);
    trash constant text := view_name || '_trash';
    restore constant text := 'restore_' || thing;
    source regclass;
    columns text;
begin
    -- the one table the view reads
    select string_agg(distinct d.refobjid::regclass::text, ', '), min(d.refobjid)
    into columns, source
    from pg_rewrite as r
    join pg_depend as d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
        and d.refclassid = 'pg_class'::regclass and d.refobjid <> api_view
    join pg_class as c on c.oid = d.refobjid and c.relkind in ('r', 'p')
    where r.ev_class = api_view;
    if source is null or columns like '%,%' then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('api_view: %s must read exactly one table, it reads %s', api_view, coalesce(columns, 'none'));
    end if;
    if not exists (select from pg_attribute where attrelid = source and attname = 'deleted_at' and not attisdropped) then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('api_view: %s reads %s, which has no deleted_at', api_view, source);
    end if;
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum)
    into columns
    from pg_attribute as a
    where a.attrelid = api_view and a.attnum > 0 and not a.attisdropped;

    execute format(
        'create trigger _500_soft_delete instead of delete on %s for each row execute function app.tg_soft_delete_row(%L)',
        api_view, source);
    execute format(
        'create view api.%I with (security_invoker = true) as select %s, deleted_at from %s where deleted_at is not null',
        trash, columns, source);
    execute format('comment on view api.%I is %L', trash,
        format('Deleted %s of the active tenant; %s brings one back. Purged after 30 days.', things, restore));
    execute format(
        $ddl$create function api.%I(id uuid) returns setof %s language plpgsql as $body$
begin
    perform app.restore_row(%L, %I.id);
    return query select * from %s as v where v.id = %I.id;
end
$body$
$ddl$,
        restore, api_view, source, restore, api_view, restore);
    execute format('comment on function api.%I(uuid) is %L', restore,
        format('Brings a deleted %s back from %s%s.', replace(thing, '_', ' '), trash, coalesce(' (' || restore_note || ')', '')));
    execute format('grant delete on %s to app_user', api_view);
    execute format('grant select on api.%I to app_user', trash);
    execute format('grant execute on function api.%I(uuid) to app_user', restore);
end
$fn$;
comment on function app.create_trash_api(regclass, text, text, text) is
    'The soft-delete surface of an api view over one table with deleted_at: DELETE on the view soft-deletes (_500_soft_delete), api.<view>_trash lists deleted rows, api.restore_<thing>(id) brings one back; comments and grants. things is the plural used in the comments; restore_note says what restoring checks again.';


-- the tables of before this rework: their row-level audit triggers (and the VIN worker's statement
-- trigger on vehicles) become the three statement triggers
do $$
declare
    t record;
begin
    for t in
        select g.tgrelid::regclass as tbl,
               case when g.tgnargs > 0 then split_part(encode(g.tgargs, 'escape'), '\000', 1) end as tenant_column
        from pg_trigger as g
        where g.tgname = '_900_audit'
          and g.tgfoid = 'app.tg_audit_row()'::regprocedure
          and g.tgparentid = 0
        order by 1
    loop
        execute format('drop trigger _900_audit on %s', t.tbl);
        execute format('drop trigger if exists _900_audit_statement on %s', t.tbl);
        perform app.attach_audit_triggers(t.tbl, t.tenant_column);
    end loop;
end
$$;

commit;
