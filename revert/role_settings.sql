-- Revert motovault:role_settings from pg

begin;

select format('alter role %I in database %I reset statement_timeout', r.role_name, current_database())
from unnest(array['app_user', 'analyst', 'anon', 'vin_worker']) as r (role_name)
\gexec

select format('alter role analyst in database %I reset idle_in_transaction_session_timeout', current_database())
\gexec

select format('alter role authenticator in database %I reset constraint_exclusion', current_database())
\gexec

commit;
