-- Revert motovault:vehicle_events from pg: back to its @v1.2 definition
--
-- app.vehicle_event_payload_problem() gets its @v1.1 body back (copied from
-- deploy/vehicle_events@v1.1.sql), the fast check goes, _200_prepare and _500_stamp fire on every row.

begin;

set local lock_timeout = '5s';

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

drop function app.vehicle_event_payload_fast_ok(text, jsonb);

drop trigger _200_prepare on app.vehicle_events;
create trigger _200_prepare before insert on app.vehicle_events
    for each row execute function app.tg_vehicle_events_prepare();

drop trigger _500_stamp on app.vehicle_events;
create trigger _500_stamp before insert or update on app.vehicle_events
    for each row execute function app.tg_stamp_row('tenant', 'app_user');

commit;
