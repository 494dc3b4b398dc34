-- Revert motovault:schemas from pg

begin;

alter default privileges grant execute on functions to public;

drop extension pg_trgm;
drop extension cube;
drop schema ext;
drop schema analytics;
drop schema audit;
drop schema api;
drop schema app;

commit;
