-- Deploy motovault:stamp_row to pg
-- requires: claims
-- requires: membership_helpers
--
-- app.stamp_row(): created/updated at/by, the tenant_id default and guard, immutable ids.

begin;

set local lock_timeout = '5s';

create function app.stamp_row()
returns trigger
language plpgsql
as $$
begin
    if current_user = 'app_user' and tg_nargs = 0 and not app.current_member_can_write() then
        raise exception using
            errcode = 'insufficient_privilege',
            message = format('role: %s cannot write %s', coalesce(app.current_member_role(), 'a non-member'), tg_table_name),
            hint = 'Owners, admins and members write; viewers only read.';
    end if;
    if tg_op = 'INSERT' then
        if tg_nargs > 0 then
            null;  -- a shared table (argument 'shared'): no tenant_id to guard
        elsif new.tenant_id is null then
            new.tenant_id := app.current_tenant_id();
        elsif app.current_tenant_id() is not null and new.tenant_id <> app.current_tenant_id() then
            raise exception using
                errcode = 'insufficient_privilege',
                message = format('tenant_id: %s is not the active tenant', new.tenant_id),
                detail = format('Rows of %I are written to the tenant named in the token (%s).', tg_table_name, app.current_tenant_id()),
                hint = 'Leave tenant_id out; it defaults to the active tenant.';
        end if;
        new.created_at := now();
        new.created_by := app.current_user_id();
    else
        if tg_nargs = 0 and new.tenant_id is distinct from old.tenant_id then
            raise exception using
                errcode = 'insufficient_privilege',
                message = 'tenant_id: a row cannot move to another tenant',
                hint = 'Create the row in the other tenant instead.';
        end if;
        if new.id is distinct from old.id then
            raise exception using
                errcode = 'check_violation',
                message = 'id: the id of a row cannot change',
                hint = 'Leave id out of updates.';
        end if;
        new.created_at := old.created_at;
        new.created_by := old.created_by;
    end if;
    new.updated_at := now();
    new.updated_by := app.current_user_id();
    return new;
end
$$;
comment on function app.stamp_row() is
    'BEFORE INSERT OR UPDATE trigger of every tenant table: sets created_at/updated_at/created_by/updated_by, defaults tenant_id and refuses another tenant''s id or a change of tenant_id or id. With the argument ''shared'' (tables without tenant_id) only the stamps and the id guard apply.';

commit;
