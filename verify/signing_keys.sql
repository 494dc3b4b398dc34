-- Verify motovault:signing_keys on pg

select 1 / (jsonb_array_length(auth_private.jwks() -> 'keys') >= 1)::integer;
select 1 / (auth_private.sign_jwt('{"sub": "x"}') ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$')::integer;
select 1 / (auth_private.current_signing_kid() is not null)::integer;
