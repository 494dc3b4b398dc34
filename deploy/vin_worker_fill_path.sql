-- Deploy motovault:vin_worker_fill_path to pg
-- requires: vin_decode_queue
-- requires: audit_partition_root
--
-- The worker fills a whole batch of vehicles in one UPDATE (app.vin_decode_finish). Measured with
-- bench/worker_bench.py, per 2,000 filled vehicles: the row-level audit trigger cost ~170 ms,
-- vehicles_prepare re-checking VINs that did not change ~30 ms, and pglz compression of the cached
-- raw vPIC attributes (~2.9 kB per VIN) ~60 ms. This change:
--   * audits UPDATE statements of the vin_worker role on app.vehicles with ONE statement-level
--     trigger (app.audit_row() over the transition tables): the same audit.record_version rows as
--     the row-level trigger writes (one per row, same operation, old and new records, actor); the
--     row-level vehicles_audit skips vin_worker, so every fill is logged exactly once;
--   * vehicles_prepare normalizes and explains the VIN only when it is new or changed (the CHECKs
--     vehicles_vin_normalized and vehicles_vin_valid still hold for every row written);
--   * app.vin_cache.raw_data is compressed with lz4 (rows written from now on; no table rewrite);
--   * app.vehicles keeps half of each new page free (fillfactor 50): a fill, like every odometer
--     update a fill-up makes, changes no indexed column, so with room on the page it is a HOT update
--     (no index entries). Measured: 2,000 consecutive vehicles filled in one UPDATE, 11 HOT at
--     fillfactor 100, 909 at 70, 1,999 at 50; the UPDATE took half the time. Pages written before
--     this change keep their layout until the table is rewritten (VACUUM FULL, pg_repack).

begin;

set local lock_timeout = '5s';

-- app.audit_row() learns a statement-level form: fired FOR EACH STATEMENT with the transition
-- tables old_rows and new_rows, it writes the same rows (one per updated row) in one INSERT
create or replace function app.audit_row()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    old_row jsonb;
    new_row jsonb;
    op text := tg_op;
begin
    if tg_level = 'STATEMENT' then
        -- UPDATE statements that cannot change the key: (tenant_id, id) pairs each old row with its
        -- new version (the vin_worker role has no UPDATE privilege on tenant_id or id)
        insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
        select
            n.tenant_id,
            coalesce(pg_catalog.pg_partition_root(tg_relid), tg_relid)::regclass::text,
            case
                when o.deleted_at is null and n.deleted_at is not null then 'SOFT_DELETE'
                when o.deleted_at is not null and n.deleted_at is null then 'RESTORE'
                else 'UPDATE'
            end,
            n.id,
            to_jsonb(o),
            to_jsonb(n),
            app.current_user_id()
        from old_rows as o
        join new_rows as n
            on n.tenant_id = o.tenant_id
            and n.id = o.id;
        return null;
    end if;
    old_row := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    new_row := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
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
comment on function app.audit_row() is
    'AFTER trigger of every tenant table: writes the change to audit.record_version. FOR EACH ROW: one row per call. FOR EACH STATEMENT with transition tables old_rows and new_rows (UPDATE only, key unchanged): the same rows for the whole statement in one INSERT.';

drop trigger vehicles_audit on app.vehicles;
create trigger vehicles_audit
    after insert or update or delete on app.vehicles
    for each row
    when (current_user <> 'vin_worker')
    execute function app.audit_row();

create trigger vehicles_audit_vin_worker
    after update on app.vehicles
    referencing old table as old_rows new table as new_rows
    for each statement
    when (current_user = 'vin_worker')
    execute function app.audit_row();
comment on trigger vehicles_audit_vin_worker on app.vehicles is
    'The VIN worker''s fills (one UPDATE per batch) are audited in one statement; vehicles_audit skips vin_worker.';

create or replace function app.vehicles_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
begin
    -- an unchanged VIN was normalized and checked when it was written (and the CHECKs
    -- vehicles_vin_normalized and vehicles_vin_valid hold it): only a new one is explained here
    if tg_op = 'INSERT' or new.vin is distinct from old.vin then
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

alter table app.vin_cache
    alter column raw_data set compression lz4;

alter table app.vehicles
    set (fillfactor = 50);

commit;
