-- Deploy motovault:signing_keys to pg
-- requires: auth_private
--
-- Access tokens are JWTs signed in the database (HS256, pgcrypto's HMAC) with the newest active key of
-- auth_private.signing_keys. PostgREST verifies them with a JWKS file that lists every key still valid
-- (`motovault keys export`, written by `make up`), so rotation signs nobody out:
--   motovault keys rotate   -- adds a key that does not sign yet, writes the JWKS, reloads PostgREST,
--                           -- then lets the key sign (auth_private.add_signing_key, activate_signing_key)
-- A key signs only once PostgREST knows it, so no token is ever refused for an unknown key. The
-- previous key keeps verifying until `motovault keys retire`, which waits the longest access-token
-- lifetime (auth_private.jwks() lists retired keys for that long).
-- External OpenID Connect providers' public keys are added to the same file (auth_private.oidc_issuers).

begin;

set local lock_timeout = '5s';

create table auth_private.signing_keys (
    kid text not null,
    secret bytea not null,
    created_at timestamptz not null default now(),
    signs_from timestamptz not null default now(),
    retired_at timestamptz,
    constraint signing_keys_pkey primary key (kid),
    constraint signing_keys_kid_format check (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
    constraint signing_keys_secret_length check (octet_length(secret) >= 32),
    constraint signing_keys_retired_after_created check (retired_at is null or retired_at >= created_at)
);
comment on table auth_private.signing_keys is
    'HS256 keys access tokens are signed with: the newest key whose signs_from has passed and that is not retired signs; every key not retired longer ago than the longest token lifetime verifies (auth_private.jwks()).';
select app.distribute_table('auth_private.signing_keys', 'local');

create or replace function auth_private.add_signing_key(signs_in interval default interval '0')
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
    new_kid text := to_char(clock_timestamp() at time zone 'UTC', 'YYYYMMDD"T"HH24MISS') || '-' || auth_private.random_token(4);
begin
    insert into auth_private.signing_keys (kid, secret, signs_from)
    values (new_kid, ext.gen_random_bytes(32), now() + greatest(signs_in, interval '0'));
    return new_kid;
end
$$;
comment on function auth_private.add_signing_key(interval) is
    'Adds a signing key that signs tokens from signs_in on (motovault keys rotate adds it with a delay, publishes it to PostgREST, then activates it); returns its kid.';

create or replace function auth_private.activate_signing_key(kid text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
    update auth_private.signing_keys as k
    set signs_from = least(k.signs_from, now())
    where k.kid = activate_signing_key.kid
      and k.retired_at is null;
    if not found then
        raise exception using
            errcode = 'no_data_found',
            message = format('signing key %s: no such active key', activate_signing_key.kid);
    end if;
end
$$;
comment on function auth_private.activate_signing_key(text) is
    'Lets a key added by add_signing_key sign from now on (once PostgREST has loaded the JWKS that lists it).';

create or replace function auth_private.retire_signing_keys()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    retired integer;
begin
    update auth_private.signing_keys as k
    set retired_at = now()
    where k.retired_at is null
      and k.signs_from <= now()
      and k.kid is distinct from auth_private.current_signing_kid();
    get diagnostics retired = row_count;
    delete from auth_private.signing_keys as k where k.retired_at < now() - interval '1 day';
    return retired;
end
$$;
comment on function auth_private.retire_signing_keys() is
    'Retires the keys that signed before the current one (they stop signing for good; auth_private.jwks keeps listing them for the longest token lifetime, so their tokens stay valid until they expire); deletes keys retired more than a day ago. Returns how many were retired.';

create or replace function auth_private.current_signing_kid()
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select k.kid
    from auth_private.signing_keys as k
    where k.retired_at is null
      and k.signs_from <= now()
    order by k.signs_from desc, k.created_at desc
    limit 1
$$;
comment on function auth_private.current_signing_kid() is 'The key that signs tokens now: the newest active key whose signs_from has passed.';

create or replace function auth_private.sign_jwt(claims jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    key auth_private.signing_keys;
    signing_input text;
begin
    select * into key
    from auth_private.signing_keys as k
    where k.kid = auth_private.current_signing_kid();
    if not found then
        raise exception using
            errcode = 'object_not_in_prerequisite_state',
            message = 'signing key: none is active',
            hint = 'A DBA runs motovault keys rotate.';
    end if;
    signing_input := auth_private.base64url(convert_to(jsonb_build_object('alg', 'HS256', 'typ', 'JWT', 'kid', key.kid)::text, 'UTF8'))
        || '.' || auth_private.base64url(convert_to(claims::text, 'UTF8'));
    return signing_input || '.' || auth_private.base64url(ext.hmac(convert_to(signing_input, 'UTF8'), key.secret, 'sha256'));
end
$$;
comment on function auth_private.sign_jwt(jsonb) is 'A JWT of the claims, signed HS256 with the newest active key (its kid in the header).';

create or replace function auth_private.jwks(max_token_lifetime interval default interval '1 hour')
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select jsonb_build_object('keys', coalesce(jsonb_agg(jsonb_build_object(
               'kty', 'oct', 'alg', 'HS256', 'use', 'sig', 'kid', k.kid, 'k', auth_private.base64url(k.secret))
               order by k.created_at), '[]'::jsonb))
    from auth_private.signing_keys as k
    where k.retired_at is null
       or k.retired_at > now() - max_token_lifetime
$$;
comment on function auth_private.jwks(interval) is
    'The JWKS of the signing keys PostgREST must accept (active ones, and retired ones for max_token_lifetime): `motovault keys export` merges it with the OpenID Connect issuers'' public keys.';

-- the first key
select auth_private.add_signing_key();

commit;
