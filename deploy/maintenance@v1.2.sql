-- Deploy motovault:maintenance to pg
-- requires: maintenance@v1.1
-- requires: service_hours
--
-- Reworked after @v1.1: maintenance by hours. A service records the hour meter reading (hours,
-- hour_meter: engine by default); a schedule is due at due_hours and recurs every recur_hours after
-- the completion reading (or, without one, the meter's latest reading), as well as by date and
-- distance. Validates the checks service_hours added NOT VALID.

begin;

set local lock_timeout = '5s';

alter table app.maintenance validate constraint maintenance_scheduled_has_due;
alter table app.maintenance validate constraint maintenance_hours_range;
alter table app.maintenance validate constraint maintenance_due_hours_range;
alter table app.maintenance validate constraint maintenance_recur_hours_range;
alter table app.maintenance validate constraint maintenance_hour_meter_format;
alter table app.maintenance validate constraint maintenance_hour_meter_with_hours;
alter table app.maintenance validate constraint maintenance_hours_only_completed;

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
    if new.hours is not null or new.due_hours is not null or new.recur_hours is not null then
        new.hour_meter := coalesce(new.hour_meter, 'engine');
    end if;
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
    'BEFORE INSERT OR UPDATE on maintenance: odometer_unit defaults to the vehicle''s, series_id to the row''s id, hour_meter to engine when hours are given; a completed record cannot become scheduled again.';

create or replace function app.tg_maintenance_next_occurrence()
returns trigger
language plpgsql
as $$
begin
    if old.status = 'scheduled' and new.status = 'completed' and new.deleted_at is null
       and (new.recur_months is not null or new.recur_distance is not null or new.recur_hours is not null) then
        insert into app.maintenance (
            tenant_id, vehicle_id, series_id, status, type, description, odometer_unit, service_location,
            due_on, due_odometer, recur_months, recur_distance, previous_id,
            hour_meter, due_hours, recur_hours)
        values (
            new.tenant_id, new.vehicle_id, new.series_id, 'scheduled', new.type, new.description, new.odometer_unit,
            new.service_location,
            case when new.recur_months is not null then (new.completed_on + make_interval(months => new.recur_months))::date end,
            case when new.recur_distance is not null
                 then coalesce(new.odometer, new.due_odometer, 0) + new.recur_distance end,
            new.recur_months, new.recur_distance, new.id,
            new.hour_meter,
            case when new.recur_hours is not null
                 then coalesce(new.hours, app.latest_hours(new.tenant_id, new.vehicle_id, new.hour_meter), new.due_hours, 0)
                      + new.recur_hours end,
            new.recur_hours);
    end if;
    return null;
end
$$;
comment on function app.tg_maintenance_next_occurrence() is
    'AFTER UPDATE on maintenance: completing a recurring scheduled item creates the next occurrence, due recur_months after the completion date, recur_distance after the completion odometer and/or recur_hours after the completion hours (or the meter''s latest reading).';

create or replace view api.maintenance
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, series_id, status, type, description, completed_on, odometer, odometer_unit,
       cost, currency, service_location, notes, due_on, due_odometer, recur_months, recur_distance, previous_id,
       created_at, updated_at, created_by, updated_by,
       hours, hour_meter, due_hours, recur_hours
from app.maintenance
where deleted_at is null;
comment on view api.maintenance is
    'Maintenance of the active tenant''s vehicles: records (status completed: completed_on, odometer, hours, cost) and schedules (status scheduled: due_on, due_odometer and/or due_hours, recurring every recur_months, recur_distance and/or recur_hours). Completing a recurring schedule creates its next occurrence. DELETE moves a row to maintenance_trash.';
comment on column api.maintenance.hours is 'Hour meter reading (hour_meter) at completion.';
comment on column api.maintenance.hour_meter is 'The hour meter of hours, due_hours and recur_hours: engine by default when any is given.';
comment on column api.maintenance.due_hours is 'For schedules: due at this reading of hour_meter.';
comment on column api.maintenance.recur_hours is 'For schedules: repeat every N hours after the completion reading.';

commit;
