-- Deploy motovault:auth_private to pg
-- requires: schemas
--
-- auth_private: where secrets live (password hashes, refresh-token, API-key and one-time-token
-- hashes, signing keys, mail that carries a token). No API or analyst role has USAGE on it, so no
-- request can read it whatever the grants inside; only SECURITY DEFINER functions with
-- search_path = '' touch it (the catalog walk, tests/pgtap/auth_private.sql, proves both).
-- pgcrypto (trusted) in schema ext: bcrypt (crypt, gen_salt), HMAC-SHA256, random bytes.

begin;

set local lock_timeout = '5s';

create schema auth_private;
comment on schema auth_private is
    'Secrets: password, refresh-token, API-key and one-time-token hashes, signing keys. No API role may use this schema; SECURITY DEFINER functions reach it.';
revoke all on schema auth_private from public;

create extension pgcrypto schema ext;

create or replace function auth_private.base64url(data bytea)
returns text
language sql
immutable
strict
parallel safe
return translate(trim(trailing '=' from replace(encode(data, 'base64'), E'\n', '')), '+/', '-_');
comment on function auth_private.base64url(bytea) is 'RFC 4648 base64url without padding (JWT segments, tokens).';

create or replace function auth_private.random_token(bytes integer default 32)
returns text
language sql
volatile
strict
return auth_private.base64url(ext.gen_random_bytes(bytes));
comment on function auth_private.random_token(integer) is 'A random token of the given number of bytes (default 32), base64url.';

create or replace function auth_private.token_hash(token text)
returns bytea
language sql
immutable
strict
parallel safe
return ext.digest(convert_to(token, 'UTF8'), 'sha256');
comment on function auth_private.token_hash(text) is
    'SHA-256 of a token: refresh tokens, API keys and one-time tokens are random 256-bit values, stored only as this hash.';

commit;
