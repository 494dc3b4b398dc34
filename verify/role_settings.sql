-- Verify motovault:role_settings on pg

-- every API role has its statement_timeout in this database, and authenticator its planner setting
select 1 / (count(*) = 4)::integer
from pg_db_role_setting as s
join pg_roles as r on r.oid = s.setrole
join pg_database as d on d.oid = s.setdatabase
where d.datname = current_database()
  and r.rolname in ('app_user', 'analyst', 'anon', 'vin_worker')
  and exists (select from unnest(s.setconfig) as c where c like 'statement\_timeout=%');
select 1 / count(*)::integer
from pg_db_role_setting as s
join pg_database as d on d.oid = s.setdatabase
where d.datname = current_database()
  and s.setrole = 'authenticator'::regrole
  and 'constraint_exclusion=off' = any (s.setconfig);
