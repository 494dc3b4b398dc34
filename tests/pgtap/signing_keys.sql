-- Key rotation without signing anyone out: a new key is published before it signs, the old one
-- keeps verifying after it stops signing, for the longest token lifetime.
begin;
select plan(9);

create temporary table first_key as select auth_private.current_signing_kid() as kid;
select isnt((select kid from first_key), null, 'the deploy made a first key, which signs');

create temporary table pending as select auth_private.add_signing_key(interval '5 minutes') as kid;
select is(auth_private.current_signing_kid(), (select kid from first_key), 'a key added with a delay does not sign yet');
select ok(
    auth_private.jwks() -> 'keys' @> jsonb_build_array(jsonb_build_object('kid', (select kid from pending))),
    'but the JWKS for PostgREST lists it already'
);
select ok(
    split_part(auth_private.sign_jwt('{"sub": "x"}'), '.', 1)
        = auth_private.base64url(convert_to(jsonb_build_object('alg', 'HS256', 'typ', 'JWT', 'kid', (select kid from first_key))::text, 'UTF8')),
    'tokens are still signed with the first key (its kid in the header)'
);

select lives_ok(format('select auth_private.activate_signing_key(%L)', (select kid from pending)), 'activating the key');
select is(auth_private.current_signing_kid(), (select kid from pending), 'the new key signs once activated');
select throws_ok('select auth_private.activate_signing_key(''nope'')', 'P0002', 'signing key nope: no such active key', 'an unknown kid is refused');

select is(auth_private.retire_signing_keys(), 1, 'retiring retires the key that signed before');
select ok(
    auth_private.jwks() -> 'keys' @> jsonb_build_array(jsonb_build_object('kid', (select kid from first_key)))
    and not (auth_private.jwks(interval '0') -> 'keys' @> jsonb_build_array(jsonb_build_object('kid', (select kid from first_key)))),
    'a retired key stays in the JWKS for the token lifetime, then leaves it'
);

select * from finish();
rollback;
