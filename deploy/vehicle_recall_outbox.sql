-- Deploy motovault:vehicle_recall_outbox to pg
-- requires: recalls
-- requires: outbox
--
-- Every new recall of a vehicle becomes a vehicle_recall.new event of the notifications outbox
-- (app.emit_outbox_event), in the transaction that adds it: the recall check's, or the vehicle
-- write that found the recalls already cached.

begin;

set local lock_timeout = '5s';

create or replace function app.tg_vehicle_recalls_outbox()
returns trigger
language plpgsql
as $$
begin
    perform app.emit_outbox_event(
        new.tenant_id,
        'vehicle_recall.new',
        app.announce_vehicle_recall(new) - 'type' - 'tenant_id',
        new.vehicle_id
    );
    return null;
end
$$;
comment on function app.tg_vehicle_recalls_outbox() is
    'AFTER INSERT on vehicle_recalls (_500_outbox): writes a vehicle_recall.new event (app.announce_vehicle_recall: recall_id, vehicle_id, campaign_number, component, park_it, park_outside, report_received_on) into the notifications outbox.';
create trigger _500_outbox after insert on app.vehicle_recalls
    for each row execute function app.tg_vehicle_recalls_outbox();

commit;
