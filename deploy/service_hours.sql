-- Deploy motovault:service_hours to pg
-- requires: maintenance
-- requires: reminders
-- requires: hour_readings
--
-- Maintenance and reminders by hours: the hour meter reading at a service (hours, hour_meter), and
-- schedules / reminders due at an hour reading (due_hours), recurring every recur_hours. The rules that
-- use them are in the reworked maintenance and reminders changes. The "something is due" checks are
-- widened to accept hours alone; they and the new checks are added NOT VALID here (every existing row meets
-- them) and validated by the reworked changes.

begin;

set local lock_timeout = '5s';

alter table app.maintenance
    add column hours numeric(9, 1),
    add column hour_meter text,
    add column due_hours numeric(9, 1),
    add column recur_hours numeric(9, 1),
    add constraint maintenance_hours_range check (hours between 0 and 9999999) not valid,
    add constraint maintenance_due_hours_range check (due_hours between 0 and 9999999) not valid,
    add constraint maintenance_recur_hours_range check (recur_hours > 0 and recur_hours <= 100000) not valid,
    add constraint maintenance_hour_meter_format check (hour_meter ~ '^[a-z][a-z0-9_]{0,39}$') not valid,
    add constraint maintenance_hour_meter_with_hours
        check (hour_meter is not null or (hours is null and due_hours is null and recur_hours is null)) not valid,
    add constraint maintenance_hours_only_completed check (status = 'completed' or hours is null) not valid;
alter table app.maintenance drop constraint maintenance_scheduled_has_due;
alter table app.maintenance
    add constraint maintenance_scheduled_has_due
        check (status <> 'scheduled' or due_on is not null or due_odometer is not null or due_hours is not null) not valid;
comment on column app.maintenance.hours is 'Hour meter reading (hour_meter) at completion.';
comment on column app.maintenance.due_hours is 'For schedules: due at this reading of hour_meter.';
comment on column app.maintenance.recur_hours is 'For schedules: repeat every N hours of hour_meter after the completion reading.';

alter table app.reminders
    add column due_hours numeric(9, 1),
    add column recur_hours numeric(9, 1),
    add column hour_meter text,
    add constraint reminders_due_hours_range check (due_hours between 0 and 9999999) not valid,
    add constraint reminders_recur_hours_range check (recur_hours > 0 and recur_hours <= 100000) not valid,
    add constraint reminders_recur_hours_needs_due_hours check (recur_hours is null or due_hours is not null) not valid,
    add constraint reminders_hour_meter_format check (hour_meter ~ '^[a-z][a-z0-9_]{0,39}$') not valid,
    add constraint reminders_hour_meter_with_hours check (hour_meter is not null or due_hours is null) not valid;
alter table app.reminders drop constraint reminders_due_date_or_odometer;
alter table app.reminders
    add constraint reminders_due_date_odometer_or_hours
        check (due_on is not null or due_odometer is not null or due_hours is not null) not valid;
comment on column app.reminders.due_hours is 'Due at this reading of hour_meter.';
comment on column app.reminders.recur_hours is 'Repeat every N hours after due_hours.';

commit;
