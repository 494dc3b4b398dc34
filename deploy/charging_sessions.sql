-- Deploy motovault:charging_sessions to pg
-- requires: fuel_economy
--
-- EV charging records are fuel_logs rows of energy kind electric (volume = energy from the grid, kWh)
-- with what only a charge has: energy added to the battery when known (the difference is charging
-- loss), state of charge before/after, charger level (AC level 1/2, DC fast), location type (home,
-- work, public), network, duration and session fees. api.charging_sessions is the same rows under
-- charging names. The checks are added not valid and validated by fuel_logs_charge_checks.
--
-- Efficiency of a battery over a period (api.ev_efficiency):
--   * from the grid: kWh of the charges after the battery's first one in the period over the distance
--     from its first to its last charge (each charge replenishes what was used since the one before);
--   * from the battery: the same with battery_kwh, when every such charge has it;
--   * from the state of charge, when charges are never full: between two charges, the energy used is
--     (soc_after of the earlier - soc_before of the later) / 100 x the battery's capacity, over the
--     distance between them; pairs with a gap in SoC, no capacity, a missed charge or no distance are
--     left out.
-- Cost per distance by location type (api.ev_charging_costs): cost per kWh at the location (energy and
-- session fees) x the battery's grid kWh per distance; what 100 km cost when charged there.

begin;

set local lock_timeout = '5s';

alter table app.fuel_logs
    add column battery_kwh numeric(10, 3),
    add column soc_before numeric(5, 2),
    add column soc_after numeric(5, 2),
    add column charger_level text,
    add column location_type text,
    add column network text,
    add column charge_minutes integer,
    add column session_fee numeric(12, 2);
comment on column app.fuel_logs.battery_kwh is 'Energy added to the battery (kWh), when the car reports it; at most the grid energy (volume).';
comment on column app.fuel_logs.soc_before is 'State of charge (%) when the charge started.';
comment on column app.fuel_logs.soc_after is 'State of charge (%) when the charge ended.';
comment on column app.fuel_logs.charger_level is 'ac_l1, ac_l2 or dc_fast.';
comment on column app.fuel_logs.location_type is 'home, work or public.';
comment on column app.fuel_logs.network is 'Charging network or operator.';
comment on column app.fuel_logs.charge_minutes is 'Duration of the session in minutes.';
comment on column app.fuel_logs.session_fee is 'Fees of the session beyond the energy (session, idle, parking), in currency.';

alter table app.fuel_logs
    add constraint fuel_logs_charge_fields_electric
        check (energy_kind = 'electric'
               or (battery_kwh is null and soc_before is null and soc_after is null and charger_level is null
                   and location_type is null and network is null and charge_minutes is null and session_fee is null))
        not valid,
    add constraint fuel_logs_battery_kwh_within_grid check (battery_kwh > 0 and battery_kwh <= volume) not valid,
    add constraint fuel_logs_soc_before_range check (soc_before between 0 and 100) not valid,
    add constraint fuel_logs_soc_after_range check (soc_after between 0 and 100) not valid,
    add constraint fuel_logs_soc_after_not_below_before check (soc_after >= soc_before) not valid,
    add constraint fuel_logs_charger_level_known check (charger_level in ('ac_l1', 'ac_l2', 'dc_fast')) not valid,
    add constraint fuel_logs_location_type_known check (location_type in ('home', 'work', 'public')) not valid,
    add constraint fuel_logs_network_length check (char_length(network) between 1 and 100) not valid,
    add constraint fuel_logs_charge_minutes_range check (charge_minutes between 1 and 10080) not valid,
    add constraint fuel_logs_session_fee_not_negative check (session_fee >= 0 and session_fee < 100000) not valid,
    add constraint fuel_logs_currency_with_session_fee check (session_fee is null or currency is not null) not valid;

create or replace view api.charging_sessions
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, source_id, filled_on as charged_on, filled_time as started_time,
       odometer, odometer_unit, fuel_type,
       volume as grid_kwh, battery_kwh, soc_before, soc_after, charger_level, location_type, network,
       charge_minutes, price_per_unit as price_per_kwh, total_cost as energy_cost, session_fee, currency,
       is_full, missed_previous, station_id, station_name, notes,
       created_at, updated_at, created_by, updated_by
from app.fuel_logs
where deleted_at is null
  and energy_kind = 'electric';
alter view api.charging_sessions alter column fuel_type set default 'electric';
comment on view api.charging_sessions is
    'EV charging sessions of the active tenant''s vehicles: the electric rows of fuel_logs under charging names. grid_kwh is what the meter counted, battery_kwh what reached the battery (when known); give two of grid_kwh, price_per_kwh and energy_cost and the third is computed; session_fee is paid on top. DELETE moves a session to fuel_logs_trash (restore_fuel_log brings it back).';
comment on column api.charging_sessions.source_id is 'The battery charged (GET /energy_sources); NULL: the vehicle''s lowest-numbered battery.';
comment on column api.charging_sessions.charged_on is 'Date of the session.';
comment on column api.charging_sessions.started_time is 'Optional local start time; orders sessions of one day.';
comment on column api.charging_sessions.odometer is 'Odometer at the session, in odometer_unit (defaults to the vehicle''s unit).';
comment on column api.charging_sessions.odometer_unit is 'mi or km.';
comment on column api.charging_sessions.fuel_type is 'electric.';
comment on column api.charging_sessions.grid_kwh is 'Energy from the grid (kWh, > 0), as billed.';
comment on column api.charging_sessions.battery_kwh is 'Energy added to the battery (kWh), at most grid_kwh; the difference is charging loss.';
comment on column api.charging_sessions.soc_before is 'State of charge (%, 0..100) at the start.';
comment on column api.charging_sessions.soc_after is 'State of charge (%, 0..100) at the end, not below soc_before.';
comment on column api.charging_sessions.charger_level is 'ac_l1 (AC level 1), ac_l2 (AC level 2) or dc_fast.';
comment on column api.charging_sessions.location_type is 'home, work or public.';
comment on column api.charging_sessions.network is 'Charging network or operator (1..100 characters).';
comment on column api.charging_sessions.charge_minutes is 'Duration in minutes (1..10080).';
comment on column api.charging_sessions.price_per_kwh is 'Price per grid kWh in currency.';
comment on column api.charging_sessions.energy_cost is 'Paid for the energy in currency; grid_kwh x price_per_kwh within 0.01.';
comment on column api.charging_sessions.session_fee is 'Fees beyond the energy (session, idle, parking) in currency, >= 0.';
comment on column api.charging_sessions.currency is 'ISO 4217 code; required with a price, cost or fee.';
comment on column api.charging_sessions.is_full is 'True for a charge to the target (full-to-full economy chains); SoC-based estimates need no full charges.';
comment on column api.charging_sessions.missed_previous is 'True when an earlier session was not recorded.';
comment on column api.charging_sessions.station_id is 'A station from /stations (optional).';
comment on column api.charging_sessions.station_name is 'Free-text charger or station name.';
comment on column api.charging_sessions.notes is 'Free text.';

-- DELETE soft-deletes (the view renames columns, so app.create_trash_api cannot build its trash): a
-- deleted session is a deleted fill-up, listed in fuel_logs_trash and brought back by restore_fuel_log
create trigger _500_soft_delete instead of delete on api.charging_sessions
    for each row execute function app.tg_soft_delete_row('app.fuel_logs');

grant select, insert, update, delete on api.charging_sessions to app_user;

create or replace function app.battery_charges(tenant uuid, vehicle uuid, "from" date, "to" date)
returns table (
    source_id uuid,
    source_name text,
    capacity_kwh numeric,
    id uuid,
    km numeric,
    grid_kwh numeric,
    battery_kwh numeric,
    total_cost numeric,
    session_fee numeric,
    currency text,
    location_type text,
    is_first boolean,
    soc_kwh numeric,
    soc_km numeric
)
language sql
stable
as $$
    with sources as materialized (
        select s.id, s.name, s.tank_number, s.capacity, s.fuel_types, s.deleted_at
        from app.energy_sources as s
        where s.tenant_id = tenant
          and s.vehicle_id = vehicle
          and s.energy_kind = 'electric'
    ),
    defaults as (
        select s.id from sources as s where s.deleted_at is null and 'electric' = any (s.fuel_types)
        order by s.tank_number limit 1
    ),
    c as (
        select coalesce(l.source_id, (select d.id from defaults as d)) as src, l.id, l.read_at, l.odometer,
               app.distance_in_km(l.odometer, l.odometer_unit) as km,
               l.volume as grid_kwh, l.battery_kwh, l.total_cost, l.session_fee, l.currency, l.location_type,
               l.missed_previous, l.soc_before, l.soc_after
        from app.fuel_logs as l
        where l.tenant_id = tenant
          and l.vehicle_id = vehicle
          and l.deleted_at is null
          and l.energy_kind = 'electric'
          and ("from" is null or l.filled_on >= "from")
          and ("to" is null or l.filled_on <= "to")
    ),
    w as (
        select c.*,
               row_number() over o = 1 as is_first,
               lag(c.soc_after) over o as prev_soc_after,
               lag(c.km) over o as prev_km
        from c
        window o as (partition by c.src order by c.read_at, c.km, c.id)
    )
    select w.src, s.name, s.capacity, w.id, w.km, w.grid_kwh, w.battery_kwh, w.total_cost, w.session_fee,
           w.currency, w.location_type, w.is_first,
           case when valid then (w.prev_soc_after - w.soc_before) / 100 * s.capacity end,
           case when valid then w.km - w.prev_km end
    from w
    left join sources as s on s.id = w.src
    cross join lateral (
        select not w.is_first and not w.missed_previous and s.capacity is not null
               and w.prev_soc_after is not null and w.soc_before is not null
               and w.prev_soc_after >= w.soc_before and w.km > w.prev_km as valid
    ) as v
$$;
comment on function app.battery_charges(uuid, uuid, date, date) is
    'The charges of a vehicle''s batteries dated from..to (NULL: open), in order per battery: km, grid and battery kWh, cost, whether it is the battery''s first in the period, and the state-of-charge estimate of the energy used since the previous charge and the distance (when both SoC values, the capacity and a distance are known and no charge was missed).';

create or replace function api.ev_efficiency(
    vehicle_id uuid,
    "from" date default null,
    "to" date default null
)
returns table (
    source_id uuid,
    source_name text,
    sessions integer,
    grid_kwh numeric,
    battery_kwh numeric,
    charging_efficiency numeric,
    distance numeric,
    distance_unit text,
    grid_kwh_per_100 numeric,
    battery_kwh_per_100 numeric,
    soc_pairs integer,
    soc_kwh numeric,
    soc_distance numeric,
    soc_kwh_per_100 numeric,
    note text
)
language plpgsql
stable
as $$
declare
    unit text;
    per numeric;
begin
    perform app.resolve_economy_unit(ev_efficiency.vehicle_id, null);
    unit := app.vehicle_odometer_unit(app.current_tenant_id(), ev_efficiency.vehicle_id);
    per := case when unit = 'mi' then 1.609344 else 1 end;
    return query
    select c.source_id, c.source_name,
           count(*)::integer,
           sum(c.grid_kwh),
           sum(c.battery_kwh),
           round(sum(c.battery_kwh) filter (where c.battery_kwh is not null)
                 / nullif(sum(c.grid_kwh) filter (where c.battery_kwh is not null), 0), 3),
           round((max(c.km) - min(c.km)) / per, 1),
           unit,
           round(100 * sum(c.grid_kwh) filter (where not c.is_first) / nullif((max(c.km) - min(c.km)) / per, 0), 2),
           case when bool_and(c.battery_kwh is not null) filter (where not c.is_first) then
               round(100 * sum(c.battery_kwh) filter (where not c.is_first) / nullif((max(c.km) - min(c.km)) / per, 0), 2)
           end,
           count(c.soc_kwh)::integer,
           round(sum(c.soc_kwh), 2),
           round(sum(c.soc_km) / per, 1),
           round(100 * sum(c.soc_kwh) / nullif(sum(c.soc_km) / per, 0), 2),
           concat_ws('; ',
               case when count(*) < 2 then 'one charge: no distance to measure' end,
               case when not coalesce(bool_and(c.battery_kwh is not null) filter (where not c.is_first), true)
                    then 'battery_kwh missing on some charges: no battery figure' end,
               case when count(c.soc_kwh) = 0 and count(*) >= 2
                    then case when max(c.capacity_kwh) is null then 'no battery capacity: no SoC estimate'
                              else 'no consecutive charges with SoC: no SoC estimate' end end)
    from app.battery_charges(app.current_tenant_id(), ev_efficiency.vehicle_id, ev_efficiency."from", ev_efficiency."to") as c
    group by c.source_id, c.source_name
    order by c.source_name nulls first;
end
$$;
comment on function api.ev_efficiency(uuid, date, date) is
    'EV efficiency of a vehicle''s batteries over a period (charges dated from..to): kWh per 100 (of the vehicle''s unit) from the grid and from the battery (charges after the first, over the distance from the first charge to the last), charging efficiency (battery / grid kWh), and a state-of-charge estimate (SoC drop between charges x capacity over the distance between them) for charges that are never full; note says why a figure is missing.';

create or replace function api.ev_charging_costs(
    vehicle_id uuid,
    "from" date default null,
    "to" date default null
)
returns table (
    location_type text,
    currency text,
    sessions integer,
    grid_kwh numeric,
    energy_cost numeric,
    session_fees numeric,
    cost numeric,
    cost_per_kwh numeric,
    grid_kwh_per_100 numeric,
    cost_per_100 numeric,
    distance_unit text
)
language plpgsql
stable
as $$
declare
    unit text;
    per numeric;
begin
    perform app.resolve_economy_unit(ev_charging_costs.vehicle_id, null);
    unit := app.vehicle_odometer_unit(app.current_tenant_id(), ev_charging_costs.vehicle_id);
    per := case when unit = 'mi' then 1.609344 else 1 end;
    return query
    with c as (
        select * from app.battery_charges(app.current_tenant_id(), ev_charging_costs.vehicle_id,
                                          ev_charging_costs."from", ev_charging_costs."to") as b
    ),
    rate as (
        -- grid kWh per 100 of the vehicle's unit, over every battery of the vehicle
        select 100 * sum(r.kwh) / nullif(sum(r.dist), 0) as kwh_per_100
        from (
            select c.source_id, sum(c.grid_kwh) filter (where not c.is_first) as kwh, (max(c.km) - min(c.km)) / per as dist
            from c
            group by c.source_id
        ) as r
    ),
    loc as (
        select coalesce(c.location_type, 'unknown') as location_type, c.currency,
               count(*)::integer as sessions,
               sum(c.grid_kwh) as kwh,
               sum(c.total_cost) as energy_cost,
               coalesce(sum(c.session_fee), 0) as fees,
               -- a session without an energy cost has no cost to spread: it is left out of the price
               sum(c.grid_kwh) filter (where c.total_cost is not null) as priced_kwh,
               sum(c.total_cost) + coalesce(sum(c.session_fee), 0) as cost
        from c
        group by coalesce(c.location_type, 'unknown'), c.currency
    )
    select loc.location_type, loc.currency, loc.sessions, loc.kwh, loc.energy_cost, loc.fees, loc.cost,
           round(loc.cost / nullif(loc.priced_kwh, 0), 4),
           round(rate.kwh_per_100, 2),
           round(loc.cost / nullif(loc.priced_kwh, 0) * rate.kwh_per_100, 2),
           unit
    from loc
    cross join rate
    order by loc.location_type, loc.currency nulls first;
end
$$;
comment on function api.ev_charging_costs(uuid, date, date) is
    'EV charging cost of a vehicle per location type (home, work, public, unknown) and currency over a period: sessions, grid kWh, energy cost, session fees, cost per kWh, and cost per 100 (of the vehicle''s unit) = cost per kWh there x the vehicle''s grid kWh per 100 (what driving costs when charged there).';

alter function api.ev_efficiency(uuid, date, date) set plan_cache_mode = force_generic_plan;
alter function api.ev_charging_costs(uuid, date, date) set plan_cache_mode = force_generic_plan;

grant execute on function
    app.battery_charges(uuid, uuid, date, date),
    api.ev_efficiency(uuid, date, date),
    api.ev_charging_costs(uuid, date, date)
    to app_user;

commit;
