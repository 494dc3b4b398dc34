-- Revert motovault:report_requests from pg (the owner role keeps its membership of act_as_member, so of app_user: roles are
-- cluster-wide, and another database of the cluster may rely on it)

begin;

set local lock_timeout = '5s';

drop function app.report_finish(uuid, uuid, bytea, text, text, text);
drop function app.report_claim(integer, text, integer);
drop function api.report_content(uuid);
drop function api.restore_report_request(uuid);
drop view api.report_requests_trash;
drop view api.report_requests;
drop table app.report_requests;
drop function app.tg_report_requests_notify();
drop function app.tg_report_requests_prepare();

commit;
