-- Deploy motovault:fuel_logs to pg
-- requires: vehicles
-- requires: stations
--
-- Fill-ups: several fuels per vehicle, units and currency per entry, full /
-- partial / missed-previous flags, a station from the shared table or a free-text
-- name. Given two of volume, price_per_unit and total_cost the third is computed;
-- given all three they must agree within a cent.

begin;

set local lock_timeout = '5s';

create or replace function app.energy_kind(volume_unit text)
returns text
language sql
immutable
parallel safe
return case
    when volume_unit in ('l', 'gal_us', 'gal_imp') then 'liquid'
    when volume_unit = 'kwh' then 'electric'
    when volume_unit = 'kg' then 'mass'
end;
comment on function app.energy_kind(text) is
    'The energy kind a volume unit measures: liquid (l, gal_us, gal_imp), electric (kwh) or mass (kg). Fuel economy is computed per kind.';

create or replace function app.volume_in_base_unit(volume numeric, volume_unit text)
returns numeric
language sql
immutable
parallel safe
return volume * case volume_unit
    when 'gal_us' then 3.785411784
    when 'gal_imp' then 4.54609
    else 1
end;
comment on function app.volume_in_base_unit(numeric, text) is 'A volume in the base unit of its energy kind: litres, kWh or kg.';

create or replace function app.distance_in_km(distance numeric, unit text)
returns numeric
language sql
immutable
parallel safe
return distance * case unit when 'mi' then 1.609344 else 1 end;
comment on function app.distance_in_km(numeric, text) is 'A distance (or odometer reading) in km, from mi or km.';

create table app.fuel_logs (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    filled_on date not null,
    filled_time time,
    odometer integer not null,
    odometer_unit text not null,
    fuel_type text not null default 'gasoline',
    grade text,
    volume numeric(10, 3) not null,
    volume_unit text not null,
    price_per_unit numeric(10, 4),
    total_cost numeric(12, 2),
    currency text,
    is_full boolean not null default true,
    missed_previous boolean not null default false,
    station_id uuid,
    station_name text,
    notes text,
    read_at timestamp generated always as (filled_on + coalesce(filled_time, time '00:00')) stored,
    energy_kind text generated always as (app.energy_kind(volume_unit)) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint fuel_logs_pkey primary key (tenant_id, id),
    constraint fuel_logs_filled_on_not_future check (filled_on <= current_date + 1),
    constraint fuel_logs_filled_on_after_1886 check (filled_on >= date '1886-01-01'),
    constraint fuel_logs_odometer_not_negative check (odometer >= 0),
    constraint fuel_logs_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint fuel_logs_energy_kind_known check (energy_kind in ('liquid', 'electric', 'mass')),
    constraint fuel_logs_fuel_type_known
        check (fuel_type in ('gasoline', 'diesel', 'e85', 'biodiesel', 'lpg', 'cng', 'electric', 'hydrogen', 'other')),
    constraint fuel_logs_volume_unit_known check (volume_unit in ('l', 'gal_us', 'gal_imp', 'kwh', 'kg')),
    constraint fuel_logs_volume_unit_matches_fuel_type
        check (
            fuel_type = 'other'
            or (fuel_type in ('gasoline', 'diesel', 'e85', 'biodiesel', 'lpg') and volume_unit in ('l', 'gal_us', 'gal_imp'))
            or (fuel_type = 'electric' and volume_unit = 'kwh')
            or (fuel_type in ('cng', 'hydrogen') and volume_unit = 'kg')
        ),
    constraint fuel_logs_grade_length check (grade is null or char_length(grade) between 1 and 30),
    constraint fuel_logs_volume_positive check (volume > 0),
    constraint fuel_logs_price_not_negative check (price_per_unit >= 0),
    constraint fuel_logs_total_cost_not_negative check (total_cost >= 0),
    constraint fuel_logs_currency_iso4217 check (currency ~ '^[A-Z]{3}$'),
    constraint fuel_logs_currency_with_cost check (currency is not null or (price_per_unit is null and total_cost is null)),
    constraint fuel_logs_cost_consistent
        check (price_per_unit is null or total_cost is null or abs(round(volume * price_per_unit, 2) - total_cost) <= 0.01),
    constraint fuel_logs_station_name_length check (station_name is null or char_length(station_name) between 1 and 200),
    constraint fuel_logs_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.fuel_logs is
    'Fill-ups and charges (MotoVaultPro fuel_logs, plus units, currency, energy kind, full/partial/missed flags, station).';
select app.distribute_table('app.fuel_logs', 'tenant');
alter table app.fuel_logs
    add constraint fuel_logs_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint fuel_logs_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint fuel_logs_station_fk foreign key (station_id)
        references app.stations (id) on delete set null;

create index fuel_logs_vehicle_read_idx on app.fuel_logs (tenant_id, vehicle_id, read_at, odometer) where deleted_at is null;
create index fuel_logs_vehicle_fk_idx on app.fuel_logs (tenant_id, vehicle_id);
create index fuel_logs_station_idx on app.fuel_logs (station_id) where station_id is not null;

create or replace function app.tg_fuel_logs_prepare()
returns trigger
language plpgsql
as $$
declare
    vehicle_unit text;
begin
    if new.odometer_unit is null or new.volume_unit is null then
        select v.odometer_unit into vehicle_unit
        from app.vehicles as v
        where v.tenant_id = coalesce(new.tenant_id, app.current_tenant_id())
          and v.id = new.vehicle_id;
        new.odometer_unit := coalesce(new.odometer_unit, vehicle_unit, 'km');
        new.volume_unit := coalesce(
            new.volume_unit,
            case
                when new.fuel_type = 'electric' then 'kwh'
                when new.fuel_type in ('cng', 'hydrogen') then 'kg'
                when vehicle_unit = 'mi' then 'gal_us'
                else 'l'
            end);
    end if;
    new.currency := upper(btrim(new.currency));
    new.station_name := nullif(btrim(new.station_name), '');
    if new.station_name is null and new.station_id is not null then
        select s.name into new.station_name from app.stations as s where s.id = new.station_id;
    end if;

    -- an update that changes volume or price but not the total recomputes the total;
    -- one that changes only the total recomputes the price
    if tg_op = 'UPDATE' then
        if new.total_cost is not distinct from old.total_cost
           and (new.volume is distinct from old.volume or new.price_per_unit is distinct from old.price_per_unit)
           and new.volume is not null and new.price_per_unit is not null then
            new.total_cost := null;
        elsif new.total_cost is distinct from old.total_cost
           and new.volume is not distinct from old.volume
           and new.price_per_unit is not distinct from old.price_per_unit
           and new.total_cost is not null then
            new.price_per_unit := null;
        end if;
    end if;

    if new.volume is not null and new.price_per_unit is not null and new.total_cost is null then
        new.total_cost := round(new.volume * new.price_per_unit, 2);
    elsif new.volume is not null and new.price_per_unit is null and new.total_cost is not null and new.volume > 0 then
        new.price_per_unit := round(new.total_cost / new.volume, 4);
    elsif new.volume is null and new.price_per_unit > 0 and new.total_cost is not null then
        new.volume := round(new.total_cost / new.price_per_unit, 3);
    elsif new.volume is not null and new.price_per_unit is not null and new.total_cost is not null
          and abs(round(new.volume * new.price_per_unit, 2) - new.total_cost) > 0.01 then
        raise exception using
            errcode = 'check_violation',
            constraint = 'fuel_logs_cost_consistent',
            column = 'total_cost',
            message = format('total_cost: %s does not match volume x price_per_unit = %s x %s = %s',
                             new.total_cost, new.volume, new.price_per_unit, round(new.volume * new.price_per_unit, 2)),
            hint = 'Give any two of volume, price_per_unit and total_cost and the third is computed; all three must agree within 0.01.';
    end if;
    if new.volume is null then
        raise exception using
            errcode = 'not_null_violation',
            constraint = 'fuel_logs_volume_positive',
            column = 'volume',
            message = 'volume: required (give volume, or total_cost and a price_per_unit above 0)',
            hint = 'Given two of volume, price_per_unit and total_cost, the third is computed.';
    end if;
    return new;
end
$$;
comment on function app.tg_fuel_logs_prepare() is
    'BEFORE INSERT OR UPDATE on fuel_logs: units default from the vehicle and fuel type; computes the third of volume / price_per_unit / total_cost from the other two and refuses three that disagree by more than a cent; station_name defaults to the station''s name.';
create trigger _200_prepare before insert or update on app.fuel_logs
    for each row execute function app.tg_fuel_logs_prepare();

select app.enable_tenant_rules('app.fuel_logs');

-- API -------------------------------------------------------------------------------------------

create or replace view api.fuel_logs
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, filled_on, filled_time, odometer, odometer_unit, fuel_type, grade,
       volume, volume_unit, price_per_unit, total_cost, currency, is_full, missed_previous,
       station_id, station_name, notes, energy_kind,
       created_at, updated_at, created_by, updated_by
from app.fuel_logs
where deleted_at is null;
comment on view api.fuel_logs is
    'Fill-ups and charges of the active tenant''s vehicles. Give two of volume, price_per_unit and total_cost and the third is computed; three must agree within 0.01. Odometer readings must be consistent with the vehicle''s other readings. DELETE moves a row to fuel_logs_trash.';
comment on column api.fuel_logs.filled_on is 'Date of the fill-up (not in the future).';
comment on column api.fuel_logs.filled_time is 'Optional local time of the fill-up; orders fill-ups on the same day.';
comment on column api.fuel_logs.odometer is 'Odometer reading at the fill-up, in odometer_unit (defaults to the vehicle''s unit).';
comment on column api.fuel_logs.odometer_unit is 'mi or km; defaults to the vehicle''s odometer unit.';
comment on column api.fuel_logs.fuel_type is 'gasoline, diesel, e85, biodiesel, lpg (litres or gallons), electric (kWh), cng, hydrogen (kg) or other.';
comment on column api.fuel_logs.grade is 'Optional grade or octane, e.g. 95 or premium.';
comment on column api.fuel_logs.volume is 'Amount filled (> 0) in volume_unit.';
comment on column api.fuel_logs.volume_unit is 'l, gal_us, gal_imp, kwh or kg; must suit the fuel type; defaults from the fuel type and the vehicle''s unit.';
comment on column api.fuel_logs.price_per_unit is 'Price per volume_unit in currency.';
comment on column api.fuel_logs.total_cost is 'Total paid in currency; volume x price_per_unit within 0.01.';
comment on column api.fuel_logs.currency is 'ISO 4217 code, e.g. USD; required with a price or total.';
comment on column api.fuel_logs.is_full is 'True for a full tank (or full charge); partial fill-ups are summed into the next full one.';
comment on column api.fuel_logs.missed_previous is 'True when an earlier fill-up was not recorded: no economy figure for the interval ending here.';
comment on column api.fuel_logs.station_id is 'A station from /stations (optional).';
comment on column api.fuel_logs.station_name is 'Free-text station name; defaults to the station''s name.';
comment on column api.fuel_logs.energy_kind is 'liquid, electric or mass (computed from volume_unit): economy is computed per kind.';

select app.create_trash_api('api.fuel_logs', 'fuel_log', 'fill-ups', 'its odometer reading is checked again');

grant select, insert, update on api.fuel_logs to app_user;  -- delete: app.create_trash_api
grant execute on function
    app.energy_kind(text),
    app.volume_in_base_unit(numeric, text),
    app.distance_in_km(numeric, text)
    to app_user;

commit;
