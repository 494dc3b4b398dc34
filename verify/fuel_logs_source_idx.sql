-- Verify motovault:fuel_logs_source_idx on pg

select 'app.fuel_logs_source_idx'::regclass;
select 1 / (select count(*)::int from pg_index where indexrelid = 'app.fuel_logs_source_idx'::regclass and indisvalid);
