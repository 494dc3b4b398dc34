-- Deploy motovault:vin_decode_queue to pg
-- requires: vin_cache
-- requires: vehicles
--
-- Writing a vehicle's VIN either fills the vehicle at once from a fresh cache
-- row or queues the VIN (one live job per VIN) and NOTIFYs channel vin_decode
-- (empty payload: any role may LISTEN, and which VINs exist is personal).
-- The worker (motovault worker, role vin_worker):
--   app.vin_decode_claim(n, worker, lease)   jobs for one batch, leased (FOR UPDATE SKIP LOCKED)
--   COPY the decodes into pg_temp.vin_decoded (of type app.vin_decode_result), then
--   app.vin_decode_finish(ids, worker)       cache upsert + vehicle fill + jobs done, one transaction
--   app.vin_decode_fail(ids, worker, error)  retry with backoff, or park after the last attempt
-- Settings (GUC, defaults): motovault.vin_decode_max_attempts (5),
-- motovault.vin_decode_backoff_seconds (30; doubles per attempt, at most one hour).

begin;

set local lock_timeout = '5s';

create table app.vin_decode_queue (
    id bigint generated always as identity,
    vin text not null,
    status text not null default 'queued',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    lease_until timestamptz,
    leased_by text,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    done_at timestamptz,
    constraint vin_decode_queue_pkey primary key (id),
    constraint vin_decode_queue_vin_shape check (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
    constraint vin_decode_queue_status_known check (status in ('queued', 'running', 'done', 'parked')),
    constraint vin_decode_queue_attempts_not_negative check (attempts >= 0),
    constraint vin_decode_queue_running_has_lease
        check (status <> 'running' or (lease_until is not null and leased_by is not null)),
    constraint vin_decode_queue_done_at_iff_done check ((status = 'done') = (done_at is not null))
);
comment on table app.vin_decode_queue is
    'VINs waiting to be decoded by the worker: queued -> running (leased until lease_until) -> done, or back to queued with backoff after a failure, or parked after the last attempt. Not tenant-scoped; no API role can read it.';
comment on column app.vin_decode_queue.attempts is 'How many times a worker claimed the job.';
comment on column app.vin_decode_queue.lease_until is 'A running job whose lease has expired is reclaimed (its worker died).';
select app.distribute_table('app.vin_decode_queue', 'local');

create unique index vin_decode_queue_one_live_job_per_vin on app.vin_decode_queue (vin)
    where status in ('queued', 'running');
create index vin_decode_queue_due_idx on app.vin_decode_queue (next_attempt_at, id) where status = 'queued';
create index vin_decode_queue_lease_idx on app.vin_decode_queue (lease_until) where status = 'running';
create index vin_decode_queue_done_idx on app.vin_decode_queue (done_at) where status = 'done';

-- what the worker stages (COPY) before app.vin_decode_finish
create type app.vin_decode_result as (
    vin text,
    decoded boolean,
    make text,
    model text,
    year integer,
    trim text,
    body_class text,
    vehicle_type text,
    fuel_types text[],
    engine_cylinders integer,
    engine_displacement_l numeric,
    engine_power_kw numeric,
    engine_power_hp numeric,
    drive_type text,
    manufacturer text,
    plant_country text,
    error_codes integer[],
    error_texts text[],
    raw_data jsonb,
    source text,
    data_version text
);
comment on type app.vin_decode_result is
    'One decoded VIN as the worker stages it: create temp table vin_decoded of app.vin_decode_result on commit delete rows.';

create or replace function app.vin_enqueue(vin text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
    -- Touching a live job locks it: a worker finishing that job waits for this
    -- transaction, then fills this vehicle too (or, if it finished first, the
    -- job is no longer live and a new one is queued).
    insert into app.vin_decode_queue as q (vin)
    values (vin_enqueue.vin)
    on conflict (vin) where status in ('queued', 'running')
    do update set updated_at = now();
    perform pg_notify('vin_decode', '');
end
$$;
comment on function app.vin_enqueue(text) is
    'Queues a normalized, valid VIN for decoding (at most one live job per VIN) and notifies channel vin_decode with an empty payload.';

-- fill a vehicle from a fresh cache row, or queue its VIN
create or replace function app.vehicle_decode_vin(v app.vehicles)
returns app.vehicles
language plpgsql
security definer
set search_path = ''
as $$
declare
    c record;
    rename boolean;
begin
    select vc.decoded, vc.make, vc.model, vc.year, vc.trim, vc.body_class, vc.vehicle_type, vc.fuel_types,
           vc.engine_cylinders, vc.engine_displacement_l, vc.engine_power_kw, vc.drive_type, vc.manufacturer,
           vc.plant_country, vc.source
    into c
    from app.vin_cache as vc
    where vc.vin = v.vin
      and vc.expires_at > now();
    if not found then
        perform app.vin_enqueue(v.vin);
        return v;
    end if;
    if c.decoded then  -- a fresh negative entry: nothing to fill, nothing to queue
        rename := v.display_name = app.vehicle_default_name(v.year, v.make, v.model);
        v.vin_filled := array_remove(array[
            case when v.make is null and c.make is not null then 'make' end,
            case when v.model is null and c.model is not null then 'model' end,
            case when v.year is null and c.year <= extract(year from current_date)::integer + 1 then 'year' end
        ], null);
        v.make := coalesce(v.make, left(c.make, 100));
        v.model := coalesce(v.model, left(c.model, 100));
        v.year := coalesce(v.year, case when c.year <= extract(year from current_date)::integer + 1 then c.year end);
        if rename then
            v.display_name := app.vehicle_default_name(v.year, v.make, v.model);
        end if;
        v.trim := c.trim;
        v.body_class := c.body_class;
        v.vehicle_type := c.vehicle_type;
        v.fuel_types := c.fuel_types;
        v.engine_cylinders := c.engine_cylinders;
        v.engine_displacement_l := c.engine_displacement_l;
        v.engine_power_kw := c.engine_power_kw;
        v.drive_type := c.drive_type;
        v.manufacturer := c.manufacturer;
        v.plant_country := c.plant_country;
        v.vin_decoded_at := now();
        v.vin_decode_source := c.source;
    end if;
    return v;
end
$$;
comment on function app.vehicle_decode_vin(app.vehicles) is
    'The vehicle filled from a fresh cache row of its VIN (make, model, year only where empty; display_name only while it is the default), or unchanged with its VIN queued.';

create or replace function app.tg_vehicles_vin_decode()
returns trigger
language plpgsql
as $$
declare
    rename boolean;
begin
    if current_user = 'app_user'
       and (new.trim, new.body_class, new.vehicle_type, new.fuel_types, new.engine_cylinders, new.engine_displacement_l,
            new.engine_power_kw, new.drive_type, new.manufacturer, new.plant_country, new.vin_decoded_at, new.vin_decode_source,
            new.vin_filled)
           is distinct from
           (case when tg_op = 'UPDATE' then (old.trim, old.body_class, old.vehicle_type, old.fuel_types, old.engine_cylinders,
                 old.engine_displacement_l, old.engine_power_kw, old.drive_type, old.manufacturer, old.plant_country,
                 old.vin_decoded_at, old.vin_decode_source, old.vin_filled)
            else (null::text, null::text, null::text, null::text[], null::integer, null::numeric, null::numeric,
                  null::text, null::text, null::text, null::timestamptz, null::text, null::text[]) end)
    then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicles_decoded_fields_read_only',
            message = 'trim, body_class, vehicle_type, fuel_types, engine_*, drive_type, manufacturer, plant_country, vin_decoded_at, vin_decode_source, vin_filled: decoded from the VIN, read-only',
            hint = 'Leave the decoded fields out; they are filled when the VIN is decoded. make, model and year can be typed.';
    end if;
    if tg_op = 'UPDATE' and new.vin is not distinct from old.vin then
        return new;
    end if;
    -- a new or changed VIN: the decoded fields of the old one no longer apply, nor
    -- make/model/year the old one filled (unless edited in this very update)
    -- the name is still the default one (of the values before this write): it follows the new values
    rename := new.display_name = case
        when tg_op = 'UPDATE' then app.vehicle_default_name(old.year, old.make, old.model)
        else app.vehicle_default_name(new.year, new.make, new.model)
    end;
    if tg_op = 'UPDATE' and old.vin_filled is not null then
        if 'make' = any(old.vin_filled) and new.make is not distinct from old.make then
            new.make := null;
        end if;
        if 'model' = any(old.vin_filled) and new.model is not distinct from old.model then
            new.model := null;
        end if;
        if 'year' = any(old.vin_filled) and new.year is not distinct from old.year then
            new.year := null;
        end if;
    end if;
    if rename then
        new.display_name := app.vehicle_default_name(new.year, new.make, new.model);
    end if;
    new.vin_filled := null;
    new.trim := null;
    new.body_class := null;
    new.vehicle_type := null;
    new.fuel_types := null;
    new.engine_cylinders := null;
    new.engine_displacement_l := null;
    new.engine_power_kw := null;
    new.drive_type := null;
    new.manufacturer := null;
    new.plant_country := null;
    new.vin_decoded_at := null;
    new.vin_decode_source := null;
    if new.vin is null then
        return new;
    end if;
    return app.vehicle_decode_vin(new);
end
$$;
comment on function app.tg_vehicles_vin_decode() is
    'BEFORE INSERT OR UPDATE on vehicles (_600_vin_decode, after _200_prepare and _500_stamp): decoded fields are read-only for API users; a new or changed VIN is filled at once from a fresh cache row, or queued for the worker.';
create trigger _600_vin_decode before insert or update on app.vehicles
    for each row execute function app.tg_vehicles_vin_decode();

grant execute on function app.vehicle_decode_vin(app.vehicles) to app_user, vin_worker;

-- the worker's side ---------------------------------------------------------------------------

create or replace function app.vin_decode_claim(batch_size integer, worker text, lease_seconds integer default 60)
returns table (job_id bigint, vin text, attempts integer)
language plpgsql
as $$
#variable_conflict use_column
begin
    if batch_size is null or batch_size < 1 or lease_seconds is null or lease_seconds < 1 then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('batch_size, lease_seconds: must be 1 or more, got %s and %s', batch_size, lease_seconds);
    end if;
    -- running jobs whose lease expired: their worker died; retry them (or park after the last attempt)
    update app.vin_decode_queue as q
    set status = case when q.attempts >= app.vin_setting('vin_decode_max_attempts', 5) then 'parked' else 'queued' end,
        last_error = format('lease of %s expired during attempt %s', q.leased_by, q.attempts),
        next_attempt_at = now(),
        lease_until = null,
        updated_at = now()
    where q.status = 'running'
      and q.lease_until < now();

    return query
    with picked as (
        select q.id
        from app.vin_decode_queue as q
        where q.status = 'queued'
          and q.next_attempt_at <= now()
        order by q.next_attempt_at, q.id
        limit batch_size
        for update skip locked
    )
    update app.vin_decode_queue as q
    set status = 'running',
        attempts = q.attempts + 1,
        lease_until = now() + make_interval(secs => lease_seconds),
        leased_by = worker,
        updated_at = now()
    from picked
    where q.id = picked.id
    returning q.id, q.vin, q.attempts;
end
$$;
comment on function app.vin_decode_claim(integer, text, integer) is
    'Leases up to batch_size due jobs to worker for lease_seconds (FOR UPDATE SKIP LOCKED: concurrent workers never get the same job); first requeues (or parks) running jobs whose lease expired. Commit before decoding.';

create or replace function app.vin_decode_finish(job_ids bigint[], worker text)
returns table (cached bigint, filled bigint, done bigint)
language plpgsql
as $$
#variable_conflict use_column
begin
    -- lock the jobs first: a transaction that queued one of these VINs for a new
    -- vehicle has locked the job; waiting for it makes the fill below see that vehicle
    perform 1 from app.vin_decode_queue as q where q.id = any(job_ids) order by q.id for update;

    insert into app.vin_cache as vc (
        vin, decoded, make, model, year, trim, body_class, vehicle_type, fuel_types,
        engine_cylinders, engine_displacement_l, engine_power_kw, engine_power_hp, drive_type,
        manufacturer, plant_country, error_codes, error_texts, raw_data, source, data_version,
        cached_at, expires_at, created_at, updated_at
    )
    select distinct on (s.vin)
        s.vin, s.decoded, s.make, s.model, s.year, s.trim, s.body_class, s.vehicle_type, coalesce(s.fuel_types, '{}'),
        s.engine_cylinders, s.engine_displacement_l, s.engine_power_kw, s.engine_power_hp, s.drive_type,
        s.manufacturer, s.plant_country, coalesce(s.error_codes, '{}'), coalesce(s.error_texts, '{}'),
        coalesce(s.raw_data, '{}'), s.source, s.data_version,
        now(), now() + app.vin_cache_ttl(s.decoded), now(), now()
    from pg_temp.vin_decoded as s
    order by s.vin
    on conflict (vin) do update
    set decoded = excluded.decoded,
        make = excluded.make,
        model = excluded.model,
        year = excluded.year,
        trim = excluded.trim,
        body_class = excluded.body_class,
        vehicle_type = excluded.vehicle_type,
        fuel_types = excluded.fuel_types,
        engine_cylinders = excluded.engine_cylinders,
        engine_displacement_l = excluded.engine_displacement_l,
        engine_power_kw = excluded.engine_power_kw,
        engine_power_hp = excluded.engine_power_hp,
        drive_type = excluded.drive_type,
        manufacturer = excluded.manufacturer,
        plant_country = excluded.plant_country,
        error_codes = excluded.error_codes,
        error_texts = excluded.error_texts,
        raw_data = excluded.raw_data,
        source = excluded.source,
        data_version = excluded.data_version,
        cached_at = excluded.cached_at,
        expires_at = excluded.expires_at,
        updated_at = now();
    get diagnostics cached = row_count;

    -- never overwrite what a person typed: make, model, year only where empty,
    -- display_name only while it is still the default name
    update app.vehicles as v
    set make = coalesce(v.make, left(s.make, 100)),
        model = coalesce(v.model, left(s.model, 100)),
        year = coalesce(v.year, case when s.year <= extract(year from current_date)::integer + 1 then s.year end),
        display_name = case
            when v.display_name = app.vehicle_default_name(v.year, v.make, v.model)
            then app.vehicle_default_name(
                coalesce(v.year, case when s.year <= extract(year from current_date)::integer + 1 then s.year end),
                coalesce(v.make, left(s.make, 100)),
                coalesce(v.model, left(s.model, 100)))
            else v.display_name
        end,
        trim = s.trim,
        body_class = s.body_class,
        vehicle_type = s.vehicle_type,
        fuel_types = coalesce(s.fuel_types, '{}'),
        engine_cylinders = s.engine_cylinders,
        engine_displacement_l = s.engine_displacement_l,
        engine_power_kw = s.engine_power_kw,
        drive_type = s.drive_type,
        manufacturer = s.manufacturer,
        plant_country = s.plant_country,
        vin_decoded_at = now(),
        vin_decode_source = s.source,
        vin_filled = array_remove(array[
            case when v.make is null and s.make is not null then 'make' end,
            case when v.model is null and s.model is not null then 'model' end,
            case when v.year is null and s.year <= extract(year from current_date)::integer + 1 then 'year' end
        ], null)
    from pg_temp.vin_decoded as s
    where s.decoded
      and v.vin = s.vin
      and v.vin_decoded_at is null;
    get diagnostics filled = row_count;

    update app.vin_decode_queue as q
    set status = 'done',
        done_at = now(),
        lease_until = null,
        last_error = null,
        updated_at = now()
    where q.id = any(job_ids)
      and q.status = 'running'
      and q.leased_by = worker;
    get diagnostics done = row_count;
    return next;
end
$$;
comment on function app.vin_decode_finish(bigint[], text) is
    'Writes the decodes staged in pg_temp.vin_decoded to the cache (upsert), fills the vehicles with those VINs that are not decoded yet, and marks the jobs still leased to worker done - all in the caller''s transaction, so a crash leaves either everything or nothing. Idempotent.';

create or replace function app.vin_decode_fail(job_ids bigint[], worker text, error text)
returns bigint
language plpgsql
as $$
declare
    changed bigint;
begin
    update app.vin_decode_queue as q
    set status = case when q.attempts >= app.vin_setting('vin_decode_max_attempts', 5) then 'parked' else 'queued' end,
        next_attempt_at = now() + least(
            make_interval(secs => app.vin_setting('vin_decode_backoff_seconds', 30) * 2 ^ greatest(q.attempts - 1, 0)),
            interval '1 hour'),
        last_error = left(error, 2000),
        lease_until = null,
        updated_at = now()
    where q.id = any(job_ids)
      and q.status = 'running'
      and q.leased_by = worker;
    get diagnostics changed = row_count;
    return changed;
end
$$;
comment on function app.vin_decode_fail(bigint[], text, text) is
    'Records a failed attempt: back to queued after a backoff of motovault.vin_decode_backoff_seconds (30) doubled per attempt (at most 1 hour), or parked with the error after motovault.vin_decode_max_attempts (5) attempts.';

create or replace function app.purge_vin_decode_jobs(keep_days integer default 7)
returns bigint
language plpgsql
as $$
declare
    purged bigint;
begin
    delete from app.vin_decode_queue where status = 'done' and done_at < now() - make_interval(days => keep_days);
    get diagnostics purged = row_count;
    return purged;
end
$$;
comment on function app.purge_vin_decode_jobs(integer) is 'Deletes jobs done more than keep_days (default 7) days ago; returns how many.';

grant select, update on app.vin_decode_queue to vin_worker;
grant delete on app.vin_decode_queue to vin_worker;
grant execute on function
    app.vin_enqueue(text),
    app.vin_decode_claim(integer, text, integer),
    app.vin_decode_finish(bigint[], text),
    app.vin_decode_fail(bigint[], text, text),
    app.purge_vin_decode_jobs(integer)
to vin_worker;

-- vehicles that had a VIN before this change
insert into app.vin_decode_queue (vin)
select distinct vin from app.vehicles where vin is not null and vin ~ '^[A-HJ-NPR-Z0-9]{17}$';

commit;
