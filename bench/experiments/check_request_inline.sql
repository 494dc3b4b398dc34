-- Experiment for bench/api_bench.py (scratch database only; not part of the sqitch plan):
-- app.check_request() with the same checks, but the membership lookup written inline in
-- PL/pgSQL (a plan cached per connection) instead of through app.current_member_role(), a
-- non-inlinable SQL function that PostgreSQL 15 re-plans on every call.
--
--   .venv/bin/python bench/api_bench.py --sql bench/experiments/check_request_inline.sql \
--       --full-env PGRST_DB_PRE_REQUEST=bench_exp.check_request \
--       --output bench/results/api_bench_check_request_inline.json
create schema bench_exp;
grant usage on schema bench_exp to anon, app_user;
create function bench_exp.check_request() returns void language plpgsql as $$
declare
    claims jsonb;
    uuid_pattern constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
    if current_user <> 'app_user' then return; end if;
    claims := coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb;
    if jsonb_typeof(claims -> 'sub') is distinct from 'string' or (claims ->> 'sub') !~ uuid_pattern then
        raise sqlstate 'PT401' using message = 'JWT sub claim: missing or not a UUID';
    end if;
    if claims ? 'tenant_id' then
        if jsonb_typeof(claims -> 'tenant_id') is distinct from 'string' or (claims ->> 'tenant_id') !~ uuid_pattern then
            raise sqlstate 'PT403' using message = 'JWT tenant_id claim: not a UUID';
        end if;
        perform from app.memberships as m
        where m.tenant_id = (claims ->> 'tenant_id')::uuid and m.user_id = (claims ->> 'sub')::uuid and m.deleted_at is null;
        if not found then
            raise sqlstate 'PT403' using message = format('user %s is not a member of tenant %s', claims ->> 'sub', claims ->> 'tenant_id');
        end if;
    end if;
end $$;
grant execute on function bench_exp.check_request() to anon, app_user;
