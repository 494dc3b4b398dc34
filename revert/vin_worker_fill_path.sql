-- Revert motovault:vin_worker_fill_path from pg

begin;

set local lock_timeout = '5s';

alter table app.vin_cache
    alter column raw_data set compression default;

alter table app.vehicles
    reset (fillfactor);

create or replace function app.vehicles_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
begin
    new.vin := nullif(app.vin_normalize(new.vin), '');
    problem := app.vin_problem(new.vin);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicles_vin_valid',
            column = 'vin',
            message = format('vin: %s', problem),
            detail = format('VIN %s', new.vin),
            hint = 'A VIN has 17 characters, A-Z and 0-9 without I, O and Q; position 9 is a check digit.';
    end if;
    new.make := nullif(btrim(new.make), '');
    new.model := nullif(btrim(new.model), '');
    if new.display_name is null or btrim(new.display_name) = '' then
        new.display_name := coalesce(nullif(concat_ws(' ', new.year, new.make, new.model), ''), 'Vehicle');
    else
        new.display_name := btrim(new.display_name);
    end if;
    return new;
end
$$;

drop trigger vehicles_audit_vin_worker on app.vehicles;
drop trigger vehicles_audit on app.vehicles;
create trigger vehicles_audit
    after insert or update or delete on app.vehicles
    for each row execute function app.audit_row();

create or replace function app.audit_row()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
    op text := tg_op;
begin
    if tg_op = 'UPDATE' then
        if old_row ->> 'deleted_at' is null and new_row ->> 'deleted_at' is not null then
            op := 'SOFT_DELETE';
        elsif old_row ->> 'deleted_at' is not null and new_row ->> 'deleted_at' is null then
            op := 'RESTORE';
        end if;
    end if;
    insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
    values (
        coalesce(
            coalesce(new_row, old_row) ->> 'tenant_id',
            case when tg_table_name = 'tenants' then coalesce(new_row, old_row) ->> 'id' end
        )::uuid,
        -- a partition's row is logged under its partitioned table (app.vehicle_events, not _p2026_11)
        coalesce(pg_catalog.pg_partition_root(tg_relid), tg_relid)::regclass::text,
        op,
        (coalesce(new_row, old_row) ->> 'id')::uuid,
        old_row,
        new_row,
        app.current_user_id()
    );
    return null;
end
$$;
comment on function app.audit_row() is 'AFTER trigger of every tenant table: writes the change to audit.record_version.';

commit;
