-- Deploy motovault:maintenance to pg
-- requires: vehicles
--
-- Maintenance records (status completed) and schedules (status scheduled: due date and/or due
-- odometer, recurring every N months and/or N distance units). Completing a scheduled item (PATCH
-- status=completed, or rpc/complete_maintenance) records it and creates the next occurrence in the same
-- series, due from the completion. Completed records with an odometer are readings: the
-- odometer_readings change lists them and odometer_guard checks them.

begin;

set local lock_timeout = '5s';

create table app.maintenance (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    series_id uuid not null,
    status text not null default 'completed',
    type text not null,
    description text,
    completed_on date,
    odometer integer,
    odometer_unit text not null,
    cost numeric(12, 2),
    currency text,
    service_location text,
    notes text,
    due_on date,
    due_odometer integer,
    recur_months integer,
    recur_distance integer,
    previous_id uuid,
    read_at timestamp generated always as (case when status = 'completed' then completed_on::timestamp end) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint maintenance_pkey primary key (tenant_id, id),
    constraint maintenance_status_known check (status in ('scheduled', 'completed')),
    constraint maintenance_type_known
        check (type in ('oil_change', 'tire_rotation', 'brake_service', 'inspection', 'registration', 'battery',
                        'coolant', 'transmission', 'air_filter', 'cabin_filter', 'spark_plugs', 'wipers',
                        'repair', 'upgrade', 'other')),
    constraint maintenance_completed_has_date check (status <> 'completed' or completed_on is not null),
    constraint maintenance_scheduled_has_due check (status <> 'scheduled' or due_on is not null or due_odometer is not null),
    constraint maintenance_scheduled_not_completed check (status <> 'scheduled' or (completed_on is null and odometer is null)),
    constraint maintenance_completed_on_not_future check (completed_on <= current_date + 1),
    constraint maintenance_odometer_not_negative check (odometer >= 0),
    constraint maintenance_due_odometer_not_negative check (due_odometer >= 0),
    constraint maintenance_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint maintenance_recur_months_range check (recur_months between 1 and 240),
    constraint maintenance_recur_distance_positive check (recur_distance > 0),
    constraint maintenance_cost_not_negative check (cost >= 0),
    constraint maintenance_currency_iso4217 check (currency ~ '^[A-Z]{3}$'),
    constraint maintenance_currency_with_cost check (cost is null or currency is not null),
    constraint maintenance_description_length check (description is null or char_length(description) between 1 and 500),
    constraint maintenance_service_location_length check (service_location is null or char_length(service_location) between 1 and 200),
    constraint maintenance_notes_length check (notes is null or char_length(notes) <= 10000),
    constraint maintenance_due_on_range
        check (due_on between date '1886-01-01' and date '9999-12-31'),
    constraint maintenance_completed_on_after_1886
        check (completed_on >= date '1886-01-01')
);
comment on table app.maintenance is
    'Maintenance records (completed) and schedules (scheduled, possibly recurring): MotoVaultPro service records plus schedules, units and currency per entry.';
select app.distribute_table('app.maintenance', 'tenant');
alter table app.maintenance
    add constraint maintenance_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint maintenance_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint maintenance_previous_fk foreign key (tenant_id, previous_id)
        references app.maintenance (tenant_id, id);
create trigger _300_clear_maintenance_previous_id before delete on app.maintenance
    for each row execute function app.tg_clear_references('app.maintenance', 'previous_id');

create index maintenance_vehicle_read_idx on app.maintenance (tenant_id, vehicle_id, read_at, odometer)
    where deleted_at is null and read_at is not null;
create index maintenance_vehicle_fk_idx on app.maintenance (tenant_id, vehicle_id);
create index maintenance_previous_idx on app.maintenance (tenant_id, previous_id) where previous_id is not null;
create index maintenance_scheduled_idx on app.maintenance (tenant_id, vehicle_id, due_on)
    where status = 'scheduled' and deleted_at is null;
create unique index maintenance_one_scheduled_per_series on app.maintenance (tenant_id, series_id)
    where status = 'scheduled' and deleted_at is null;

create or replace function app.tg_maintenance_prepare()
returns trigger
language plpgsql
as $$
begin
    new.odometer_unit := coalesce(
        new.odometer_unit,
        app.vehicle_odometer_unit(coalesce(new.tenant_id, app.current_tenant_id()), new.vehicle_id),
        'km');
    new.series_id := coalesce(new.series_id, new.id);
    new.currency := upper(btrim(new.currency));
    new.description := nullif(btrim(new.description), '');
    if tg_op = 'UPDATE' and old.status = 'completed' and new.status = 'scheduled' then
        raise exception using
            errcode = 'check_violation',
            constraint = 'maintenance_completed_stays_completed',
            column = 'status',
            message = 'status: a completed maintenance record cannot go back to scheduled',
            hint = 'Create a new scheduled item instead.';
    end if;
    return new;
end
$$;
comment on function app.tg_maintenance_prepare() is
    'BEFORE INSERT OR UPDATE on maintenance: odometer_unit defaults to the vehicle''s, series_id to the row''s id; a completed record cannot become scheduled again.';
create trigger _200_prepare before insert or update on app.maintenance
    for each row execute function app.tg_maintenance_prepare();

create or replace function app.tg_maintenance_next_occurrence()
returns trigger
language plpgsql
as $$
begin
    if old.status = 'scheduled' and new.status = 'completed' and new.deleted_at is null
       and (new.recur_months is not null or new.recur_distance is not null) then
        insert into app.maintenance (
            tenant_id, vehicle_id, series_id, status, type, description, odometer_unit, service_location,
            due_on, due_odometer, recur_months, recur_distance, previous_id)
        values (
            new.tenant_id, new.vehicle_id, new.series_id, 'scheduled', new.type, new.description, new.odometer_unit,
            new.service_location,
            case when new.recur_months is not null then (new.completed_on + make_interval(months => new.recur_months))::date end,
            case when new.recur_distance is not null
                 then coalesce(new.odometer, new.due_odometer, 0) + new.recur_distance end,
            new.recur_months, new.recur_distance, new.id);
    end if;
    return null;
end
$$;
comment on function app.tg_maintenance_next_occurrence() is
    'AFTER UPDATE on maintenance: completing a recurring scheduled item creates the next occurrence, due recur_months after the completion date and/or recur_distance after the completion odometer.';
create trigger _300_next_occurrence after update of status on app.maintenance
    for each row execute function app.tg_maintenance_next_occurrence();

select app.enable_tenant_rules('app.maintenance');

create or replace view api.maintenance
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, series_id, status, type, description, completed_on, odometer, odometer_unit,
       cost, currency, service_location, notes, due_on, due_odometer, recur_months, recur_distance, previous_id,
       created_at, updated_at, created_by, updated_by
from app.maintenance
where deleted_at is null;
comment on view api.maintenance is
    'Maintenance of the active tenant''s vehicles: records (status completed: completed_on, odometer, cost) and schedules (status scheduled: due_on and/or due_odometer, recurring every recur_months and/or recur_distance). Completing a recurring schedule creates its next occurrence. DELETE moves a row to maintenance_trash.';
comment on column api.maintenance.status is 'scheduled or completed; PATCH a scheduled item to completed (or call complete_maintenance) to record it.';
comment on column api.maintenance.type is 'oil_change, tire_rotation, brake_service, inspection, registration, battery, coolant, transmission, air_filter, cabin_filter, spark_plugs, wipers, repair, upgrade or other.';
comment on column api.maintenance.odometer is 'Odometer at completion; checked against the vehicle''s other readings.';
comment on column api.maintenance.due_odometer is 'For schedules: due at this odometer reading (odometer_unit).';
comment on column api.maintenance.recur_months is 'For schedules: repeat every N months (1-240) after completion.';
comment on column api.maintenance.recur_distance is 'For schedules: repeat every N distance units (odometer_unit) after the completion odometer.';
comment on column api.maintenance.series_id is 'The occurrences of one recurring schedule share it (at most one scheduled at a time).';
comment on column api.maintenance.currency is 'ISO 4217 code; required with a cost.';

select app.create_trash_api('api.maintenance', 'maintenance', 'maintenance rows');

create or replace function api.complete_maintenance(
    id uuid,
    completed_on date default current_date,
    odometer integer default null,
    cost numeric default null,
    currency text default null,
    service_location text default null,
    notes text default null
)
returns setof api.maintenance
language plpgsql
as $$
declare
    item app.maintenance;
begin
    select * into item
    from app.maintenance as m
    where m.tenant_id = app.current_tenant_id()
      and m.id = complete_maintenance.id
      and m.deleted_at is null
    for update;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no maintenance item %s in the active tenant', complete_maintenance.id),
            hint = 'GET /maintenance?status=eq.scheduled lists what can be completed.';
    end if;
    if item.status <> 'scheduled' then
        raise sqlstate 'PT409' using
            message = format('status: maintenance item %s is already completed', complete_maintenance.id),
            hint = 'Only scheduled items can be completed.';
    end if;
    update app.maintenance as m
    set status = 'completed',
        completed_on = coalesce(complete_maintenance.completed_on, current_date),
        odometer = complete_maintenance.odometer,
        cost = coalesce(complete_maintenance.cost, m.cost),
        currency = coalesce(complete_maintenance.currency, m.currency),
        service_location = coalesce(complete_maintenance.service_location, m.service_location),
        notes = coalesce(complete_maintenance.notes, m.notes)
    where m.tenant_id = item.tenant_id
      and m.id = item.id;
    return query
    select *
    from api.maintenance as m
    where m.id = item.id
       or (m.previous_id = item.id and m.status = 'scheduled')
    order by m.status;
end
$$;
comment on function api.complete_maintenance(uuid, date, integer, numeric, text, text, text) is
    'Completes a scheduled maintenance item in one call: records it (date, odometer, cost, currency, location, notes) and, when it recurs, creates the next occurrence. Returns the completed record and the next occurrence. 404 unknown id, 409 already completed.';

grant select, insert, update on api.maintenance to app_user;  -- delete: app.create_trash_api
grant execute on function
    api.complete_maintenance(uuid, date, integer, numeric, text, text, text)
    to app_user;

commit;
