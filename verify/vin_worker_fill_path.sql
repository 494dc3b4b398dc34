-- Verify motovault:vin_worker_fill_path on pg

select 1 / (pg_get_functiondef('app.audit_row()'::regprocedure) like '%tg_level = ''STATEMENT''%')::int;

select 1 / count(*)
from pg_trigger
where tgrelid = 'app.vehicles'::regclass
  and tgname = 'vehicles_audit_vin_worker'
  and tgfoid = 'app.audit_row()'::regprocedure
  and tgtype & 1 = 0;  -- FOR EACH STATEMENT

select 1 / (pg_get_triggerdef(t.oid) like '%WHEN ((CURRENT_USER <> ''vin_worker''::name))%')::int
from pg_trigger as t
where t.tgrelid = 'app.vehicles'::regclass
  and t.tgname = 'vehicles_audit';

select 1 / (pg_get_functiondef('app.vehicles_prepare()'::regprocedure) like '%new.vin is distinct from old.vin%')::int;

select 1 / (attcompression = 'l')::int
from pg_attribute
where attrelid = 'app.vin_cache'::regclass
  and attname = 'raw_data';

select 1 / count(*)
from pg_class
where oid = 'app.vehicles'::regclass
  and 'fillfactor=50' = any(reloptions);
