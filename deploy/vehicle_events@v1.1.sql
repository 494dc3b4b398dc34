-- Deploy motovault:vehicle_events to pg
-- requires: vehicles
-- requires: helpers
--
-- The append-only event stream of every vehicle.
--
--   * app.vehicle_events is partitioned by month on occurred_at. A primary key of a
--     partitioned table must contain the partition key, so it is (tenant_id, id, occurred_at),
--     not (tenant_id, id). ids are uuid v7 made by the database; the insert trigger refuses an id
--     that exists in another month (409), but cannot see a concurrent insert of the same id.
--   * Monthly partitions are created ahead by app.ensure_vehicle_event_partitions(), called
--     here on deploy and by the maintenance job (`motovault`/cron, as the owner role); a DEFAULT
--     partition takes any row no monthly partition covers, so no insert fails for lack of one.
--     The function moves such rows out of the default partition when it creates their month.
--   * UPDATE and DELETE are refused: no grant to any API role, and a trigger that refuses them
--     for everybody (only a cascade from a hard-deleted vehicle or tenant removes events).
--     A correction is a new event with voids_event_id naming the event it replaces; the
--     voided event stays and is listed in app.vehicle_event_voids (one voiding per event).
--   * payload is validated per type in the database: app.vehicle_event_payload_problem()
--     checks required keys, JSON types, ranges and enums and rejects unknown keys.
--   * No deleted_at: events are never soft-deleted (a void event retracts one).
--   * every partition gets extended statistics "vehicle implies tenant" (functional dependency
--     vehicle_id => tenant_id): without them the planner multiplies the selectivity of the tenant
--     policy by that of vehicle_id and misjudges one vehicle's history (bench/events.py).

begin;

set local lock_timeout = '5s';

create or replace function app.vehicle_event_types()
returns text[]
language sql
immutable
parallel safe
as $$
    select array['odometer', 'odometer_reset', 'fuel', 'maintenance', 'note', 'document', 'photo',
                 'registration', 'inspection', 'void']
$$;
comment on function app.vehicle_event_types() is 'The event types vehicle_events accepts.';

create or replace function app.vehicle_event_payload_spec(event_type text)
returns jsonb
language sql
immutable
parallel safe
as $$
    -- per type: key -> {type: string|number|integer|boolean|uuid|date|currency, required, min, max,
    -- max_length, enum}
    select case event_type
        when 'odometer' then '{
            "source": {"type": "string", "enum": ["manual", "obd", "import", "fuel_log", "maintenance", "service"]},
            "comment": {"type": "string", "max_length": 500}}'
        when 'odometer_reset' then '{
            "reason": {"type": "string", "required": true, "enum": ["cluster_replaced", "rollover", "unit_changed", "other"]},
            "previous_reading": {"type": "number", "min": 0, "max": 10000000},
            "comment": {"type": "string", "max_length": 500}}'
        when 'fuel' then '{
            "fuel_log_id": {"type": "uuid"},
            "fuel_type": {"type": "string", "enum": ["gasoline", "diesel", "e85", "biodiesel", "lpg", "cng", "hydrogen", "electric", "other"]},
            "volume": {"type": "number", "required": true, "min": 0.001, "max": 1000000},
            "volume_unit": {"type": "string", "required": true, "enum": ["l", "gal_us", "gal_imp", "kwh", "kg"]},
            "fill_type": {"type": "string", "enum": ["full", "partial", "missed"]},
            "missed_previous": {"type": "boolean"},
            "total_cost": {"type": "number", "min": 0, "max": 10000000000},
            "currency": {"type": "currency"}}'
        when 'maintenance' then '{
            "maintenance_id": {"type": "uuid"},
            "category": {"type": "string", "required": true, "max_length": 100},
            "description": {"type": "string", "max_length": 2000},
            "total_cost": {"type": "number", "min": 0, "max": 10000000000},
            "currency": {"type": "currency"}}'
        when 'note' then '{
            "text": {"type": "string", "required": true, "max_length": 10000}}'
        when 'document' then '{
            "title": {"type": "string", "required": true, "max_length": 200},
            "kind": {"type": "string", "enum": ["invoice", "receipt", "insurance", "manual", "title", "other"]},
            "storage_key": {"type": "string", "max_length": 1024}}'
        when 'photo' then '{
            "image_id": {"type": "uuid", "required": true},
            "caption": {"type": "string", "max_length": 500}}'
        when 'registration' then '{
            "expires_on": {"type": "date", "required": true},
            "region": {"type": "string", "max_length": 100},
            "cost": {"type": "number", "min": 0, "max": 100000},
            "currency": {"type": "currency"}}'
        when 'inspection' then '{
            "result": {"type": "string", "required": true, "enum": ["pass", "fail", "advisory"]},
            "expires_on": {"type": "date"},
            "comment": {"type": "string", "max_length": 2000}}'
        when 'void' then '{
            "reason": {"type": "string", "required": true, "max_length": 500}}'
    end::jsonb
$$;
comment on function app.vehicle_event_payload_spec(text) is
    'The payload rules of an event type: for each allowed key its JSON type (string, number, integer, boolean, uuid, date, currency), whether it is required, and min/max, max_length or enum. NULL for an unknown type.';

create or replace function app.vehicle_event_payload_problem(event_type text, payload jsonb)
returns text
language plpgsql
immutable
parallel safe
as $$
declare
    spec jsonb := app.vehicle_event_payload_spec(event_type);
    rule jsonb;
    k text;
    v jsonb;
    kind text;
    num numeric;
begin
    if spec is null then
        return null;  -- the type check reports unknown types
    end if;
    if payload is null or jsonb_typeof(payload) <> 'object' then
        return format('payload: must be a JSON object, got %s', coalesce(jsonb_typeof(payload), 'null'));
    end if;
    for k in select jsonb_object_keys(payload) order by 1 loop
        if not spec ? k then
            return format('payload.%s: unknown key for %s events (allowed: %s)',
                k, event_type, (select string_agg(s, ', ' order by s) from jsonb_object_keys(spec) as s));
        end if;
    end loop;
    for k, rule in select key, value from jsonb_each(spec) order by key loop
        v := payload -> k;
        if v is null or jsonb_typeof(v) = 'null' then
            if coalesce((rule ->> 'required')::boolean, false) then
                return format('payload.%s: required for %s events', k, event_type);
            end if;
            continue;
        end if;
        kind := rule ->> 'type';
        if kind in ('string', 'uuid', 'date', 'currency') and jsonb_typeof(v) <> 'string' then
            return format('payload.%s: must be a string (%s), got %s', k, kind, jsonb_typeof(v));
        elsif kind in ('number', 'integer') and jsonb_typeof(v) <> 'number' then
            return format('payload.%s: must be a number, got %s', k, jsonb_typeof(v));
        elsif kind = 'boolean' and jsonb_typeof(v) <> 'boolean' then
            return format('payload.%s: must be true or false, got %s', k, jsonb_typeof(v));
        end if;
        if kind = 'integer' and (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric) then
            return format('payload.%s: must be a whole number, got %s', k, v #>> '{}');
        end if;
        if kind in ('number', 'integer') then
            num := (v #>> '{}')::numeric;
            if rule ? 'min' and num < (rule ->> 'min')::numeric then
                return format('payload.%s: must be at least %s, got %s', k, rule ->> 'min', num);
            end if;
            if rule ? 'max' and num > (rule ->> 'max')::numeric then
                return format('payload.%s: must be at most %s, got %s', k, rule ->> 'max', num);
            end if;
        end if;
        if kind = 'uuid'
           and (v #>> '{}') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
            return format('payload.%s: must be a UUID, got %s', k, v #>> '{}');
        end if;
        if kind = 'date' then
            if (v #>> '{}') !~ '^\d{4}-\d{2}-\d{2}$' or not app.is_date_text(v #>> '{}') then
                return format('payload.%s: must be a date YYYY-MM-DD, got %s', k, v #>> '{}');
            end if;
        end if;
        if kind = 'currency' and (v #>> '{}') !~ '^[A-Z]{3}$' then
            return format('payload.%s: must be an ISO 4217 code of three capital letters, got %s', k, v #>> '{}');
        end if;
        if kind = 'string' then
            if btrim(v #>> '{}') = '' then
                return format('payload.%s: must not be blank', k);
            end if;
            if rule ? 'max_length' and char_length(v #>> '{}') > (rule ->> 'max_length')::integer then
                return format('payload.%s: at most %s characters, got %s', k, rule ->> 'max_length', char_length(v #>> '{}'));
            end if;
            if rule ? 'enum' and not (rule -> 'enum') ? (v #>> '{}') then
                return format('payload.%s: must be one of %s, got %s',
                    k, (select string_agg(e, ', ') from jsonb_array_elements_text(rule -> 'enum') as e), v #>> '{}');
            end if;
        end if;
    end loop;
    return null;
end
$$;
comment on function app.vehicle_event_payload_problem(text, jsonb) is
    'Why a payload is not valid for an event type (message starts with payload.<key>), or NULL when it is: required keys, JSON types, ranges, enums; unknown keys are rejected.';


-- the stream ------------------------------------------------------------------------------------

create table app.vehicle_events (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    type text not null,
    occurred_at timestamptz not null default now(),
    odometer numeric(10, 1),
    odometer_unit text,
    payload jsonb not null default '{}',
    voids_event_id uuid,
    source_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint vehicle_events_pkey primary key (tenant_id, id, occurred_at),
    -- the same list as app.vehicle_event_types(), spelled out: a function call without arguments
    -- in a CHECK is folded by the planner as the querying role (analyst has no EXECUTE on app)
    constraint vehicle_events_type_known check (type in ('odometer', 'odometer_reset', 'fuel', 'maintenance', 'note',
        'document', 'photo', 'registration', 'inspection', 'void')),
    constraint vehicle_events_payload_valid check (app.vehicle_event_payload_problem(type, payload) is null),
    constraint vehicle_events_odometer_range check (odometer >= 0 and odometer <= 10000000),
    constraint vehicle_events_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint vehicle_events_odometer_unit_with_reading check ((odometer is null) = (odometer_unit is null)),
    constraint vehicle_events_odometer_events_have_reading
        check (type not in ('odometer', 'odometer_reset') or odometer is not null),
    constraint vehicle_events_void_names_event check (type <> 'void' or voids_event_id is not null),
    constraint vehicle_events_not_voiding_itself check (voids_event_id <> id),
    constraint vehicle_events_occurred_at_sane
        check (occurred_at >= '1886-01-01' and occurred_at < '2200-01-01')
) partition by range (occurred_at);
comment on table app.vehicle_events is
    'Append-only event stream of vehicles, partitioned by month on occurred_at (primary key (tenant_id, id, occurred_at) because it must contain the partition key). No UPDATE, no DELETE, no soft delete: a correction is a new event whose voids_event_id names the event it replaces.';
comment on column app.vehicle_events.source_id is 'The row that emitted the event (a fuel log or maintenance record), when a trigger wrote it.';
select app.distribute_table('app.vehicle_events', 'tenant');
alter table app.vehicle_events
    add constraint vehicle_events_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint vehicle_events_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;

create table app.vehicle_events_default partition of app.vehicle_events default;
comment on table app.vehicle_events_default is
    'Events no monthly partition covers; app.ensure_vehicle_event_partitions() moves them into their month when it creates it.';

-- timeline: one vehicle, newest first
create index vehicle_events_timeline_idx on app.vehicle_events (tenant_id, vehicle_id, occurred_at desc, id desc);
-- fleet figures per tenant and month
create index vehicle_events_tenant_time_idx on app.vehicle_events (tenant_id, occurred_at);
create index vehicle_events_source_idx on app.vehicle_events (tenant_id, source_id) where source_id is not null;

-- which events are voided, by which event: one small unpartitioned lookup (one probe per row)
create table app.vehicle_event_voids (
    tenant_id uuid not null,
    voided_event_id uuid not null,
    voided_occurred_at timestamptz not null,
    vehicle_id uuid not null,
    voiding_event_id uuid not null,
    voiding_occurred_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint vehicle_event_voids_pkey primary key (tenant_id, voided_event_id)
);
comment on table app.vehicle_event_voids is
    'Voided events and the event that voided each (written by the insert trigger of vehicle_events; an event is voided at most once). Append-only like the stream.';
select app.distribute_table('app.vehicle_event_voids', 'tenant');
alter table app.vehicle_event_voids
    add constraint vehicle_event_voids_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint vehicle_event_voids_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint vehicle_event_voids_voided_fk foreign key (tenant_id, voided_event_id, voided_occurred_at)
        references app.vehicle_events (tenant_id, id, occurred_at) on delete cascade,
    add constraint vehicle_event_voids_voiding_fk foreign key (tenant_id, voiding_event_id, voiding_occurred_at)
        references app.vehicle_events (tenant_id, id, occurred_at) on delete cascade;
create index vehicle_event_voids_vehicle_idx on app.vehicle_event_voids (tenant_id, vehicle_id);
create index vehicle_event_voids_voiding_idx on app.vehicle_event_voids (tenant_id, voiding_event_id, voiding_occurred_at);
create index vehicle_event_voids_voided_idx on app.vehicle_event_voids (tenant_id, voided_event_id, voided_occurred_at);

-- rules -------------------------------------------------------------------------------------------

create or replace function app.tg_vehicle_events_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
    voided record;
begin
    if not new.type = any (app.vehicle_event_types()) then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicle_events_type_known',
            column = 'type',
            message = format('type: must be one of %s, got %s', array_to_string(app.vehicle_event_types(), ', '), coalesce(new.type, 'null')),
            hint = 'The payload rules of each type are described on api.vehicle_events.';
    end if;
    new.payload := coalesce(new.payload, '{}'::jsonb);
    problem := app.vehicle_event_payload_problem(new.type, new.payload);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicle_events_payload_valid',
            column = 'payload',
            message = problem,
            detail = format('payload rules of %s events: %s', new.type, app.vehicle_event_payload_spec(new.type)),
            hint = 'Send only the keys listed for the type, with the JSON types and ranges given.';
    end if;
    -- the primary key includes occurred_at (partitioning), so it cannot refuse an id reused in
    -- another month: look it up (one probe per partition; database-made uuid v7 ids never collide,
    -- two concurrent inserts of the same client-made id in different months are not caught)
    if exists (
        select from app.vehicle_events as e
        where e.tenant_id = coalesce(new.tenant_id, app.current_tenant_id())
          and e.id = new.id
          and e.occurred_at <> new.occurred_at  -- same occurred_at: the primary key (and ON CONFLICT) handle it
    ) then
        raise exception using
            errcode = 'unique_violation',
            constraint = 'vehicle_events_pkey',
            column = 'id',
            message = format('id: event %s exists already', new.id),
            hint = 'Leave id out: the database makes one.';
    end if;
    if new.odometer is not null and new.odometer_unit is null then
        select v.odometer_unit into new.odometer_unit
        from app.vehicles as v
        where v.tenant_id = coalesce(new.tenant_id, app.current_tenant_id()) and v.id = new.vehicle_id;
    end if;
    if new.voids_event_id is not null then
        select e.tenant_id, e.id, e.vehicle_id, e.occurred_at into voided
        from app.vehicle_events as e
        where e.tenant_id = coalesce(new.tenant_id, app.current_tenant_id())
          and e.id = new.voids_event_id;
        if not found then
            raise exception using
                errcode = 'foreign_key_violation',
                constraint = 'vehicle_events_voids_existing_event',
                column = 'voids_event_id',
                message = format('voids_event_id: no event %s in this tenant', new.voids_event_id),
                hint = 'Name an event of the same vehicle listed by vehicle_timeline.';
        end if;
        if voided.vehicle_id <> new.vehicle_id then
            raise exception using
                errcode = 'check_violation',
                constraint = 'vehicle_events_voids_same_vehicle',
                column = 'voids_event_id',
                message = format('voids_event_id: event %s belongs to another vehicle', new.voids_event_id),
                hint = 'A correction voids an event of the same vehicle.';
        end if;
        if exists (
            select from app.vehicle_event_voids as x
            where x.tenant_id = voided.tenant_id and x.voided_event_id = voided.id
        ) then
            raise exception using
                errcode = 'unique_violation',
                constraint = 'vehicle_event_voids_pkey',
                column = 'voids_event_id',
                message = format('voids_event_id: event %s is already voided', new.voids_event_id),
                hint = 'Void the event that replaced it instead.';
        end if;
    end if;
    return new;
end
$$;
comment on function app.tg_vehicle_events_prepare() is
    'BEFORE INSERT on vehicle_events (_200_prepare): explains an unknown type or an invalid payload (message names the payload key), fills odometer_unit from the vehicle, checks that voids_event_id names a live event of the same vehicle.';
create trigger _200_prepare before insert on app.vehicle_events
    for each row execute function app.tg_vehicle_events_prepare();

create or replace function app.tg_vehicle_events_record_void()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into app.vehicle_event_voids
        (tenant_id, voided_event_id, voided_occurred_at, vehicle_id, voiding_event_id, voiding_occurred_at, created_by, updated_by)
    select e.tenant_id, e.id, e.occurred_at, e.vehicle_id, new.id, new.occurred_at, new.created_by, new.created_by
    from app.vehicle_events as e
    where e.tenant_id = new.tenant_id
      and e.id = new.voids_event_id;
    return null;
end
$$;
comment on function app.tg_vehicle_events_record_void() is
    'AFTER INSERT on vehicle_events: records in vehicle_event_voids that the new event voids voids_event_id (its primary key refuses a second voiding: 409).';
create trigger _400_record_void after insert on app.vehicle_events
    for each row when (new.voids_event_id is not null) execute function app.tg_vehicle_events_record_void();

create or replace function app.tg_refuse_change()
returns trigger
language plpgsql
as $$
begin
    if tg_op = 'DELETE' and pg_trigger_depth() > 1 then
        return old;  -- a cascade from a hard-deleted vehicle or tenant (purge)
    end if;
    raise exception using
        errcode = 'insufficient_privilege',
        constraint = tg_argv[0] || '_append_only',
        message = format('%s: events are append-only, %s is refused', tg_argv[0], lower(tg_op)),
        hint = 'Record a correction: a new event whose voids_event_id names the event it replaces (type void to only retract it).';
end
$$;
comment on function app.tg_refuse_change() is
    'BEFORE UPDATE OR DELETE trigger of the event tables (argument: the table name for the message): refuses every change (403) except a cascade from a purged vehicle or tenant.';
create trigger _100_append_only before update or delete on app.vehicle_events
    for each row execute function app.tg_refuse_change('vehicle_events');
create trigger _100_append_only before update or delete on app.vehicle_event_voids
    for each row execute function app.tg_refuse_change('vehicle_event_voids');

-- tenant rules: read for members; insert for writers (no update policy, no update grant)
select app.enable_tenant_rules('app.vehicle_events', api_writes => false);
create policy vehicle_events_writers_insert on app.vehicle_events
    for insert to app_user
    with check (tenant_id = app.current_tenant_id() and app.current_member_can_write());
grant insert on app.vehicle_events to app_user;

select app.enable_tenant_rules('app.vehicle_event_voids', api_writes => false);


-- partitions ------------------------------------------------------------------------------------

create or replace function app.ensure_vehicle_event_statistics()
returns setof text
language plpgsql
as $$
declare
    part regclass;
    stat text;
begin
    for part in
        select i.inhrelid::regclass
        from pg_inherits as i
        where i.inhparent = 'app.vehicle_events'::regclass
        order by 1
    loop
        stat := (select c.relname from pg_class as c where c.oid = part) || '_vehicle_implies_tenant';
        if not exists (
            select from pg_statistic_ext as s
            where s.stxrelid = part
              and s.stxnamespace = 'app'::regnamespace
              and s.stxname = stat
        ) then
            execute format('create statistics app.%I (dependencies) on tenant_id, vehicle_id from %s', stat, part);
            execute format('comment on statistics app.%I is %L', stat,
                'vehicle_id determines tenant_id: lets the planner estimate one vehicle''s events under the tenant policy');
            execute format('analyze %s', part);
            return next 'app.' || stat;
        end if;
    end loop;
end
$$;
comment on function app.ensure_vehicle_event_statistics() is
    'Creates the extended statistics <partition>_vehicle_implies_tenant (dependencies on tenant_id, vehicle_id) on every partition of app.vehicle_events that lacks them and analyzes that partition; returns the statistics created. Called on deploy and by app.ensure_vehicle_event_partitions().';

create or replace function app.ensure_vehicle_event_partitions(
    start_month date default null,
    months_ahead integer default 6
)
returns setof text
language plpgsql
as $$
declare
    first_month date := date_trunc('month', coalesce(start_month, current_date))::date;
    last_month date := greatest(
        date_trunc('month', coalesce(start_month, current_date))::date,
        (date_trunc('month', current_date) + make_interval(months => coalesce(months_ahead, 0)))::date);
    month date;
    part text;
    moved bigint;
begin
    if months_ahead is null or months_ahead < 0 or months_ahead > 120 then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('months_ahead: must be between 0 and 120, got %s', months_ahead);
    end if;
    month := first_month;
    while month <= last_month loop
        part := format('vehicle_events_p%s', to_char(month, 'YYYY_MM'));
        if to_regclass('app.' || part) is null then
            perform 1 from app.vehicle_events_default
            where occurred_at >= month and occurred_at < month + interval '1 month'
            limit 1;
            if found then
                -- rows of this month wait in the default partition: move them (no row triggers
                -- fire: they are already validated, stamped and audited)
                alter table app.vehicle_events detach partition app.vehicle_events_default;
                execute format('create table app.%I (like app.vehicle_events including defaults including constraints)', part);
                execute format(
                    'insert into app.%I select * from app.vehicle_events_default where occurred_at >= $1 and occurred_at < $2',
                    part) using month, (month + interval '1 month');
                get diagnostics moved = row_count;
                delete from app.vehicle_events_default
                where occurred_at >= month and occurred_at < month + interval '1 month';
                execute format(
                    'alter table app.vehicle_events attach partition app.%I for values from (%L) to (%L)',
                    part, month, (month + interval '1 month')::date);
                alter table app.vehicle_events attach partition app.vehicle_events_default default;
                raise notice 'created app.% and moved % rows into it from the default partition', part, moved;
            else
                execute format(
                    'create table app.%I partition of app.vehicle_events for values from (%L) to (%L)',
                    part, month, (month + interval '1 month')::date);
            end if;
            execute format('comment on table app.%I is %L', part, format('vehicle_events of %s', to_char(month, 'YYYY-MM')));
            return next 'app.' || part;
        end if;
        month := (month + interval '1 month')::date;
    end loop;
    -- the planner's "vehicle implies tenant" statistics, on the new partitions too
    perform app.ensure_vehicle_event_statistics();
end
$$;
comment on function app.ensure_vehicle_event_partitions(date, integer) is
    'Creates the monthly partitions of app.vehicle_events from start_month (default: this month) to months_ahead months ahead (default 6), or just start_month''s month when that is later, that do not exist yet, moving rows of those months out of the default partition; returns the partitions created. Called on deploy and by the maintenance job (owner role), e.g. daily: select app.ensure_vehicle_event_partitions();';

-- two years back (history being imported) and a year ahead
do $$
begin
    perform app.ensure_vehicle_event_partitions((date_trunc('month', current_date) - interval '24 months')::date, 12);
end
$$;

-- API ---------------------------------------------------------------------------------------------

create or replace view api.vehicle_events
with (security_invoker = true)
as
select
    e.tenant_id,
    e.id,
    e.vehicle_id,
    e.type,
    e.occurred_at,
    e.odometer,
    e.odometer_unit,
    e.payload,
    e.voids_event_id,
    (
        select x.voiding_event_id
        from app.vehicle_event_voids as x
        where x.tenant_id = e.tenant_id
          and x.voided_event_id = e.id
    ) as voided_by_event_id,
    e.source_id,
    e.created_at,
    e.created_by
from app.vehicle_events as e;
comment on view api.vehicle_events is $$Append-only event stream of the active tenant's vehicles. POST adds an event; PATCH and DELETE are refused (403). A correction is a new event whose voids_event_id names the event it replaces (type void only retracts it); voided events show voided_by_event_id.
Types and payload keys (* required; unknown keys are refused):
odometer: source (manual|obd|import|fuel_log|maintenance|service), comment; odometer required.
odometer_reset: reason* (cluster_replaced|rollover|unit_changed|other), previous_reading (number >= 0), comment; odometer required.
fuel: volume* (> 0), volume_unit* (l|gal_us|gal_imp|kwh|kg), fuel_type, fill_type (full|partial|missed), missed_previous (boolean), total_cost, currency (ISO 4217), fuel_log_id.
maintenance: category*, description, total_cost, currency, maintenance_id.
note: text*. document: title*, kind, storage_key. photo: image_id* (uuid), caption.
registration: expires_on* (YYYY-MM-DD), region, cost, currency. inspection: result* (pass|fail|advisory), expires_on, comment.
void: reason*; voids_event_id required.$$;
comment on column api.vehicle_events.type is 'odometer, odometer_reset, fuel, maintenance, note, document, photo, registration, inspection or void.';
comment on column api.vehicle_events.occurred_at is 'When it happened (default now).';
comment on column api.vehicle_events.odometer is 'Odometer reading at the event (0..10,000,000), in odometer_unit (defaults to the vehicle''s unit).';
comment on column api.vehicle_events.payload is 'Type-specific details, validated per type (see the view description).';
comment on column api.vehicle_events.voids_event_id is 'The event this one corrects or retracts (same vehicle; an event is voided once).';
comment on column api.vehicle_events.voided_by_event_id is 'Set when a later event voided this one.';
comment on column api.vehicle_events.source_id is 'The fuel log or maintenance record that emitted the event.';

grant select, insert on api.vehicle_events to app_user;

grant execute on function
    app.vehicle_event_types(), app.vehicle_event_payload_spec(text), app.vehicle_event_payload_problem(text, jsonb)
    to app_user;

commit;
