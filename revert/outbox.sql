-- Revert motovault:outbox from pg: the triggers as @v1.3 made them (deploy/outbox@v1.3.sql; the
-- invitations' and the tenant purge's as deploy/outbox@v1.2.sql): one statement over the transition table.

begin;

set local lock_timeout = '5s';

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
    written bigint;
begin
    if tg_op = 'INSERT' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), record_type || '.created',
               n.vehicle_id, jsonb_build_object('id', n.id, 'vehicle_id', n.vehicle_id)
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select o.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), record_type || '.deleted',
               o.vehicle_id, jsonb_build_object('id', o.id, 'vehicle_id', o.vehicle_id)
        from old_rows as o
        where o.deleted_at is null;
    else
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()),
               record_type || case
                   when o.deleted_at is null and n.deleted_at is null then '.updated'
                   when o.deleted_at is null then '.deleted'
                   else '.restored'
               end,
               n.vehicle_id, jsonb_build_object('id', n.id, 'vehicle_id', n.vehicle_id)
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_records() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on a record table with a vehicle_id column (transition tables new_rows, old_rows): one outbox event per changed row, <record>.created / updated / deleted (soft delete) / restored, with {id, vehicle_id}, written by one INSERT ... SELECT per statement. Argument: the record type.';


create or replace function app.tg_outbox_vehicles()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    written bigint;
begin
    if tg_op = 'INSERT' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'vehicle.created',
               n.id, jsonb_build_object('id', n.id, 'vehicle_id', n.id)
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select o.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'vehicle.deleted',
               o.id, jsonb_build_object('id', o.id, 'vehicle_id', o.id)
        from old_rows as o
        where o.deleted_at is null;
    else
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()),
               case
                   when o.deleted_at is null and n.deleted_at is null then 'vehicle.updated'
                   when o.deleted_at is null then 'vehicle.deleted'
                   else 'vehicle.restored'
               end,
               n.id, jsonb_build_object('id', n.id, 'vehicle_id', n.id)
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
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
    written bigint;
begin
    if tg_op = 'INSERT' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'garage.created',
               null, jsonb_build_object('id', n.id, 'vehicle_id', null)
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select o.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'garage.deleted',
               null, jsonb_build_object('id', o.id, 'vehicle_id', null)
        from old_rows as o
        where o.deleted_at is null;
    else
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()),
               case
                   when o.deleted_at is null and n.deleted_at is null then 'garage.updated'
                   when o.deleted_at is null then 'garage.deleted'
                   else 'garage.restored'
               end,
               null, jsonb_build_object('id', n.id, 'vehicle_id', null)
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
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
begin
    insert into app.outbox_events (tenant_id, type, subject)
    select n.tenant_id, 'member.invited',
           jsonb_build_object('invitation_id', n.id, 'role', n.role, 'expires_at', n.expires_at)
    from new_rows as n;
    perform pg_notify('notify_outbox', '');
    return null;
end
$$;
comment on function app.tg_outbox_invitations() is
    'AFTER INSERT FOR EACH STATEMENT on invitations: a member.invited event per invitation (no address: the event goes to the tenant''s subscribers, not the invitee).';


create or replace function app.tg_purge_outbox_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    delete from app.outbox_events as e
    using old_rows as o
    where e.tenant_id = o.id;
    return null;
end
$$;
comment on function app.tg_purge_outbox_events() is
    'AFTER DELETE FOR EACH STATEMENT on tenants: deletes the outbox events of the deleted tenants (app.outbox_events has no foreign key to tenants: see deploy/outbox.sql).';

drop function app.outbox_write(bytea, uuid[], uuid[], uuid[], text[]);

commit;
