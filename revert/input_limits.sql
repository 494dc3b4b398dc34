-- Revert motovault:input_limits from pg: the constraints dropped, vin_normalize as vin_rules_parity made it

begin;

alter table app.maintenance
    drop constraint maintenance_due_on_range,
    drop constraint maintenance_completed_on_after_1886;
alter table app.odometer_entries drop constraint odometer_entries_read_on_after_1886;
drop trigger reminders_input_range on app.reminders;
drop function app.reminders_snoozed_until_in_range();
alter table app.reminders
    drop constraint reminders_due_on_range,
    drop constraint reminders_snoozed_until_range;
alter table app.vehicle_images drop constraint vehicle_images_taken_at_sane;
alter table app.vehicles
    drop constraint vehicles_engine_displacement_l_finite,
    drop constraint vehicles_engine_power_kw_finite;

create or replace function app.vin_normalize(vin text)
returns text
language sql
immutable
strict
parallel safe
as $$
    select translate(btrim(vin, E' \t\n\r\f\x0b'), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
$$;
comment on function app.vin_normalize(text) is
    'Trims ASCII whitespace at both ends and upper-cases ASCII letters (as motovault.vin.normalize); nothing else changes.';

commit;
