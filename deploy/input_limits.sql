-- Deploy motovault:input_limits to pg
-- requires: vehicle_images
-- requires: reminders
-- requires: vin_rules_parity
--
-- Input limits the hostile-input catalogue (tests/test_api_hostile.py) found missing on the tables
-- added after it was written:
--
-- * date columns that accepted 'infinity', '-infinity' and years past 9999 (a reminder or schedule
--   due at infinity breaks every due-date computation and analytics bucket): maintenance.due_on,
--   reminders.due_on, reminders.snoozed_until get 1886-01-01 .. 9999-12-31; maintenance.completed_on
--   and odometer_entries.read_on (bounded above already) get their lower bound; vehicle_images.taken_at
--   gets the range of the photo event it becomes (vehicle_events_occurred_at_sane).
-- * the decoded numeric fields of vehicles (read-only for API users, written from the VIN cache)
--   accepted NaN and +-Infinity, which sort above every number and pass range CHECKs.
-- * app.vin_normalize() upper-cased with translate(), about 0.35 s per MB: a 16 MB "VIN" held a backend
--   past app_user's 5 s statement_timeout (HTTP 500) before the VIN rule could refuse it. Now only a
--   trimmed value of at most 64 characters is translated; a longer one is invalid whatever its case
--   (17 characters expected) and comes back trimmed only.
--
-- Constraints are added NOT VALID (no long lock for the scan) and then validated.

begin;

alter table app.maintenance
    add constraint maintenance_due_on_range
        check (due_on between date '1886-01-01' and date '9999-12-31') not valid,
    add constraint maintenance_completed_on_after_1886
        check (completed_on >= date '1886-01-01') not valid;
alter table app.maintenance validate constraint maintenance_due_on_range;
alter table app.maintenance validate constraint maintenance_completed_on_after_1886;

alter table app.odometer_entries
    add constraint odometer_entries_read_on_after_1886
        check (read_on >= date '1886-01-01') not valid;
alter table app.odometer_entries validate constraint odometer_entries_read_on_after_1886;

alter table app.reminders
    add constraint reminders_due_on_range
        check (due_on between date '1886-01-01' and date '9999-12-31') not valid,
    add constraint reminders_snoozed_until_range
        check (snoozed_until between date '1886-01-01' and date '9999-12-31') not valid;
alter table app.reminders validate constraint reminders_due_on_range;
alter table app.reminders validate constraint reminders_snoozed_until_range;

-- reminders_prepare clears snoozed_until on a reminder that is not snoozed, before any CHECK runs: an
-- out-of-range snooze sent to an open reminder was dropped silently (204). Refused the same either way.
create function app.reminders_snoozed_until_in_range()
returns trigger
language plpgsql
as $$
begin
    if new.snoozed_until is not null and not (new.snoozed_until between date '1886-01-01' and date '9999-12-31') then
        raise exception using
            errcode = 'check_violation',
            constraint = 'reminders_snoozed_until_range',
            column = 'snoozed_until',
            message = format('snoozed_until: %s is outside 1886-01-01 .. 9999-12-31', new.snoozed_until),
            hint = 'Snooze until a calendar date (YYYY-MM-DD).';
    end if;
    return new;
end
$$;
comment on function app.reminders_snoozed_until_in_range() is
    'BEFORE INSERT OR UPDATE on reminders (fires before reminders_prepare, which clears snoozed_until on reminders that are not snoozed): refuses a snoozed_until outside 1886-01-01 .. 9999-12-31 whatever the status.';
create trigger reminders_input_range before insert or update on app.reminders
    for each row execute function app.reminders_snoozed_until_in_range();

alter table app.vehicle_images
    add constraint vehicle_images_taken_at_sane
        check (taken_at >= '1886-01-01' and taken_at < '2200-01-01') not valid;
alter table app.vehicle_images validate constraint vehicle_images_taken_at_sane;

alter table app.vehicles
    add constraint vehicles_engine_displacement_l_finite
        check (engine_displacement_l not in ('NaN', 'Infinity', '-Infinity')) not valid,
    add constraint vehicles_engine_power_kw_finite
        check (engine_power_kw not in ('NaN', 'Infinity', '-Infinity')) not valid;
alter table app.vehicles validate constraint vehicles_engine_displacement_l_finite;
alter table app.vehicles validate constraint vehicles_engine_power_kw_finite;

create or replace function app.vin_normalize(vin text)
returns text
language sql
immutable
strict
parallel safe
as $$
    select case
        when char_length(btrim(vin, E' \t\n\r\f\x0b')) <= 64 then
            translate(btrim(vin, E' \t\n\r\f\x0b'), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
        else
            btrim(vin, E' \t\n\r\f\x0b')
    end
$$;
comment on function app.vin_normalize(text) is
    'Trims ASCII whitespace at both ends and upper-cases ASCII letters (as motovault.vin.normalize); nothing else changes. A trimmed value longer than 64 characters (never a VIN) is only trimmed: upper-casing megabytes cost seconds.';

commit;
