-- Experiment for bench/api_bench.py --sql: an empty db-pre-request, the floor of what any pre-request
-- costs (PostgREST's extra statement, the function call), to split the full stack's cost into that
-- floor and the checks themselves:
--
--   .venv/bin/python bench/api_bench.py --sql bench/experiments/noop_pre_request.sql \
--       --variant-env PGRST_DB_PRE_REQUEST=bench_exp.noop_pre_request
--
-- Not a configuration to run: without the checks a revoked session or key keeps working.
create schema if not exists bench_exp;
grant usage on schema bench_exp to anon, app_user;
create or replace function bench_exp.noop_pre_request() returns void language plpgsql as $$ begin end $$;
grant execute on function bench_exp.noop_pre_request() to anon, app_user;
