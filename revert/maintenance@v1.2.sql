-- Revert motovault:maintenance from pg: back to its @v1.1 definitions
-- requires: maintenance@v1.1
--
-- The functions as the @v1.1 deploy script has them. api.maintenance keeps the columns the rework
-- appended (a view cannot lose columns in place, and functions return its row type) as NULLs, so that
-- service_hours can drop the table columns; reverting maintenance@v1.1 drops the view.

begin;

set local lock_timeout = '5s';

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
create or replace view api.maintenance
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, series_id, status, type, description, completed_on, odometer, odometer_unit,
       cost, currency, service_location, notes, due_on, due_odometer, recur_months, recur_distance, previous_id,
       created_at, updated_at, created_by, updated_by,
       null::numeric(9, 1) as hours, null::text as hour_meter, null::numeric(9, 1) as due_hours,
       null::numeric(9, 1) as recur_hours
from app.maintenance
where deleted_at is null;
comment on view api.maintenance is
    'Maintenance of the active tenant''s vehicles: records (status completed: completed_on, odometer, cost) and schedules (status scheduled: due_on and/or due_odometer, recurring every recur_months and/or recur_distance). Completing a recurring schedule creates its next occurrence. DELETE moves a row to maintenance_trash.';

commit;
