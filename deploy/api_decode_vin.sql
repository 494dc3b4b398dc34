-- Deploy motovault:api_decode_vin to pg
-- requires: vin_decode_queue
--
-- api.decode_vin(vin): the cached decode, the validation error, or queued for the worker.

begin;

set local lock_timeout = '5s';

create or replace function api.decode_vin(vin text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v text := nullif(app.vin_normalize(decode_vin.vin), '');
    problem text := app.vin_problem(v);
    c record;
begin
    if v is null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vin_required',
            column = 'vin',
            message = 'vin: required',
            hint = 'Pass the 17-character VIN: POST /rpc/decode_vin {"vin": "..."}';
    end if;
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vin_valid',
            column = 'vin',
            message = format('vin: %s', problem),
            detail = format('VIN %s', v),
            hint = 'A VIN has 17 characters, A-Z and 0-9 without I, O and Q; position 9 is a check digit.';
    end if;

    select vc.decoded, vc.make, vc.model, vc.year, vc.trim, vc.body_class, vc.vehicle_type, vc.fuel_types,
           vc.engine_cylinders, vc.engine_displacement_l, vc.engine_power_kw, vc.engine_power_hp, vc.drive_type,
           vc.manufacturer, vc.plant_country, vc.error_codes, vc.error_texts, vc.source, vc.data_version,
           vc.cached_at, vc.expires_at
    into c
    from app.vin_cache as vc
    where vc.vin = v
      and vc.expires_at > now();

    if found and c.decoded then
        return jsonb_build_object(
            'status', 'decoded',
            'vin', v,
            'make', c.make,
            'model', c.model,
            'model_year', c.year,
            'trim', c.trim,
            'body_class', c.body_class,
            'vehicle_type', c.vehicle_type,
            'fuel_types', c.fuel_types,
            'engine', jsonb_build_object(
                'cylinders', c.engine_cylinders,
                'displacement_l', c.engine_displacement_l,
                'power_kw', c.engine_power_kw,
                'power_hp', c.engine_power_hp),
            'drive_type', c.drive_type,
            'manufacturer', c.manufacturer,
            'plant_country', c.plant_country,
            'error_codes', c.error_codes,
            'error_texts', c.error_texts,
            'source', c.source,
            'data_version', c.data_version,
            'cached_at', c.cached_at,
            'expires_at', c.expires_at);
    elsif found then
        return jsonb_build_object(
            'status', 'undecodable',
            'vin', v,
            'error_codes', c.error_codes,
            'error_texts', c.error_texts,
            'source', c.source,
            'data_version', c.data_version,
            'cached_at', c.cached_at,
            'expires_at', c.expires_at);
    end if;

    begin
        perform app.vin_enqueue(v);
    exception when read_only_sql_transaction then  -- GET /rpc/decode_vin runs read-only
        return jsonb_build_object(
            'status', 'not_cached',
            'vin', v,
            'hint', 'POST /rpc/decode_vin to queue it for decoding');
    end;
    return jsonb_build_object('status', 'queued', 'vin', v);
end
$$;
comment on function api.decode_vin(text) is
    'Decodes one VIN from the shared cache: {"status": "decoded", make, model, model_year, trim, body_class, vehicle_type, fuel_types, engine, drive_type, manufacturer, plant_country, error_codes, error_texts, source, data_version, cached_at, expires_at}; {"status": "undecodable", error_codes, error_texts} when the decoder did not find it; {"status": "queued"} when it is not cached yet (POST queues it for the worker; GET answers "not_cached"). An invalid VIN is a 400 whose message says why ("vin: position 9 should be 3, found 4").';

grant execute on function api.decode_vin(text) to app_user;

commit;
