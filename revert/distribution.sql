-- Revert motovault:distribution from pg

begin;

drop function app.distribute_table(regclass, text);

commit;
