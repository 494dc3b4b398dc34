-- Deploy motovault:vehicle_events to pg
-- requires: vehicles
-- requires: helpers
--
-- Reworked after @v1.2 for bulk writes (docs/bulk.md): what every source event (a fill-up's, a
-- service's, a reading's) cost per row, without dropping a rule.
--   * The CHECK vehicle_events_payload_valid calls app.vehicle_event_payload_problem() on every
--     row; it walked the type's rules with two queries per call (~60 us a row). It now first asks
--     app.vehicle_event_payload_fast_ok(), one plain expression per type the source triggers write
--     (fuel, odometer, odometer_reset, maintenance, void) that is true only for payloads the rules
--     accept; anything else (and every other type) takes the full walk, which names the key.
--     tests/pgtap/vehicle_event_payload_fast.sql holds the two to each other.
--   * _200_prepare and _500_stamp get a WHEN clause that skips the call for events another
--     trigger writes (pg_trigger_depth() > 0) when the call would change nothing: _200_prepare
--     for a known type, a payload, the unit of its reading and nothing voided (a trigger's event
--     gets no payload explanation, the CHECK validates it); _500_stamp for a row written by the
--     owner role's code (SECURITY DEFINER triggers: the API role's own triggers run as app_user
--     and are stamped) that carries its tenant and its stamp (created and updated now, by the
--     same user), as the source events do: they stamp their events with the user who wrote the
--     source rows. Updates never reach _500_stamp here: _100_append_only refuses them first.
--     The WHEN clauses call no SQL function: PostgreSQL prepares them for every partition a
--     statement writes, and an inlined SQL function is parsed each time.

begin;

set local lock_timeout = '5s';

create or replace function app.vehicle_event_payload_fast_ok(event_type text, payload jsonb)
returns boolean
language sql
immutable
parallel safe
as $$
    -- true only when app.vehicle_event_payload_spec(event_type) accepts payload: a plain expression
    -- (no query, inlined where it is called) for the types the source triggers write
    select coalesce(jsonb_typeof(payload) = 'object' and case event_type
        when 'fuel' then
            payload - '{fuel_log_id,fuel_type,volume,volume_unit,fill_type,missed_previous,total_cost,currency}'::text[] = '{}'::jsonb
            and jsonb_typeof(payload -> 'volume') = 'number'
            and (payload ->> 'volume')::numeric between 0.001 and 1000000
            and jsonb_typeof(payload -> 'volume_unit') = 'string'
            and payload ->> 'volume_unit' in ('l', 'gal_us', 'gal_imp', 'kwh', 'kg')
            and (payload -> 'fuel_log_id' is null
                 or (jsonb_typeof(payload -> 'fuel_log_id') = 'string'
                     and payload ->> 'fuel_log_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'))
            and (payload -> 'fuel_type' is null
                 or (jsonb_typeof(payload -> 'fuel_type') = 'string'
                     and payload ->> 'fuel_type' in ('gasoline', 'diesel', 'e85', 'biodiesel', 'lpg', 'cng', 'hydrogen', 'electric', 'other')))
            and (payload -> 'fill_type' is null
                 or (jsonb_typeof(payload -> 'fill_type') = 'string' and payload ->> 'fill_type' in ('full', 'partial', 'missed')))
            and (payload -> 'missed_previous' is null or jsonb_typeof(payload -> 'missed_previous') = 'boolean')
            and (payload -> 'total_cost' is null
                 or (jsonb_typeof(payload -> 'total_cost') = 'number'
                     and (payload ->> 'total_cost')::numeric between 0 and 10000000000))
            and (payload -> 'currency' is null
                 or (jsonb_typeof(payload -> 'currency') = 'string' and payload ->> 'currency' ~ '^[A-Z]{3}$'))
        when 'odometer' then
            payload - '{source,comment}'::text[] = '{}'::jsonb
            and (payload -> 'source' is null
                 or (jsonb_typeof(payload -> 'source') = 'string'
                     and payload ->> 'source' in ('manual', 'obd', 'import', 'fuel_log', 'maintenance', 'service')))
            and (payload -> 'comment' is null
                 or (jsonb_typeof(payload -> 'comment') = 'string' and btrim(payload ->> 'comment') <> ''
                     and char_length(payload ->> 'comment') <= 500))
        when 'odometer_reset' then
            payload - '{reason,previous_reading,comment}'::text[] = '{}'::jsonb
            and jsonb_typeof(payload -> 'reason') = 'string'
            and payload ->> 'reason' in ('cluster_replaced', 'rollover', 'unit_changed', 'other')
            and (payload -> 'previous_reading' is null
                 or (jsonb_typeof(payload -> 'previous_reading') = 'number'
                     and (payload ->> 'previous_reading')::numeric between 0 and 10000000))
            and (payload -> 'comment' is null
                 or (jsonb_typeof(payload -> 'comment') = 'string' and btrim(payload ->> 'comment') <> ''
                     and char_length(payload ->> 'comment') <= 500))
        when 'maintenance' then
            payload - '{maintenance_id,category,description,total_cost,currency}'::text[] = '{}'::jsonb
            and jsonb_typeof(payload -> 'category') = 'string' and btrim(payload ->> 'category') <> ''
            and char_length(payload ->> 'category') <= 100
            and (payload -> 'maintenance_id' is null
                 or (jsonb_typeof(payload -> 'maintenance_id') = 'string'
                     and payload ->> 'maintenance_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'))
            and (payload -> 'description' is null
                 or (jsonb_typeof(payload -> 'description') = 'string' and btrim(payload ->> 'description') <> ''
                     and char_length(payload ->> 'description') <= 2000))
            and (payload -> 'total_cost' is null
                 or (jsonb_typeof(payload -> 'total_cost') = 'number'
                     and (payload ->> 'total_cost')::numeric between 0 and 10000000000))
            and (payload -> 'currency' is null
                 or (jsonb_typeof(payload -> 'currency') = 'string' and payload ->> 'currency' ~ '^[A-Z]{3}$'))
        when 'void' then
            payload - '{reason}'::text[] = '{}'::jsonb
            and jsonb_typeof(payload -> 'reason') = 'string' and btrim(payload ->> 'reason') <> ''
            and char_length(payload ->> 'reason') <= 500
    end, false)
$$;
comment on function app.vehicle_event_payload_fast_ok(text, jsonb) is
    'True only when app.vehicle_event_payload_problem() finds nothing: one expression per event type written by the source triggers (fuel, odometer, odometer_reset, maintenance, void); false for every other type and for anything it does not accept outright (the full check then decides and names the key).';

create or replace function app.vehicle_event_payload_problem(event_type text, payload jsonb)
returns text
language plpgsql
immutable
parallel safe
as $$
declare
    spec jsonb;
    rule jsonb;
    k text;
    v jsonb;
    kind text;
    num numeric;
begin
    -- what the source triggers write passes the plain expression, without a query per key
    if app.vehicle_event_payload_fast_ok(event_type, payload) then
        return null;
    end if;
    spec := app.vehicle_event_payload_spec(event_type);
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
    'Why a payload is not valid for an event type (message starts with payload.<key>), or NULL when it is: required keys, JSON types, ranges, enums; unknown keys are rejected. Payloads that app.vehicle_event_payload_fast_ok() accepts return NULL without walking the rules.';

drop trigger _200_prepare on app.vehicle_events;
create trigger _200_prepare before insert on app.vehicle_events
    for each row
    when (not (pg_trigger_depth() > 0
               and new.type in ('odometer', 'odometer_reset', 'fuel', 'maintenance', 'note', 'document', 'photo',
                                'registration', 'inspection', 'void')
               and new.payload is not null
               and (new.odometer is null or new.odometer_unit is not null)
               and new.voids_event_id is null))
    execute function app.tg_vehicle_events_prepare();

drop trigger _500_stamp on app.vehicle_events;
create trigger _500_stamp before insert or update on app.vehicle_events
    for each row
    when (not (pg_trigger_depth() > 0
               and current_user <> 'app_user'
               and new.tenant_id is not null
               and new.created_at = now()
               and new.updated_at = now()
               and new.created_by is not null
               and new.updated_by = new.created_by))
    execute function app.tg_stamp_row('tenant', 'app_user');

grant execute on function app.vehicle_event_payload_fast_ok(text, jsonb) to app_user;

commit;
