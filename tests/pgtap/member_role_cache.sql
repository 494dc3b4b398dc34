-- app.current_member_role() keeps the role for the transaction under the text of the settings it is
-- read from (motovault.tenant_id, motovault.user_id, request.jwt.claims), so that a call that finds it
-- parses no claims (docs/bulk.md); any change of those settings looks the role up again.
begin;
select plan(6);

select tests.new_tenant('Home') as home \gset
select tests.new_tenant('Club') as club \gset
select tests.new_member(:'home', 'owner') as me \gset
select tests.new_member(:'club', 'member', :'me') as ignored \gset
select tests.new_member(:'club', 'admin') as other \gset

select tests.become(:'me', :'home');
select is(app.current_member_role(), 'owner', 'the role in the active tenant');
select ok(position(current_setting('request.jwt.claims') in current_setting('motovault.member_role')) > 0
          and current_setting('motovault.member_role') like '%=owner',
          'kept for the transaction under the claims'' text');

-- the same transaction, other claims: a read API key's scope
select set_config('request.jwt.claims',
                  jsonb_build_object('role', 'app_user', 'sub', :'me', 'tenant_id', :'home', 'scope', 'read')::text, false)
    as ignored \gset
select is(app.current_member_role(), 'viewer', 'a change of the claims (scope read) is looked up again: viewer');

-- the tenant from the X-Tenant-Id header (motovault.tenant_id), the claims unchanged
select tests.become(:'me', :'home');
select is(app.current_member_role(), 'owner', 'back to the write token');
select set_config('motovault.tenant_id', :'club', false) as ignored \gset
select is(app.current_member_role(), 'member', 'another active tenant (motovault.tenant_id) is looked up again');
select set_config('motovault.user_id', :'other', false) as ignored \gset
select is(app.current_member_role(), 'admin', 'another user (motovault.user_id) is looked up again');

select tests.unbecome();
select * from finish();
rollback;
