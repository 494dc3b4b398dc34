-- Verify motovault:roles on pg

select 1 / count(*)::int
from pg_roles
where rolname = 'authenticator'
  and rolcanlogin
  and not rolinherit;

select 1 / (count(*) = 4)::int
from pg_roles
where rolname in ('anon', 'app_user', 'analyst', 'vin_worker')
  and not rolcanlogin;

select 1 / count(*)::int
from pg_auth_members as m
where m.roleid = 'app_user'::regrole
  and m.member = 'authenticator'::regrole;
