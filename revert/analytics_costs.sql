-- Revert motovault:analytics_costs from pg

begin;

set local lock_timeout = '5s';

drop view analytics.costs;

commit;
