-- Revert motovault:vehicle_events_derived_audit from pg
--
-- Every inserted event is logged again (the trigger as app.attach_audit_triggers made it).

begin;

set local lock_timeout = '5s';

drop trigger _900_audit_insert on app.vehicle_events;
create trigger _900_audit_insert after insert on app.vehicle_events
    referencing new table as new_rows
    for each statement execute function app.tg_audit_row('tenant_id');

commit;
