-- Revert motovault:vehicle_event_months from pg

begin;

drop view api.vehicle_event_months;
drop view analytics.vehicle_event_months;

commit;
