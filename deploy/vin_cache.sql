-- Deploy motovault:vin_cache to pg
-- requires: vin_rules
--
--
-- One row per VIN, shared by every tenant: what a VIN decodes to is not
-- personal, but which VINs exist is, so no API role can read this table
-- (only the owner role and vin_worker). It has no tenant_id on purpose: one
-- of the explicit exceptions to "every table is a tenant table".
--
-- TTL: settings, with defaults, read at write time:
--   motovault.vin_cache_ttl_days           (default 30) decoded VINs
--   motovault.vin_cache_negative_ttl_days  (default 1)  VINs the decoder did not find
-- e.g. alter database motovault set motovault.vin_cache_ttl_days = 60;

begin;

set local lock_timeout = '5s';

create or replace function app.vin_setting(name text, fallback integer)
returns integer
language sql
stable
parallel safe
as $$
    select coalesce(nullif(current_setting('motovault.' || name, true), '')::integer, fallback)
$$;
comment on function app.vin_setting(text, integer) is
    'An integer setting motovault.<name> (GUC: set per database, role or session), or fallback when unset.';

create or replace function app.vin_cache_ttl(decoded boolean)
returns interval
language sql
stable
parallel safe
as $$
    select make_interval(days => case
        when decoded then app.vin_setting('vin_cache_ttl_days', 30)
        else app.vin_setting('vin_cache_negative_ttl_days', 1)
    end)
$$;
comment on function app.vin_cache_ttl(boolean) is
    'How long a cache row stays fresh: motovault.vin_cache_ttl_days (default 30) for decoded VINs, motovault.vin_cache_negative_ttl_days (default 1) for negative entries.';

create table app.vin_cache (
    vin text not null,
    decoded boolean not null,
    make text,
    model text,
    year integer,
    trim text,
    body_class text,
    vehicle_type text,
    fuel_types text[] not null default '{}',
    engine_cylinders integer,
    engine_displacement_l numeric,
    engine_power_kw numeric,
    engine_power_hp numeric,
    drive_type text,
    manufacturer text,
    plant_country text,
    error_codes integer[] not null default '{}',
    error_texts text[] not null default '{}',
    raw_data jsonb compression lz4 not null default '{}',
    source text not null,
    data_version text,
    -- MotoVaultPro's vin_cache columns, derived from the normalized ones
    engine_type text generated always as (
        nullif(btrim(
            coalesce(engine_cylinders::text || ' cyl ', '')
            || coalesce(round(engine_displacement_l, 1)::text || ' L', '')
        ), '')
    ) stored,
    body_type text generated always as (body_class) stored,
    cached_at timestamptz not null default now(),
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint vin_cache_pkey primary key (vin),
    constraint vin_cache_vin_shape check (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
    constraint vin_cache_source_known check (source in ('offline', 'vpic')),
    constraint vin_cache_negative_entry_empty check (decoded or (make is null and model is null and year is null)),
    constraint vin_cache_decoded_has_make check (not decoded or make is not null),
    constraint vin_cache_year_in_range check (year is null or year between 1886 and 2200),
    constraint vin_cache_expires_after_cached check (expires_at > cached_at),
    constraint vin_cache_raw_data_object check (jsonb_typeof(raw_data) = 'object')
);
comment on table app.vin_cache is
    'Decoded VINs, one row per VIN, shared by all tenants (not tenant-scoped). decoded = false is a negative entry (the decoder did not find the VIN) with a shorter TTL. Readable only by the owner role and vin_worker: which VINs exist is personal.';
comment on column app.vin_cache.decoded is 'true: the decoder found the vehicle (make known); false: negative entry.';
comment on column app.vin_cache.raw_data is 'Every attribute the decoder returned, unchanged.';
comment on column app.vin_cache.source is 'offline (ultravin, embedded vPIC database) or vpic (the NHTSA REST API).';
comment on column app.vin_cache.data_version is 'Decoder and data release, e.g. "ultravin 3.0.2, vPIC 2026_10".';
comment on column app.vin_cache.expires_at is 'cached_at + app.vin_cache_ttl(decoded); the row is stale afterwards and purge_vin_cache() deletes it.';
select app.distribute_table('app.vin_cache', 'local');

create index vin_cache_expires_at_idx on app.vin_cache (expires_at);

create or replace function app.purge_vin_cache()
returns bigint
language plpgsql
as $$
declare
    purged bigint;
begin
    delete from app.vin_cache where expires_at <= now();
    get diagnostics purged = row_count;
    return purged;
end
$$;
comment on function app.purge_vin_cache() is
    'Deletes expired rows of app.vin_cache (positive and negative entries); returns how many. Owner role and vin_worker.';

-- the worker's role writes the cache; the owner role (which runs the worker
-- in the local stack, then `set role vin_worker`) must be a member
grant select, insert, update, delete on app.vin_cache to vin_worker;
grant execute on function app.vin_setting(text, integer), app.vin_cache_ttl(boolean), app.purge_vin_cache() to vin_worker;
select format('grant vin_worker to %I', current_user)
where not pg_has_role(current_user, 'vin_worker', 'member')
\gexec

commit;
