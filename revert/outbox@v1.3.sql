-- Revert motovault:outbox from pg: the record triggers as @v1.2 made them (deploy/outbox@v1.2.sql):
-- one app.tg_outbox_records with EXECUTE format(...) for every table, event ids from the column
-- default app.uuid_v7().

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
    new_vehicle constant text := case when tg_nargs > 1 then 'n.' || quote_ident(tg_argv[1]) else 'null::uuid' end;
    old_vehicle constant text := case when tg_nargs > 1 then 'o.' || quote_ident(tg_argv[1]) else 'null::uuid' end;
    written bigint;
begin
    if tg_op = 'INSERT' then
        execute format(
            'insert into app.outbox_events (tenant_id, type, vehicle_id, subject)
             select n.tenant_id, %L, %s, jsonb_build_object(''id'', n.id, ''vehicle_id'', %s)
             from new_rows as n
             where n.deleted_at is null',
            record_type || '.created', new_vehicle, new_vehicle);
    elsif tg_op = 'DELETE' then
        execute format(
            'insert into app.outbox_events (tenant_id, type, vehicle_id, subject)
             select o.tenant_id, %L, %s, jsonb_build_object(''id'', o.id, ''vehicle_id'', %s)
             from old_rows as o
             where o.deleted_at is null',
            record_type || '.deleted', old_vehicle, old_vehicle);
    else
        execute format(
            'insert into app.outbox_events (tenant_id, type, vehicle_id, subject)
             select n.tenant_id, %L || case
                        when o.deleted_at is null and n.deleted_at is null then ''.updated''
                        when o.deleted_at is null then ''.deleted''
                        else ''.restored''
                    end,
                    %s, jsonb_build_object(''id'', n.id, ''vehicle_id'', %s)
             from new_rows as n
             join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
             where (o.deleted_at is null or n.deleted_at is null)',
            record_type, new_vehicle, new_vehicle);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_records() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on a record table (transition tables new_rows, old_rows): one outbox event per changed row, <record>.created / updated / deleted (soft delete) / restored, with {id, vehicle_id}; written by one INSERT ... SELECT per statement. Arguments: the record type and the vehicle id column (none for vehicles'' own id: pass id).';

do $$
declare
    t record;
begin
    for t in
        select *
        from (values
            ('app.vehicles', '''vehicle'', ''id'''),
            ('app.garages', '''garage''')
        ) as v(tbl, args)
    loop
        execute format('drop trigger _800_outbox_insert on %s', t.tbl);
        execute format('drop trigger _800_outbox_update on %s', t.tbl);
        execute format('drop trigger _800_outbox_delete on %s', t.tbl);
        execute format(
            'create trigger _800_outbox_insert after insert on %s referencing new table as new_rows '
            'for each statement execute function app.tg_outbox_records(%s)', t.tbl, t.args);
        execute format(
            'create trigger _800_outbox_update after update on %s referencing old table as old_rows new table as new_rows '
            'for each statement execute function app.tg_outbox_records(%s)', t.tbl, t.args);
        execute format(
            'create trigger _800_outbox_delete after delete on %s referencing old table as old_rows '
            'for each statement execute function app.tg_outbox_records(%s)', t.tbl, t.args);
    end loop;
end
$$;

drop function app.tg_outbox_garages();
drop function app.tg_outbox_vehicles();
drop function app.uuid_v7_low_bits(bytea);
drop function app.uuid_v7_step(bytea, bigint, bigint);

commit;
