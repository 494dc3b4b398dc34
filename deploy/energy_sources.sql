-- Deploy motovault:energy_sources to pg
-- requires: fuel_logs
--
-- The energy sources of a vehicle: tanks and batteries (tank_number 1, 2, ... as Fuelio's TankNumber),
-- each of one energy kind (liquid, electric, mass), with the fuel types it takes, its unit and capacity.
-- A fill-up or charge names the source it fills (fuel_logs.source_id); one that names none belongs to
-- the vehicle's lowest-numbered source of its energy kind that takes its fuel type, or, when there is
-- none, to an implicit source per energy kind (economy as before sources existed).
--
-- Rules are constraints, not row triggers: the composite foreign key
-- (tenant_id, vehicle_id, source_id, energy_kind) keeps a fill-up on a source of its own vehicle and
-- energy kind; a statement-level check (transition tables) keeps its fuel type among the source's.
-- Flex-fuel: one tank taking several fuels (gasoline + e85). Bi-fuel: one tank per fuel. docs/energy.md.

begin;

set local lock_timeout = '5s';

create table app.energy_sources (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    vehicle_id uuid not null,
    tank_number smallint not null default 1,
    name text not null,
    energy_kind text not null,
    fuel_types text[] not null,
    unit text not null,
    capacity numeric(10, 3),
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint energy_sources_pkey primary key (tenant_id, id),
    constraint energy_sources_vehicle_id_kind_unique unique (tenant_id, vehicle_id, id, energy_kind),
    constraint energy_sources_tank_number_range check (tank_number between 1 and 9),
    constraint energy_sources_name_length check (char_length(name) between 1 and 100),
    constraint energy_sources_energy_kind_known check (energy_kind in ('liquid', 'electric', 'mass')),
    constraint energy_sources_unit_known check (unit in ('l', 'gal_us', 'gal_imp', 'kwh', 'kg')),
    constraint energy_sources_unit_matches_kind
        check ((energy_kind = 'liquid') = (unit in ('l', 'gal_us', 'gal_imp'))
               and (energy_kind = 'electric') = (unit = 'kwh')),
    constraint energy_sources_fuel_types_known
        check (cardinality(fuel_types) between 1 and 9
               and array_position(fuel_types, null) is null
               and fuel_types <@ array['gasoline', 'diesel', 'e85', 'biodiesel', 'lpg', 'cng', 'electric', 'hydrogen', 'other']),
    constraint energy_sources_fuel_types_match_kind
        check (case energy_kind
                   when 'liquid' then fuel_types <@ array['gasoline', 'diesel', 'e85', 'biodiesel', 'lpg', 'other']
                   when 'electric' then fuel_types <@ array['electric', 'other']
                   else fuel_types <@ array['cng', 'hydrogen', 'other']
               end),
    constraint energy_sources_capacity_positive check (capacity > 0 and capacity <= 100000),  -- finite: NaN and Infinity are above every bound
    constraint energy_sources_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.energy_sources is
    'Energy sources of a vehicle: tanks and batteries, each of one energy kind, with the fuel types it takes, its unit and capacity. Fill-ups name the source they fill (fuel_logs.source_id).';
select app.distribute_table('app.energy_sources', 'tenant');
alter table app.energy_sources
    add constraint energy_sources_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint energy_sources_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;

create unique index energy_sources_one_tank_number_per_vehicle
    on app.energy_sources (tenant_id, vehicle_id, tank_number) where deleted_at is null;

create or replace function app.tg_energy_sources_prepare()
returns trigger
language plpgsql
as $$
begin
    new.name := btrim(new.name);
    new.unit := coalesce(new.unit, case new.energy_kind when 'electric' then 'kwh' when 'mass' then 'kg' else 'l' end);
    new.energy_kind := coalesce(new.energy_kind, app.energy_kind(new.unit));
    new.fuel_types := coalesce(new.fuel_types,
        case new.energy_kind when 'electric' then array['electric'] when 'mass' then array['cng'] else array['gasoline'] end);
    select array_agg(distinct t order by t) into new.fuel_types from unnest(new.fuel_types) as t;
    return new;
end
$$;
comment on function app.tg_energy_sources_prepare() is
    'BEFORE INSERT OR UPDATE on energy_sources: trims the name; the energy kind follows the unit (and the unit the kind: l, kwh, kg); fuel types default from the kind, sorted and without duplicates.';
create trigger _200_prepare before insert or update on app.energy_sources
    for each row execute function app.tg_energy_sources_prepare();

select app.enable_tenant_rules('app.energy_sources');

-- Fill-ups name their source ------------------------------------------------------------------

alter table app.fuel_logs add column source_id uuid;
comment on column app.fuel_logs.source_id is
    'The energy source (tank or battery) filled; NULL: the vehicle''s lowest-numbered source of this energy kind that takes its fuel type.';
alter table app.fuel_logs
    add constraint fuel_logs_source_fk foreign key (tenant_id, vehicle_id, source_id, energy_kind)
        references app.energy_sources (tenant_id, vehicle_id, id, energy_kind) not valid;

create or replace function app.tg_fuel_logs_source_fuel()
returns trigger
language plpgsql
as $$
declare
    bad record;
begin
    select n.fuel_type, s.name, s.fuel_types into bad
    from new_rows as n
    join app.energy_sources as s
        on s.tenant_id = n.tenant_id and s.vehicle_id = n.vehicle_id and s.id = n.source_id
    where n.source_id is not null
      and n.deleted_at is null
      and not (n.fuel_type = any (s.fuel_types))
    limit 1;
    if found then
        raise exception using
            errcode = 'check_violation',
            constraint = 'fuel_logs_fuel_type_in_source',
            column = 'fuel_type',
            message = format('fuel_type: %s does not go into %s, which takes %s',
                             bad.fuel_type, bad.name, array_to_string(bad.fuel_types, ', ')),
            hint = 'Name the tank that takes this fuel (source_id), or add the fuel type to the source''s fuel_types (flex-fuel).';
    end if;
    return null;
end
$$;
comment on function app.tg_fuel_logs_source_fuel() is
    'AFTER INSERT / UPDATE on fuel_logs, once per statement (transition table new_rows): a fill-up''s fuel type must be one its source takes (fuel_logs_fuel_type_in_source).';
create trigger _100_source_fuel_insert after insert on app.fuel_logs
    referencing new table as new_rows
    for each statement execute function app.tg_fuel_logs_source_fuel();
create trigger _100_source_fuel_update after update on app.fuel_logs
    referencing new table as new_rows
    for each statement execute function app.tg_fuel_logs_source_fuel();

create or replace function app.tg_energy_sources_keep_fuels()
returns trigger
language plpgsql
as $$
declare
    bad record;
begin
    select s.name, l.fuel_type into bad
    from new_rows as s
    join app.fuel_logs as l
        on l.tenant_id = s.tenant_id and l.vehicle_id = s.vehicle_id and l.source_id = s.id
    where l.deleted_at is null
      and not (l.fuel_type = any (s.fuel_types))
    limit 1;
    if found then
        raise exception using
            errcode = 'check_violation',
            constraint = 'energy_sources_fuel_types_cover_fill_ups',
            column = 'fuel_types',
            message = format('fuel_types: %s has fill-ups of %s', bad.name, bad.fuel_type),
            hint = 'Keep every fuel type the source''s fill-ups use, or move those fill-ups to another source first.';
    end if;
    return null;
end
$$;
comment on function app.tg_energy_sources_keep_fuels() is
    'AFTER UPDATE on energy_sources, once per statement: a source keeps every fuel type its live fill-ups use (energy_sources_fuel_types_cover_fill_ups).';
create trigger _100_keep_fuels after update on app.energy_sources
    referencing new table as new_rows
    for each statement execute function app.tg_energy_sources_keep_fuels();

-- Every vehicle with fill-ups gets a source per energy kind it has used (tank 1, 2, ... by kind),
-- taking the fuel types it has logged, in its most used unit.
insert into app.energy_sources (tenant_id, vehicle_id, tank_number, name, energy_kind, fuel_types, unit)
select k.tenant_id, k.vehicle_id,
       row_number() over (partition by k.tenant_id, k.vehicle_id
                          order by array_position(array['liquid', 'electric', 'mass'], k.energy_kind)),
       case k.energy_kind when 'liquid' then 'Fuel tank' when 'electric' then 'Battery' else 'Gas tank' end,
       k.energy_kind, k.fuel_types, k.unit
from (
    select l.tenant_id, l.vehicle_id, l.energy_kind,
           array_agg(distinct l.fuel_type) as fuel_types,
           mode() within group (order by l.volume_unit) as unit
    from app.fuel_logs as l
    join app.vehicles as v on v.tenant_id = l.tenant_id and v.id = l.vehicle_id
    where l.energy_kind is not null
    group by l.tenant_id, l.vehicle_id, l.energy_kind
) as k;

-- API -------------------------------------------------------------------------------------------

create or replace view api.energy_sources
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, tank_number, name, energy_kind, fuel_types, unit, capacity, notes,
       created_at, updated_at, created_by, updated_by
from app.energy_sources
where deleted_at is null;
comment on view api.energy_sources is
    'Tanks and batteries of the active tenant''s vehicles. A fill-up names the source it fills (fuel_logs.source_id); one naming none belongs to the vehicle''s lowest-numbered source of its energy kind that takes its fuel type. Flex-fuel: one source taking several fuel types; bi-fuel: one source per fuel. DELETE moves a source to energy_sources_trash.';
comment on column api.energy_sources.vehicle_id is 'The vehicle.';
comment on column api.energy_sources.tank_number is 'Tank number 1..9, unique per vehicle (Fuelio TankNumber); the lowest of an energy kind takes the fill-ups of its fuel types that name no source.';
comment on column api.energy_sources.name is 'Name shown in reports, e.g. Petrol tank, LPG tank, Battery.';
comment on column api.energy_sources.energy_kind is 'liquid, electric or mass; follows the unit when not given.';
comment on column api.energy_sources.fuel_types is 'Fuel types the source takes, e.g. {gasoline,e85} for a flex-fuel tank; must suit the energy kind.';
comment on column api.energy_sources.unit is 'l, gal_us, gal_imp (liquid), kwh (electric) or kg (mass).';
comment on column api.energy_sources.capacity is 'Tank or usable battery capacity in unit (optional, > 0); used for state-of-charge estimates.';
comment on column api.energy_sources.notes is 'Free text.';

select app.create_trash_api('api.energy_sources', 'energy_source', 'energy sources');

grant select, insert, update on api.energy_sources to app_user;  -- delete: app.create_trash_api

create or replace view analytics.energy_sources
as
select s.tenant_id, s.id, s.vehicle_id, s.tank_number, s.energy_kind, s.fuel_types, s.unit, s.capacity
from app.energy_sources as s
join app.vehicles as v on v.tenant_id = s.tenant_id and v.id = s.vehicle_id and v.deleted_at is null
where s.deleted_at is null;
comment on view analytics.energy_sources is
    'Tanks and batteries of every live vehicle: tank number, energy kind, fuel types, unit, capacity (no names or notes).';

grant select on analytics.energy_sources to analyst;

commit;
