-- Deploy motovault:vehicle_events_derived_audit to pg
-- requires: audit_row
-- requires: vehicle_events_from_sources
--
-- The audit of app.vehicle_events leaves out the events a source trigger writes (docs/bulk.md,
-- "What the audit leaves out"). _900_audit_insert gets the second argument of app.tg_audit_row():
-- an INSERT that another trigger runs logs only the events without a source_id. An event a trigger
-- writes for a source row (a fill-up's fuel event, a service's, a reading's, a photo's; the
-- correcting and void events of an update or delete of that row) is a function of the source
-- row's change, which the source table's own audit logs in the same transaction, by the same
-- actor: app.source_event(kind, the audit row's new_record) gives its type, time, odometer and
-- payload (tests/pgtap/audit_derived_events.sql rebuilds them). Events are append-only
-- (_100_append_only refuses UPDATE and DELETE through the API), and a DELETE by the owner role is
-- still logged with the whole row, as is every event written by anyone else (the API, an import,
-- a maintenance job). A bulk INSERT of fill-ups wrote two audit rows per fill-up; now one.

begin;

set local lock_timeout = '5s';

drop trigger _900_audit_insert on app.vehicle_events;
create trigger _900_audit_insert after insert on app.vehicle_events
    referencing new table as new_rows
    for each statement execute function app.tg_audit_row('tenant_id', 'source_id');

commit;
