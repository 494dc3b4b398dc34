-- Revert motovault:schemas from pg

begin;

alter default privileges grant execute on functions to public;

drop schema analytics;
drop schema audit;
drop schema api;
drop schema app;

commit;
