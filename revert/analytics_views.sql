-- Revert motovault:analytics_views from pg

begin;

drop view api.vehicle_event_months;
drop view api.fleet_overview;
drop view analytics.fleet_overview;
drop view analytics.vehicle_event_months;
drop view analytics.vehicles;

commit;
