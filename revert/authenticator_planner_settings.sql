-- Revert motovault:authenticator_planner_settings from pg

begin;

set local lock_timeout = '5s';

select format('alter role authenticator in database %I reset constraint_exclusion', current_database())
\gexec

commit;
