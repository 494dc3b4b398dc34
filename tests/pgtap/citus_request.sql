-- app.check_request_citus, the db-pre-request of a Citus coordinator, on plain PostgreSQL: it checks
-- what app.check_request checks and leaves the same settings, and it issues them as SET LOCAL with
-- citus.propagate_set_commands = 'local' (what carries them to the workers on Citus: tests/citus).
select plan(6);

select tests.new_tenant('Citus pre-request') as tenant \gset
select tests.new_tenant('Elsewhere') as elsewhere \gset
select tests.new_member(:'tenant', 'member') as member \gset

begin;
select set_config('motovault.allow_bare_tokens', 'on', true);
select tests.become(:'member', :'tenant', pre_request => false);
select lives_ok('select app.check_request_citus()', 'a member of the token''s tenant passes');
select is(current_setting('citus.propagate_set_commands'), 'local', 'SET LOCAL commands go to the workers');
select is((current_setting('request.jwt.claims')::jsonb ->> 'tenant_id'), :'tenant', 'the claims are kept');
select is((select count(*) from api.garages where tenant_id <> :'tenant')::integer, 0, 'and the tenant''s policies apply');
select tests.unbecome();
rollback;

begin;
select set_config('motovault.allow_bare_tokens', 'on', true);
select tests.become(:'member', :'elsewhere', pre_request => false);
select throws_ok('select app.check_request_citus()', 'PT403', null, 'a token for a tenant the user is not in is refused');
select tests.unbecome();
rollback;

select is(coalesce(current_setting('citus.propagate_set_commands', true), ''), '', 'nothing outlives the request''s transaction');

select * from finish();
