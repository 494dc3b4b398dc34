-- Deploy motovault:import_batches to pg
-- requires: import_batches@v1.2
-- requires: import_jobs
--
-- Rework after @v1.2: a staged file goes on to the dry run in the worker (status previewing, rows_total,
-- the member who uploaded it as requested_by; change import_jobs) instead of straight to parsed. The
-- tables, the api and the other worker functions are the @v1.2 deploy script's.

begin;

set local lock_timeout = '5s';

create or replace function app.import_stage(batch uuid, worker text, detected_format text, vehicles jsonb, rows jsonb)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
    b app.import_batches;
begin
    select * into b
    from app.import_batches as x
    where x.id = batch
      and x.status = 'parsing'
      and x.leased_by = worker
    for update;
    if not found then
        return false;  -- the lease expired and another worker took the batch, or it was deleted
    end if;
    delete from app.import_vehicles as v where v.tenant_id = b.tenant_id and v.batch_id = b.id;
    delete from app.import_rows as r where r.tenant_id = b.tenant_id and r.batch_id = b.id;

    insert into app.import_vehicles (tenant_id, batch_id, key, name, vin, plate, details, vehicle_id, matched_by)
    select b.tenant_id, b.id, v.key, v.name, v.vin, v.plate, coalesce(v.details, '{}'),
           coalesce(b.vehicle_id, m.id),
           case when b.vehicle_id is not null then 'choice' else m.matched_by end
    from jsonb_to_recordset(vehicles) as v(key text, name text, vin text, plate text, details jsonb)
    left join lateral (
        -- one live vehicle of the tenant with the same VIN, else plate, else name (never a guess between two)
        select c.id, c.matched_by
        from (
            select 1 as pass, 'vin' as matched_by, array_agg(x.id) as ids
            from app.vehicles as x
            where x.tenant_id = b.tenant_id and x.deleted_at is null
              and x.vin = app.vin_normalize(v.vin)
            union all
            select 2, 'plate', array_agg(x.id)
            from app.vehicles as x
            where x.tenant_id = b.tenant_id and x.deleted_at is null
              and upper(regexp_replace(x.license_plate, '[^A-Za-z0-9]', '', 'g'))
                  = upper(regexp_replace(v.plate, '[^A-Za-z0-9]', '', 'g'))
            union all
            select 3, 'name', array_agg(x.id)
            from app.vehicles as x
            where x.tenant_id = b.tenant_id and x.deleted_at is null
              and lower(btrim(x.display_name)) = lower(btrim(v.name))
        ) as p
        cross join lateral (select p.ids[1] as id, p.matched_by) as c
        where cardinality(p.ids) = 1
        order by p.pass
        limit 1
    ) as m on true;

    insert into app.import_rows (tenant_id, batch_id, line, vehicle_key, kind, fields, problems, status,
                                 error_field, error_rule, error_value)
    select b.tenant_id, b.id, r.line, r.vehicle_key, r.kind, coalesce(r.fields, '{}'), r.problems,
           case when r.problems is null then 'staged' else 'error' end,
           r.problems -> 0 ->> 'field', r.problems -> 0 ->> 'rule', r.problems -> 0 ->> 'value'
    from jsonb_to_recordset(rows) as r(line integer, vehicle_key text, kind text, fields jsonb, problems jsonb);

    -- the dry run follows in the worker (app.import_claim_apply), as the member who uploaded the file
    update app.import_batches as x
    set status = 'previewing',
        detected_format = import_stage.detected_format,
        error = null,
        finished_at = now(),
        lease_until = null,
        leased_by = null,
        requested_by = coalesce(x.requested_by, x.created_by),
        rows_total = (select count(*) from app.import_rows as r where r.tenant_id = b.tenant_id and r.batch_id = b.id),
        rows_done = 0
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    return true;
end
$$;
comment on function app.import_stage(uuid, text, text, jsonb, jsonb) is
    'The worker stages a parsed file: vehicles [{key, name, vin, plate, details}] (matched by VIN, plate or name to one live vehicle of the tenant, or to the vehicle chosen at upload) and rows [{line, vehicle_key, kind, fields, problems: [{field, rule, value}] or null}] (kind null: a line with problems only); the batch becomes previewing (the worker''s dry run as the member who uploaded it follows; then parsed). False when the worker no longer holds the lease.';

commit;
