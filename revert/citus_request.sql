-- Revert motovault:citus_request from pg

begin;

set local lock_timeout = '5s';

drop function app.check_request_citus();

commit;
