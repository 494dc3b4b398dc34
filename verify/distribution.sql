-- Verify motovault:distribution on pg

select 'app.distribute_table(regclass, text)'::regprocedure;
