-- Deploy motovault:citus_request to pg
-- requires: check_request
--
-- The PostgREST pre-request for a deployment on Citus (docs/citus.md). On Citus the row security
-- policies run on the workers, in the transactions the coordinator opens there, where settings made
-- with set_config() do not reach: the claims (request.jwt.claims) and what app.check_request
-- resolves (motovault.user_id, motovault.tenant_id) would be missing, and every policy would refuse.
-- Citus carries SET LOCAL commands to the workers when citus.propagate_set_commands is 'local', so
-- this function sets it, issues the claims again as SET LOCAL before app.check_request (whose
-- membership lookup already runs on a worker), then the values that app.check_request set.
-- On plain PostgreSQL it does the same harmlessly (citus.* is then an unused placeholder); the
-- stack points PostgREST's db-pre-request at it only on Citus.

begin;

set local lock_timeout = '5s';

create function app.check_request_citus()
returns void
language plpgsql
set search_path = ''
as $$
begin
    set local citus.propagate_set_commands = 'local';
    execute format('set local request.jwt.claims = %L', coalesce(current_setting('request.jwt.claims', true), ''));
    perform app.check_request();
    execute format('set local motovault.user_id = %L', coalesce(current_setting('motovault.user_id', true), ''));
    execute format('set local motovault.tenant_id = %L', coalesce(current_setting('motovault.tenant_id', true), ''));
end
$$;
comment on function app.check_request_citus() is
    'PostgREST db-pre-request on a Citus coordinator: app.check_request, with the claims and what it resolves issued as SET LOCAL under citus.propagate_set_commands = local, so that the policies on the workers see them (docs/citus.md).';
revoke all on function app.check_request_citus() from public;
grant execute on function app.check_request_citus() to anon, app_user;

commit;
