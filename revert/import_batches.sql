-- Revert motovault:import_batches from pg: app.import_stage as @v1.2 made it (a staged file is parsed)

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

    update app.import_batches as x
    set status = 'parsed',
        detected_format = import_stage.detected_format,
        error = null,
        finished_at = now(),
        lease_until = null,
        leased_by = null
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    return true;
end
$$;
comment on function app.import_stage(uuid, text, text, jsonb, jsonb) is
    'The worker stages a parsed file: vehicles [{key, name, vin, plate, details}] (matched by VIN, plate or name to one live vehicle of the tenant, or to the vehicle chosen at upload) and rows [{line, vehicle_key, kind, fields, problems: [{field, rule, value}] or null}] (kind null: a line with problems only); the batch becomes parsed. False when the worker no longer holds the lease.';

commit;
