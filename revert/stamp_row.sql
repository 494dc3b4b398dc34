-- Deploy motovault:stamp_row to pg
-- requires: claims
-- requires: membership_helpers
--
-- Reworked after @v1.0: the "not the active tenant" guard applies to the API role only; a SECURITY
-- DEFINER function (create_tenant, accept_invitation) writes a membership of another tenant on purpose.
--
-- app.tg_stamp_row(): the BEFORE INSERT OR UPDATE trigger of every table (trigger _500_stamp):
-- created/updated at/by, the tenant_id default and guard, immutable ids. It names no table and no
-- role; its arguments say what varies:
--   tg_argv[0]  'tenant' (the table has tenant_id) or 'shared' (it has none: no tenant guard)
--   tg_argv[1]  the role whose writes need a writing membership in the active tenant (the API role);
--               others (the owner role, the VIN worker) are held by their grants and policies

begin;

set local lock_timeout = '5s';

create or replace function app.tg_stamp_row()
returns trigger
language plpgsql
as $$
declare
    tenant_table constant boolean := tg_argv[0] = 'tenant';
begin
    if tenant_table and current_user = tg_argv[1] and not app.current_member_can_write() then
        raise exception using
            errcode = 'insufficient_privilege',
            message = format('role: %s cannot write %s', coalesce(app.current_member_role(), 'a non-member'),
                             (select c.relname from pg_class as c where c.oid = coalesce(pg_partition_root(tg_relid), tg_relid))),
            hint = 'Owners, admins and members write; viewers only read.';
    end if;
    if tg_op = 'INSERT' then
        if not tenant_table then
            null;  -- a shared table: no tenant_id to guard
        elsif new.tenant_id is null then
            new.tenant_id := app.current_tenant_id();
        elsif current_user = tg_argv[1] and app.current_tenant_id() is not null and new.tenant_id <> app.current_tenant_id() then
            raise exception using
                errcode = 'insufficient_privilege',
                message = format('tenant_id: %s is not the active tenant', new.tenant_id),
                detail = format('Rows of %I are written to the tenant named in the token (%s).', tg_table_name, app.current_tenant_id()),
                hint = 'Leave tenant_id out; it defaults to the active tenant.';
        end if;
        new.created_at := now();
        new.created_by := app.current_user_id();
    else
        if tenant_table and new.tenant_id is distinct from old.tenant_id then
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
comment on function app.tg_stamp_row() is
    'BEFORE INSERT OR UPDATE trigger of every table (_500_stamp): sets created_at/updated_at/created_by/updated_by and refuses a change of id. Arguments: ''tenant'' or ''shared'', and the API role. On a tenant table it defaults tenant_id to the active tenant, refuses another tenant''s id from the API role, a change of tenant_id always, and refuses writes of the API role by viewers and non-members (naming the table, or the partitioned table of a partition).';

commit;
