-- Revert motovault:roles from pg
--
-- Roles are shared by every database of the cluster. They are dropped only
-- when no other database still depends on any of them (pg_shdepend), so
-- reverting one database never breaks another.

begin;

do $$
declare
    motovault_roles constant text[] := array['authenticator', 'anon', 'app_user', 'analyst', 'vin_worker'];
    role_name text;
begin
    if exists (
        select
        from pg_shdepend as dep
        join pg_database as db on db.oid = dep.dbid
        where dep.refclassid = 'pg_authid'::regclass
          and dep.refobjid in (select oid from pg_roles where rolname = any (motovault_roles))
          and db.datname <> current_database()
    ) then
        raise notice 'motovault roles kept: another database of this cluster uses them';
        return;
    end if;
    foreach role_name in array motovault_roles loop
        execute format('drop role if exists %I', role_name);
    end loop;
end
$$;

commit;
