-- Verify motovault:import_batches on pg

select tenant_id, sha256, content, byte_size from app.import_files where false;
select tenant_id, id, filename, file_sha256, format, date_order, currency, mapping, vehicle_id, status, detected_format,
       error, attempts, lease_until, leased_by, finished_at, confirmed_at, committed_at, undone_at, deleted_at
from app.import_batches where false;
select tenant_id, id, batch_id, key, name, vin, plate, details, vehicle_id, matched_by, created_vehicle_id
from app.import_vehicles where false;
select tenant_id, id, batch_id, line, vehicle_key, kind, fields, problems, status, error_field, error_rule, error_value,
       error_message, duplicate_of, fingerprint, record_table, record_id
from app.import_rows where false;
select id, status from api.import_batches where false;
select id, deleted_at from api.import_batches_trash where false;
select batch_id, key, action from api.import_vehicles where false;
select batch_id, line, status from api.import_rows where false;
select 'api.start_import(text, text, text, text, text, jsonb, uuid)'::regprocedure;
select 'api.upload_import(bytea)'::regprocedure;
select 'api.restore_import_batch(uuid)'::regprocedure;
select 'app.import_claim(integer, text, integer)'::regprocedure;
select 'app.import_stage(uuid, text, text, jsonb, jsonb)'::regprocedure;
select 'app.import_fail(uuid, text, text)'::regprocedure;
