-- Revert motovault:service_hours from pg

begin;

-- NOT VALID: rows due by hours alone stay (they keep meaning nothing to the older code)

alter table app.maintenance drop constraint maintenance_scheduled_has_due;
alter table app.maintenance
    add constraint maintenance_scheduled_has_due check (status <> 'scheduled' or due_on is not null or due_odometer is not null) not valid,
    drop column hours,
    drop column hour_meter,
    drop column due_hours,
    drop column recur_hours;
alter table app.reminders
    drop constraint reminders_due_date_odometer_or_hours,
    add constraint reminders_due_date_or_odometer check (due_on is not null or due_odometer is not null) not valid,
    drop column due_hours,
    drop column recur_hours,
    drop column hour_meter;

commit;
