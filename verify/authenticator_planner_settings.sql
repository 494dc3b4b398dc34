-- Verify motovault:authenticator_planner_settings on pg: authenticator plans without constraint exclusion here

select 1 / count(*)
from pg_db_role_setting as s
join pg_roles as r on r.oid = s.setrole
join pg_database as d on d.oid = s.setdatabase
where d.datname = current_database()
  and r.rolname = 'authenticator'
  and 'constraint_exclusion=off' = any(s.setconfig);
