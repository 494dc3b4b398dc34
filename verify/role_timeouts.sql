-- Verify motovault:role_timeouts on pg: every role has its statement_timeout in this database

select 1 / (count(*) = 4)::integer
from pg_db_role_setting as s
join pg_roles as r on r.oid = s.setrole
join pg_database as d on d.oid = s.setdatabase
where d.datname = current_database()
  and r.rolname in ('app_user', 'analyst', 'anon', 'vin_worker')
  and exists (select from unnest(s.setconfig) as c where c like 'statement\_timeout=%');
select 1 / (position('pg_db_role_setting' in pg_get_functiondef('app.check_request()'::regprocedure)) > 0)::integer;
