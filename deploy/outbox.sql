-- Deploy motovault:outbox to pg
-- requires: outbox@v1.3
--
-- Reworked after @v1.3: the record triggers wrote their events with one INSERT ... SELECT from the
-- transition table. On Citus a trigger runs on the shard, and Citus cannot plan such an insert into a
-- distributed table ("executor could not find named tuplestore", measured on the local cluster,
-- docs/citus.md). They now follow the rule of CONVENTIONS.md ("Triggers"): the transition tables are
-- read alone into local arrays, then the events are inserted one tenant at a time (one shard each):
-- by the trigger itself for one tenant (every API request), by app.outbox_write for more. The same
-- for the invitations' events and for the purge of a deleted tenant's events
-- (tests/test_citus_forms.py now finds any trigger that writes from a transition table). And a fix:
-- deleting a tenant left a <record>.deleted event of its cascaded rows behind (the cascade's
-- triggers run after the tenant's purge); rows deleted with their tenant now write none. The events, their ids (one
-- version 7 UUID per statement, then counting up: app.uuid_v7_step) and their order are unchanged.

begin;

set local lock_timeout = '5s';

create or replace function app.outbox_write(first_id bytea, tenant_ids uuid[], ids uuid[], vehicle_ids uuid[],
                                            types text[])
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    tenant uuid;
    written bigint := 0;
    n bigint;
begin
    if ids is null then
        return 0;  -- array_agg over no rows
    end if;
    for tenant in select distinct t from unnest(tenant_ids) as t loop
        continue when not exists (select from app.tenants as d where d.id = tenant);  -- deleted with its rows
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select tenant, app.uuid_v7_step(first_id, first_low, r.ord), r.type, r.vehicle_id,
               jsonb_build_object('id', r.id, 'vehicle_id', r.vehicle_id)
        from unnest(tenant_ids, ids, vehicle_ids, types) with ordinality as r(tenant_id, id, vehicle_id, type, ord)
        where r.tenant_id = tenant;
        get diagnostics n = row_count;
        written := written + n;
    end loop;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return written;
end
$$;
comment on function app.outbox_write(bytea, uuid[], uuid[], uuid[], text[]) is
    'The outbox events of a statement over several tenants (a statement of the owner role), from the arrays its trigger read from the transition tables (element i: tenant, row id, vehicle, event type): one INSERT per tenant (one shard on Citus), event ids counting up from first_id (uuid_send of one app.uuid_v7()) in array order, then one pg_notify; none for a tenant that no longer exists (its rows were deleted with it). Returns how many it wrote. A one-tenant statement (every API request) is written by the trigger itself.';
revoke all on function app.outbox_write(bytea, uuid[], uuid[], uuid[], text[]) from public;

create or replace function app.tg_outbox_records()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    record_type constant text := tg_argv[0];
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    tenant_ids uuid[];
    ids uuid[];
    vehicle_ids uuid[];
    types text[];
begin
    -- 1. the transition tables alone (no other table in the query: on Citus it runs on the shard)
    if tg_op = 'INSERT' then
        select array_agg(n.tenant_id), array_agg(n.id), array_agg(n.vehicle_id), array_agg(record_type || '.created')
        into tenant_ids, ids, vehicle_ids, types
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        select array_agg(o.tenant_id), array_agg(o.id), array_agg(o.vehicle_id), array_agg(record_type || '.deleted')
        into tenant_ids, ids, vehicle_ids, types
        from old_rows as o
        where o.deleted_at is null;
    else
        select array_agg(n.tenant_id), array_agg(n.id), array_agg(n.vehicle_id),
               array_agg(record_type || case
                   when o.deleted_at is null and n.deleted_at is null then '.updated'
                   when o.deleted_at is null then '.deleted'
                   else '.restored'
               end)
        into tenant_ids, ids, vehicle_ids, types
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    if ids is null then
        return null;  -- no live row changed
    end if;
    -- 2. the events: one tenant (every API request) in one insert, here; more, one insert per tenant
    if tenant_ids[1] = all(tenant_ids) then
        if tg_op = 'DELETE' and not exists (select from app.tenants as t where t.id = tenant_ids[1]) then
            return null;  -- the rows went with their tenant (a cascade after app.tg_purge_outbox_events)
        end if;
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select tenant_ids[1], app.uuid_v7_step(first_id, first_low, r.ord), r.type, r.vehicle_id,
               jsonb_build_object('id', r.id, 'vehicle_id', r.vehicle_id)
        from unnest(ids, vehicle_ids, types) with ordinality as r(id, vehicle_id, type, ord);
        perform pg_notify('notify_outbox', '');
    else
        perform app.outbox_write(first_id, tenant_ids, ids, vehicle_ids, types);
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_records() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on a record table with a vehicle_id column (transition tables new_rows, old_rows): one outbox event per changed row, <record>.created / updated / deleted (soft delete) / restored, with {id, vehicle_id}. Reads the transition tables alone into arrays, then inserts per tenant (app.outbox_write when there are several). Argument: the record type.';

create or replace function app.tg_outbox_vehicles()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    tenant_ids uuid[];
    ids uuid[];
    vehicle_ids uuid[];
    types text[];
begin
    -- 1. the transition tables alone (no other table in the query: on Citus it runs on the shard)
    if tg_op = 'INSERT' then
        select array_agg(n.tenant_id), array_agg(n.id), array_agg(n.id), array_agg('vehicle' || '.created')
        into tenant_ids, ids, vehicle_ids, types
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        select array_agg(o.tenant_id), array_agg(o.id), array_agg(o.id), array_agg('vehicle' || '.deleted')
        into tenant_ids, ids, vehicle_ids, types
        from old_rows as o
        where o.deleted_at is null;
    else
        select array_agg(n.tenant_id), array_agg(n.id), array_agg(n.id),
               array_agg('vehicle' || case
                   when o.deleted_at is null and n.deleted_at is null then '.updated'
                   when o.deleted_at is null then '.deleted'
                   else '.restored'
               end)
        into tenant_ids, ids, vehicle_ids, types
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    if ids is null then
        return null;  -- no live row changed
    end if;
    -- 2. the events: one tenant (every API request) in one insert, here; more, one insert per tenant
    if tenant_ids[1] = all(tenant_ids) then
        if tg_op = 'DELETE' and not exists (select from app.tenants as t where t.id = tenant_ids[1]) then
            return null;  -- the rows went with their tenant (a cascade after app.tg_purge_outbox_events)
        end if;
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select tenant_ids[1], app.uuid_v7_step(first_id, first_low, r.ord), r.type, r.vehicle_id,
               jsonb_build_object('id', r.id, 'vehicle_id', r.vehicle_id)
        from unnest(ids, vehicle_ids, types) with ordinality as r(id, vehicle_id, type, ord);
        perform pg_notify('notify_outbox', '');
    else
        perform app.outbox_write(first_id, tenant_ids, ids, vehicle_ids, types);
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_vehicles() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on vehicles: as app.tg_outbox_records, with the vehicle''s own id as vehicle_id.';

create or replace function app.tg_outbox_garages()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    tenant_ids uuid[];
    ids uuid[];
    vehicle_ids uuid[];
    types text[];
begin
    -- 1. the transition tables alone (no other table in the query: on Citus it runs on the shard)
    if tg_op = 'INSERT' then
        select array_agg(n.tenant_id), array_agg(n.id), array_agg(null::uuid), array_agg('garage' || '.created')
        into tenant_ids, ids, vehicle_ids, types
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        select array_agg(o.tenant_id), array_agg(o.id), array_agg(null::uuid), array_agg('garage' || '.deleted')
        into tenant_ids, ids, vehicle_ids, types
        from old_rows as o
        where o.deleted_at is null;
    else
        select array_agg(n.tenant_id), array_agg(n.id), array_agg(null::uuid),
               array_agg('garage' || case
                   when o.deleted_at is null and n.deleted_at is null then '.updated'
                   when o.deleted_at is null then '.deleted'
                   else '.restored'
               end)
        into tenant_ids, ids, vehicle_ids, types
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    if ids is null then
        return null;  -- no live row changed
    end if;
    -- 2. the events: one tenant (every API request) in one insert, here; more, one insert per tenant
    if tenant_ids[1] = all(tenant_ids) then
        if tg_op = 'DELETE' and not exists (select from app.tenants as t where t.id = tenant_ids[1]) then
            return null;  -- the rows went with their tenant (a cascade after app.tg_purge_outbox_events)
        end if;
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select tenant_ids[1], app.uuid_v7_step(first_id, first_low, r.ord), r.type, r.vehicle_id,
               jsonb_build_object('id', r.id, 'vehicle_id', r.vehicle_id)
        from unnest(ids, vehicle_ids, types) with ordinality as r(id, vehicle_id, type, ord);
        perform pg_notify('notify_outbox', '');
    else
        perform app.outbox_write(first_id, tenant_ids, ids, vehicle_ids, types);
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_garages() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on garages: as app.tg_outbox_records, with no vehicle (vehicle_id null).';

create or replace function app.tg_outbox_invitations()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    invites jsonb;
    tenant uuid;
begin
    -- 1. the transition table alone; 2. one insert per tenant (CONVENTIONS.md, "Triggers")
    select jsonb_agg(jsonb_build_object('tenant_id', n.tenant_id, 'invitation_id', n.id, 'role', n.role,
                                        'expires_at', n.expires_at))
    into invites
    from new_rows as n;
    for tenant in select distinct (i ->> 'tenant_id')::uuid from jsonb_array_elements(invites) as i loop
        insert into app.outbox_events (tenant_id, type, subject)
        select tenant, 'member.invited', i - 'tenant_id'
        from jsonb_array_elements(invites) as i
        where (i ->> 'tenant_id')::uuid = tenant;
    end loop;
    perform pg_notify('notify_outbox', '');
    return null;
end
$$;
comment on function app.tg_outbox_invitations() is
    'AFTER INSERT FOR EACH STATEMENT on invitations: a member.invited event per invitation (no address: the event goes to the tenant''s subscribers, not the invitee). Reads the transition table alone, then inserts per tenant.';

create or replace function app.tg_purge_outbox_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    tenant uuid;
begin
    for tenant in select o.id from old_rows as o loop  -- the transition table alone, then per tenant
        delete from app.outbox_events where tenant_id = tenant;
    end loop;
    return null;
end
$$;
comment on function app.tg_purge_outbox_events() is
    'AFTER DELETE FOR EACH STATEMENT on tenants: deletes the outbox events of the deleted tenants, one tenant at a time (app.outbox_events has no foreign key to tenants: see deploy/outbox@v1.2.sql).';

commit;
