-- Deploy motovault:distribution to pg
-- requires: schemas
--
-- Where a table lives when the database grows into a Citus cluster (the scale-out path, docs/dba.md).
-- Every deploy script calls app.distribute_table() right after a CREATE TABLE and adds the table's
-- foreign keys after that call (Citus cannot create a table that carries a foreign key to a distributed
-- table, and a table must be distributed before other tables reference it):
--   'tenant'     a tenant table: distributed by tenant_id, co-located with every other tenant table
--   'reference'  a shared table that tenant tables reference (tenants, users, stations): on every node
--   'local'      stays on the coordinator (the VIN worker's queue and cache, read by no tenant query)
-- On plain PostgreSQL (no citus extension) the call only checks its arguments: every table stays local.

begin;

set local lock_timeout = '5s';

create or replace function app.distribute_table(target regclass, placement text)
returns void
language plpgsql
as $$
begin
    if placement is null or placement not in ('tenant', 'reference', 'local') then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('placement: must be tenant, reference or local, got %s', coalesce(placement, 'null'));
    end if;
    if placement = 'tenant' and not exists (
        select from pg_attribute where attrelid = target and attname = 'tenant_id' and not attisdropped
    ) then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('placement: %s has no tenant_id to be distributed by', target);
    end if;
    if placement = 'local' or not exists (select from pg_extension where extname = 'citus') then
        return;
    end if;
    if placement = 'reference' then
        execute format('select create_reference_table(%L)', target);
    else
        execute format('select create_distributed_table(%L, %L)', target, 'tenant_id');
    end if;
end
$$;
comment on function app.distribute_table(regclass, text) is
    'Called by every deploy script right after CREATE TABLE, before the table''s foreign keys: on a Citus coordinator it distributes a tenant table by tenant_id (co-located with the others) or makes a shared table a reference table; on plain PostgreSQL, and for placement local, the table stays where it is.';

commit;
