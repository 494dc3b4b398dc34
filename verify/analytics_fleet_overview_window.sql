-- Verify motovault:analytics_fleet_overview_window on pg

select 1 / (pg_get_viewdef('analytics.fleet_overview'::regclass) like '%recent.events = 0%')::int;
select 1 / has_table_privilege('analyst', 'analytics.fleet_overview', 'select')::int;
