-- Deploy motovault:accounts to pg
-- requires: auth_events
-- requires: signing_keys
--
-- Accounts in SQL behind PostgREST (the idea of PostgREST's "SQL user management" and of Supabase's
-- GoTrue, written for motovault):
--   api.sign_up(email, password)             an account (the same answer whether the email is new or not)
--   api.sign_in(email, password, tenant_id)  an access token (JWT, minutes) and a refresh token
--   api.refresh(refresh_token, tenant_id)    new tokens; the refresh token rotates: a used one presented
--                                            again revokes its whole session
--   api.sign_out(), api.my_sessions(), api.revoke_session(id)
--   api.change_password(...), api.request_password_reset(email), api.reset_password(token, password)
-- Passwords are bcrypt hashes (pgcrypto, cost 10); refresh and reset tokens are random 256-bit values
-- kept only as SHA-256 hashes; all of it in auth_private. Access tokens name their session (sid):
-- app.check_request() refuses a token whose session was revoked, on the next request.
-- Failed sign-ins of one email (known or not: no account enumeration) slow down, then lock a while;
-- an unknown email costs a bcrypt comparison too and gets the same answer.
-- Failures that must be remembered (a failed sign-in, a reused refresh token) answer with an HTTP
-- status set through response.status and a PostgREST-shaped error body, so the transaction commits.
-- Mail that carries a token (password reset, invitation) goes to auth_private.mail_outbox until the
-- notifications outbox delivers it.

begin;

set local lock_timeout = '5s';

-- settings (database or role GUCs; defaults here) -------------------------------------------------

create or replace function auth_private.setting(name text, fallback integer)
returns integer
language sql
stable
parallel safe
as $$
    select coalesce(nullif(current_setting('motovault.' || name, true), '')::integer, fallback)
$$;
comment on function auth_private.setting(text, integer) is
    'An integer setting motovault.<name> of the auth functions: access_token_seconds (900), session_days (30), sign_in_slow_after (3), sign_in_lock_after (10), sign_in_lock_minutes (15), reset_token_minutes (30).';

-- tables ----------------------------------------------------------------------------------------

create table auth_private.passwords (
    user_id uuid not null,
    hash text not null,
    changed_at timestamptz not null default now(),
    constraint passwords_pkey primary key (user_id),
    constraint passwords_hash_bcrypt check (hash ~ '^\$2[abxy]\$\d\d\$')
);
comment on table auth_private.passwords is 'bcrypt hashes of the users'' passwords (never the password).';
select app.distribute_table('auth_private.passwords', 'local');
alter table auth_private.passwords
    add constraint passwords_user_fk foreign key (user_id) references app.users (id) on delete cascade;

create table auth_private.sessions (
    id uuid not null default app.uuid_v7(),
    user_id uuid not null,
    tenant_id uuid,
    created_at timestamptz not null default now(),
    refreshed_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason text,
    user_agent text,
    constraint sessions_pkey primary key (id),
    constraint sessions_revoked_reason_known
        check (revoked_reason in ('sign_out', 'revoked', 'refresh_token_reused', 'password_changed', 'password_reset')),
    constraint sessions_revoked_with_reason check ((revoked_at is null) = (revoked_reason is null)),
    constraint sessions_user_agent_length check (char_length(user_agent) <= 500)
);
comment on table auth_private.sessions is
    'A signed-in device: its refresh tokens rotate, its access tokens name it (sid). Revoked sessions stop working on the next request.';
select app.distribute_table('auth_private.sessions', 'local');
alter table auth_private.sessions
    add constraint sessions_user_fk foreign key (user_id) references app.users (id) on delete cascade;
create index sessions_user_idx on auth_private.sessions (user_id);

create table auth_private.refresh_tokens (
    token_hash bytea not null,
    session_id uuid not null,
    issued_at timestamptz not null default now(),
    used_at timestamptz,
    constraint refresh_tokens_pkey primary key (token_hash)
);
comment on table auth_private.refresh_tokens is
    'SHA-256 of every refresh token issued: used once; one presented again (used_at set) revokes its session.';
select app.distribute_table('auth_private.refresh_tokens', 'local');
alter table auth_private.refresh_tokens
    add constraint refresh_tokens_session_fk foreign key (session_id) references auth_private.sessions (id) on delete cascade;
create index refresh_tokens_session_idx on auth_private.refresh_tokens (session_id);

create table auth_private.one_time_tokens (
    token_hash bytea not null,
    purpose text not null,
    user_id uuid,
    invitation_tenant_id uuid,
    invitation_id uuid,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    constraint one_time_tokens_pkey primary key (token_hash),
    constraint one_time_tokens_purpose_known check (purpose in ('password_reset', 'invitation')),
    constraint one_time_tokens_names_its_subject
        check ((purpose = 'password_reset' and user_id is not null)
               or (purpose = 'invitation' and invitation_tenant_id is not null and invitation_id is not null))
);
comment on table auth_private.one_time_tokens is 'SHA-256 of single-use tokens (password reset, invitation), with their expiry.';
select app.distribute_table('auth_private.one_time_tokens', 'local');
alter table auth_private.one_time_tokens
    add constraint one_time_tokens_user_fk foreign key (user_id) references app.users (id) on delete cascade;
create index one_time_tokens_user_idx on auth_private.one_time_tokens (user_id) where user_id is not null;

create table auth_private.sign_in_failures (
    email_key text not null,
    failures integer not null default 0,
    last_failure_at timestamptz not null default now(),
    locked_until timestamptz,
    constraint sign_in_failures_pkey primary key (email_key),
    constraint sign_in_failures_count_positive check (failures > 0)
);
comment on table auth_private.sign_in_failures is
    'Failed sign-ins per email (lower case), known account or not: after sign_in_slow_after failures each attempt waits 5 × 2^n seconds (5, 10, 20 ...), after sign_in_lock_after the email is locked for sign_in_lock_minutes. A successful sign-in clears the row.';
select app.distribute_table('auth_private.sign_in_failures', 'local');

create table auth_private.mail_outbox (
    id bigint generated always as identity,
    kind text not null,
    recipient text not null,
    payload jsonb not null,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    constraint mail_outbox_pkey primary key (id),
    constraint mail_outbox_payload_object check (jsonb_typeof(payload) = 'object'),
    constraint mail_outbox_kind_known check (kind in ('password_reset', 'invitation', 'sign_up_existing_account'))
);
comment on table auth_private.mail_outbox is
    'Mail carrying a token (password reset, invitation) or a warning (a sign-up with an existing address), written in the transaction that makes the token: the notifications outbox delivers it; until then the owner role reads it (tests, operators).';
select app.distribute_table('auth_private.mail_outbox', 'local');

-- helpers ---------------------------------------------------------------------------------------

create or replace function auth_private.fail(status integer, code text, message text, hint text default null)
returns jsonb
language plpgsql
volatile
as $$
begin
    -- PostgREST answers with this status and this body, and the transaction commits (what the
    -- failure recorded stays)
    perform set_config('response.status', status::text, true);
    return jsonb_build_object('code', code, 'message', message, 'details', null, 'hint', hint);
end
$$;
comment on function auth_private.fail(integer, text, text, text) is
    'An error answer that does not roll back: sets response.status and returns a body shaped like PostgREST''s errors.';

create or replace function auth_private.password_problem(password text)
returns text
language sql
immutable
parallel safe
as $$
    select case
        when password is null then 'password: required'
        when char_length(password) < 10 then 'password: at least 10 characters'
        when char_length(password) > 200 then 'password: at most 200 characters'
        when btrim(password) = '' then 'password: not only spaces'
    end
$$;
comment on function auth_private.password_problem(text) is 'Why a new password is refused (10 to 200 characters, not only spaces), or NULL.';

create or replace function auth_private.check_new_password(password text)
returns void
language plpgsql
immutable
as $$
begin
    if auth_private.password_problem(password) is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'passwords_rules',
            column = 'password',
            message = auth_private.password_problem(password),
            hint = 'Use 10 to 200 characters; a passphrase of several words is good.';
    end if;
end
$$;
comment on function auth_private.check_new_password(text) is 'Raises 400 naming the rule a new password breaks.';

create or replace function auth_private.normalize_email(email text)
returns text
language plpgsql
immutable
as $$
declare
    e text := lower(btrim(email));
begin
    if e is null or e = '' then
        raise exception using errcode = 'not_null_violation', column = 'email', message = 'email: required';
    end if;
    if char_length(e) > 254 or e !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
        raise exception using
            errcode = 'check_violation',
            constraint = 'users_email_format',
            column = 'email',
            message = 'email: not an email address',
            hint = 'name@example.com, at most 254 characters.';
    end if;
    return e;
end
$$;
comment on function auth_private.normalize_email(text) is 'Trims and lower-cases an email; raises 400 when it is not one.';

create or replace function auth_private.hash_password(password text)
returns text
language sql
volatile
return ext.crypt(password, ext.gen_salt('bf', 10));
comment on function auth_private.hash_password(text) is 'bcrypt, cost 10 (about 40 ms).';

create table auth_private.dummy_hash (
    one_row boolean not null default true,
    hash text not null,
    constraint dummy_hash_pkey primary key (one_row),
    constraint dummy_hash_one_row check (one_row)
);
comment on table auth_private.dummy_hash is
    'One bcrypt hash of nothing: a sign-in with an unknown email is compared against it, so that it costs the same time as a wrong password.';
select app.distribute_table('auth_private.dummy_hash', 'local');
insert into auth_private.dummy_hash (hash) values (auth_private.hash_password(auth_private.random_token(16)));

create or replace function auth_private.password_matches(user_id uuid, password text)
returns boolean
language plpgsql
volatile
as $$
declare
    stored text := (select p.hash from auth_private.passwords as p where p.user_id = password_matches.user_id);
begin
    if stored is null then
        perform ext.crypt(coalesce(password, ''), (select d.hash from auth_private.dummy_hash as d limit 1));
        return false;
    end if;
    return ext.crypt(coalesce(password, ''), stored) = stored;
end
$$;
comment on function auth_private.password_matches(uuid, text) is
    'True when the password matches the user''s hash; without a user or a password it compares against the dummy hash (the same cost) and is false.';

create or replace function auth_private.request_header(name text)
returns text
language sql
stable
as $$
    select nullif(current_setting('request.headers', true), '')::json ->> name
$$;
comment on function auth_private.request_header(text) is 'A header of the current PostgREST request (lower-case name), or NULL.';

create or replace function auth_private.check_tenant_choice(user_id uuid, tenant_id uuid)
returns void
language plpgsql
stable
as $$
begin
    if tenant_id is not null and not exists (
        select from app.memberships as m
        where m.tenant_id = check_tenant_choice.tenant_id
          and m.user_id = check_tenant_choice.user_id
          and m.deleted_at is null
    ) then
        raise sqlstate 'PT403' using
            message = format('tenant_id: you are not a member of tenant %s', tenant_id),
            hint = 'GET /my_tenants lists your tenants.';
    end if;
end
$$;
comment on function auth_private.check_tenant_choice(uuid, uuid) is 'Raises 403 unless the user is a member of the tenant (NULL: no tenant chosen).';

create or replace function auth_private.default_tenant(user_id uuid)
returns uuid
language sql
stable
as $$
    select case when count(*) = 1 then min(m.tenant_id::text)::uuid end
    from app.memberships as m
    where m.user_id = default_tenant.user_id
      and m.deleted_at is null
$$;
comment on function auth_private.default_tenant(uuid) is 'The user''s tenant when there is exactly one, else NULL (the client names one).';

create or replace function auth_private.access_token(
    user_id uuid,
    tenant_id uuid,
    extra jsonb,
    lifetime_seconds integer
)
returns text
language sql
volatile
as $$
    select auth_private.sign_jwt(jsonb_strip_nulls(jsonb_build_object(
        'iss', 'motovault',
        'role', 'app_user',
        'sub', access_token.user_id,
        'tenant_id', access_token.tenant_id,
        'iat', extract(epoch from now())::bigint,
        'exp', extract(epoch from now())::bigint + lifetime_seconds
    ) || coalesce(extra, '{}')))
$$;
comment on function auth_private.access_token(uuid, uuid, jsonb, integer) is
    'An access token (iss motovault, role app_user, sub, tenant_id, iat, exp) with extra claims (sid or akid, scope).';

create or replace function auth_private.issue_tokens(session auth_private.sessions)
returns jsonb
language plpgsql
volatile
as $$
declare
    lifetime constant integer := auth_private.setting('access_token_seconds', 900);
    refresh text := auth_private.random_token(32);
begin
    insert into auth_private.refresh_tokens (token_hash, session_id)
    values (auth_private.token_hash(refresh), session.id);
    return jsonb_strip_nulls(jsonb_build_object(
        'access_token', auth_private.access_token(session.user_id, session.tenant_id, jsonb_build_object('sid', session.id), lifetime),
        'token_type', 'bearer',
        'expires_in', lifetime,
        'refresh_token', refresh,
        'user_id', session.user_id,
        'tenant_id', session.tenant_id,
        'session_id', session.id,
        'session_expires_at', session.expires_at));
end
$$;
comment on function auth_private.issue_tokens(auth_private.sessions) is
    'An access token naming the session (sid) and a new refresh token of it.';

create or replace function auth_private.revoke_sessions(user_id uuid, reason text, except_session uuid default null)
returns integer
language plpgsql
volatile
as $$
declare
    revoked integer;
begin
    update auth_private.sessions as s
    set revoked_at = now(), revoked_reason = reason
    where s.user_id = revoke_sessions.user_id
      and s.revoked_at is null
      and s.id is distinct from except_session;
    get diagnostics revoked = row_count;
    return revoked;
end
$$;
comment on function auth_private.revoke_sessions(uuid, text, uuid) is 'Revokes the user''s live sessions (but one); returns how many.';

create or replace function app.session_is_live(session_id uuid, user_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select from auth_private.sessions as s
        where s.id = session_is_live.session_id
          and s.user_id = session_is_live.user_id
          and s.revoked_at is null
          and s.expires_at > now()
    )
$$;
comment on function app.session_is_live(uuid, uuid) is
    'True when the session exists, belongs to the user, is not revoked and has not expired (app.check_request, for every request).';
grant execute on function app.session_is_live(uuid, uuid) to app_user;

-- the API ---------------------------------------------------------------------------------------

create or replace function api.sign_up(email text, password text, display_name text default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    address constant text := auth_private.normalize_email(sign_up.email);
    existing uuid;
    new_user uuid;
begin
    perform auth_private.check_new_password(sign_up.password);
    if display_name is not null and char_length(btrim(display_name)) not between 1 and 100 then
        raise exception using
            errcode = 'check_violation', constraint = 'users_display_name_length', column = 'display_name',
            message = 'display_name: 1 to 100 characters';
    end if;
    select u.id into existing from app.users as u where lower(u.email) = address and u.deleted_at is null;
    if existing is not null then
        -- the same answer and about the same time as for a new address; the owner is told by mail
        perform auth_private.hash_password(sign_up.password);
        insert into auth_private.mail_outbox (kind, recipient, payload)
        values ('sign_up_existing_account', address, jsonb_build_object('user_id', existing));
        return jsonb_build_object('status', 'ok', 'next', 'sign_in');
    end if;
    insert into app.users (id, email, display_name)
    values (gen_random_uuid(), address, nullif(btrim(sign_up.display_name), ''))
    returning id into new_user;
    insert into auth_private.passwords (user_id, hash) values (new_user, auth_private.hash_password(sign_up.password));
    perform auth_private.record_event('sign_up', new_user);
    return jsonb_build_object('status', 'ok', 'next', 'sign_in');
end
$$;
comment on function api.sign_up(text, text, text) is
    'Creates an account: email (unique, case-insensitive) and password (10 to 200 characters). The answer is the same whether the email was new or not (an existing account''s owner is told by mail); then POST /rpc/sign_in.';

create or replace function api.sign_in(email text, password text, tenant_id uuid default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    address constant text := lower(btrim(coalesce(sign_in.email, '')));
    failure auth_private.sign_in_failures;
    slow_after constant integer := auth_private.setting('sign_in_slow_after', 3);
    lock_after constant integer := auth_private.setting('sign_in_lock_after', 10);
    wait_until timestamptz;
    account uuid;
    session auth_private.sessions;
begin
    select * into failure from auth_private.sign_in_failures as f where f.email_key = address for update;
    if found then
        wait_until := greatest(
            failure.locked_until,
            case when failure.failures >= slow_after
                 then failure.last_failure_at + make_interval(secs => least(5 * 2 ^ (failure.failures - slow_after), 3600)) end);
        if wait_until > now() then
            perform auth_private.record_event('sign_in_throttled', null, null, null,
                jsonb_build_object('failures', failure.failures));
            return auth_private.fail(429, 'PT429',
                format('email: too many failed sign-ins; try again in %s seconds', ceil(extract(epoch from wait_until - now()))),
                'Wait, or reset the password with POST /rpc/request_password_reset.');
        end if;
    end if;

    select u.id into account from app.users as u where lower(u.email) = address and u.deleted_at is null;
    if not auth_private.password_matches(account, sign_in.password) then
        insert into auth_private.sign_in_failures as f (email_key, failures, last_failure_at)
        values (address, 1, now())
        on conflict (email_key) do update
        set failures = f.failures + 1,
            last_failure_at = now(),
            locked_until = case when f.failures + 1 >= lock_after
                                then now() + make_interval(mins => auth_private.setting('sign_in_lock_minutes', 15)) end;
        perform auth_private.record_event('sign_in_failed', account);
        return auth_private.fail(401, 'PT401', 'email, password: no account has this email and password',
                                 'Check both; after several failures sign-ins slow down, then lock for a while.');
    end if;

    delete from auth_private.sign_in_failures as f where f.email_key = address;
    perform auth_private.check_tenant_choice(account, sign_in.tenant_id);
    insert into auth_private.sessions (user_id, tenant_id, expires_at, user_agent)
    values (account, coalesce(sign_in.tenant_id, auth_private.default_tenant(account)),
            now() + make_interval(days => auth_private.setting('session_days', 30)),
            left(auth_private.request_header('user-agent'), 500))
    returning * into session;
    perform auth_private.record_event('sign_in', account, session.tenant_id, session.id);
    return auth_private.issue_tokens(session);
end
$$;
comment on function api.sign_in(text, text, uuid) is
    'Signs in with email and password: {access_token (JWT, 15 minutes), refresh_token, expires_in, user_id, tenant_id, session_id}. The token acts in tenant_id (default: your only tenant, if you have one; switch with refresh). 401 for a wrong email or password alike; 429 after repeated failures (slower, then locked for a while).';

create or replace function api.refresh(refresh_token text, tenant_id uuid default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    token auth_private.refresh_tokens;
    session auth_private.sessions;
begin
    select * into token
    from auth_private.refresh_tokens as r
    where r.token_hash = auth_private.token_hash(coalesce(refresh.refresh_token, ''))
    for update;
    if not found then
        return auth_private.fail(401, 'PT401', 'refresh_token: unknown', 'Sign in again.');
    end if;
    select * into session from auth_private.sessions as s where s.id = token.session_id for update;
    if token.used_at is not null then
        -- presented twice: someone else has a copy. The whole session goes.
        if session.revoked_at is null then
            update auth_private.sessions as s set revoked_at = now(), revoked_reason = 'refresh_token_reused' where s.id = session.id;
            perform auth_private.record_event('refresh_token_reused', session.user_id, session.tenant_id, session.id);
        end if;
        return auth_private.fail(401, 'PT401', 'refresh_token: already used; the session is revoked',
                                 'Refresh tokens are single-use. Sign in again.');
    end if;
    if session.revoked_at is not null or session.expires_at <= now() then
        return auth_private.fail(401, 'PT401', 'refresh_token: the session has ended', 'Sign in again.');
    end if;
    perform auth_private.check_tenant_choice(session.user_id, refresh.tenant_id);
    update auth_private.refresh_tokens as r set used_at = now() where r.token_hash = token.token_hash;
    update auth_private.sessions as s
    set refreshed_at = now(),
        tenant_id = coalesce(refresh.tenant_id, s.tenant_id)
    where s.id = session.id
    returning * into session;
    if refresh.tenant_id is not null then
        perform auth_private.record_event('refresh', session.user_id, session.tenant_id, session.id,
            jsonb_build_object('tenant_id', refresh.tenant_id));
    end if;
    return auth_private.issue_tokens(session);
end
$$;
comment on function api.refresh(text, uuid) is
    'Trades a refresh token for a new access token and a new refresh token (the old one is used up: presented again, it revokes the session). tenant_id switches the session to another tenant you belong to.';

create or replace function auth_private.current_session()
returns uuid
language sql
stable
as $$
    select case when app.jwt_claims() ->> 'sid' ~* '^[0-9a-f-]{36}$' then (app.jwt_claims() ->> 'sid')::uuid end
$$;
comment on function auth_private.current_session() is 'The session the request''s token names (sid), or NULL.';

create or replace function api.sign_out()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    session uuid := auth_private.current_session();
begin
    if session is null then
        raise sqlstate 'PT400' using
            message = 'token: names no session (it came from an API key or motovault token)',
            hint = 'Revoke an API key with POST /rpc/revoke_api_key.';
    end if;
    update auth_private.sessions as s
    set revoked_at = now(), revoked_reason = 'sign_out'
    where s.id = session and s.revoked_at is null;
    perform auth_private.record_event('sign_out', app.current_user_id(), app.current_tenant_id(), session);
    return jsonb_build_object('session_id', session, 'signed_out', true);
end
$$;
comment on function api.sign_out() is 'Ends the session of this token: its access and refresh tokens stop working at once.';

create or replace function api.my_sessions()
returns table (
    id uuid,
    tenant_id uuid,
    created_at timestamptz,
    refreshed_at timestamptz,
    expires_at timestamptz,
    user_agent text,
    current boolean
)
language sql
stable
security definer
set search_path = ''
as $$
    select s.id, s.tenant_id, s.created_at, s.refreshed_at, s.expires_at, s.user_agent,
           s.id = auth_private.current_session()
    from auth_private.sessions as s
    where s.user_id = app.current_user_id()
      and s.revoked_at is null
      and s.expires_at > now()
    order by s.refreshed_at desc
$$;
comment on function api.my_sessions() is 'Your signed-in sessions (devices), newest first; current marks this one. Revoke one with revoke_session.';

create or replace function api.revoke_session(id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    target auth_private.sessions;
begin
    update auth_private.sessions as s
    set revoked_at = now(), revoked_reason = 'revoked'
    where s.id = revoke_session.id
      and s.user_id = app.current_user_id()
      and s.revoked_at is null
    returning * into target;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no live session %s of yours', revoke_session.id),
            hint = 'GET /rpc/my_sessions lists them.';
    end if;
    perform auth_private.record_event('session_revoked', target.user_id, target.tenant_id, target.id);
    return jsonb_build_object('session_id', target.id, 'revoked', true);
end
$$;
comment on function api.revoke_session(uuid) is 'Revokes one of your sessions: its tokens stop working on their next request (404 when it is not yours or not live).';

create or replace function api.change_password(current_password text, new_password text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    me constant uuid := app.current_user_id();
    others integer;
begin
    if me is null then
        raise sqlstate 'PT401' using message = 'token: sign in first';
    end if;
    perform auth_private.check_new_password(change_password.new_password);
    if not auth_private.password_matches(me, change_password.current_password) then
        raise sqlstate 'PT403' using
            message = 'current_password: does not match',
            hint = 'Forgot it? POST /rpc/request_password_reset.';
    end if;
    update auth_private.passwords as p
    set hash = auth_private.hash_password(change_password.new_password), changed_at = now()
    where p.user_id = me;
    others := auth_private.revoke_sessions(me, 'password_changed', auth_private.current_session());
    perform auth_private.record_event('password_changed', me, null, auth_private.current_session(),
        jsonb_build_object('other_sessions_revoked', others));
    return jsonb_build_object('changed', true, 'other_sessions_revoked', others);
end
$$;
comment on function api.change_password(text, text) is
    'Changes your password (the current one is asked again); every other session of yours is signed out.';

create or replace function api.request_password_reset(email text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    address constant text := auth_private.normalize_email(request_password_reset.email);
    account uuid;
    token text := auth_private.random_token(32);
begin
    select u.id into account from app.users as u where lower(u.email) = address and u.deleted_at is null;
    if account is not null and exists (select from auth_private.passwords as p where p.user_id = account) then
        -- one live reset token per account: a new request replaces the older one
        delete from auth_private.one_time_tokens as t
        where t.user_id = account and t.purpose = 'password_reset' and t.used_at is null;
        insert into auth_private.one_time_tokens (token_hash, purpose, user_id, expires_at)
        values (auth_private.token_hash(token), 'password_reset', account,
                now() + make_interval(mins => auth_private.setting('reset_token_minutes', 30)));
        insert into auth_private.mail_outbox (kind, recipient, payload)
        values ('password_reset', address, jsonb_build_object('token', token, 'user_id', account));
        perform auth_private.record_event('password_reset_requested', account);
    end if;
    return jsonb_build_object('status', 'ok', 'next', 'the email holds a reset token for POST /rpc/reset_password');
end
$$;
comment on function api.request_password_reset(text) is
    'Sends a single-use reset token (valid 30 minutes) to the email of an account. The answer is the same whether an account has the email or not.';

create or replace function api.reset_password(token text, new_password text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    ticket auth_private.one_time_tokens;
    revoked integer;
begin
    perform auth_private.check_new_password(reset_password.new_password);
    update auth_private.one_time_tokens as t
    set used_at = now()
    where t.token_hash = auth_private.token_hash(coalesce(reset_password.token, ''))
      and t.purpose = 'password_reset'
      and t.used_at is null
      and t.expires_at > now()
    returning * into ticket;
    if not found then
        raise exception using
            errcode = 'check_violation',
            constraint = 'one_time_tokens_single_use',
            column = 'token',
            message = 'token: unknown, used or expired',
            hint = 'Ask for a new one: POST /rpc/request_password_reset.';
    end if;
    update auth_private.passwords as p
    set hash = auth_private.hash_password(reset_password.new_password), changed_at = now()
    where p.user_id = ticket.user_id;
    revoked := auth_private.revoke_sessions(ticket.user_id, 'password_reset');
    delete from auth_private.sign_in_failures as f
    where f.email_key = (select lower(u.email) from app.users as u where u.id = ticket.user_id);
    perform auth_private.record_event('password_reset', ticket.user_id, null, null, jsonb_build_object('sessions_revoked', revoked));
    return jsonb_build_object('status', 'ok', 'sessions_revoked', revoked, 'next', 'sign_in');
end
$$;
comment on function api.reset_password(text, text) is
    'Sets a new password with the token from request_password_reset (single use): every session of the account is signed out, a sign-in lock is lifted.';

grant execute on function
    api.sign_up(text, text, text),
    api.sign_in(text, text, uuid),
    api.refresh(text, uuid),
    api.request_password_reset(text),
    api.reset_password(text, text)
    to anon, app_user;
grant execute on function
    api.sign_out(),
    api.my_sessions(),
    api.revoke_session(uuid),
    api.change_password(text, text)
    to app_user;

commit;
