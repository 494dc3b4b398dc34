-- Revert motovault:check_request from pg

begin;

revoke usage on schema app from anon;
drop function app.check_request();

commit;
