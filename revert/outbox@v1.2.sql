-- Revert motovault:outbox from pg

begin;

drop trigger _800_outbox_insert on app.invitations;
drop function app.tg_outbox_invitations();
do $$
declare
    tbl text;
begin
    foreach tbl in array array['app.vehicles', 'app.garages', 'app.fuel_logs', 'app.maintenance', 'app.reminders',
                               'app.odometer_entries', 'app.vehicle_images'] loop
        execute format('drop trigger _800_outbox_insert on %s', tbl);
        execute format('drop trigger _800_outbox_update on %s', tbl);
        execute format('drop trigger _800_outbox_delete on %s', tbl);
    end loop;
end
$$;
drop function app.tg_outbox_records();
drop function app.emit_outbox_event(uuid, text, jsonb, uuid);
drop view api.notify_event_types;
drop trigger _400_purge_outbox_events on app.tenants;
drop function app.tg_purge_outbox_events();
drop function app.notify_event_types();
drop table app.outbox_events;
-- the notify_worker role is shared by every database of the cluster: kept (as roles are kept by
-- revert/roles.sql while another database uses them); it holds nothing once this change is reverted

commit;
