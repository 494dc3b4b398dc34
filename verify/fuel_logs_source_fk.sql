-- Verify motovault:fuel_logs_source_fk on pg

select 1 / (select count(*)::int from pg_constraint
            where conname = 'fuel_logs_source_fk' and conrelid = 'app.fuel_logs'::regclass and convalidated);
