-- Verify motovault:documents on pg

select tenant_id, id, sha256, content_type, bytes, content, width, height, thumbnail, thumbnail_type, thumbnail_state,
       thumbnail_error, thumbnail_attempts, thumbnail_lease_until
from app.document_files
where false;
select tenant_id, id, file_id, vehicle_id, fuel_log_id, maintenance_id, reminder_id, kind, file_name, title, notes,
       content_type, bytes, sha256, deleted_at
from app.documents
where false;
select id from api.documents where false;
select id, deleted_at from api.documents_trash where false;
select id, thumbnail_state from api.document_files where false;
select 'api.upload_document(bytea)'::regprocedure, 'api.document_content(uuid)'::regprocedure,
       'api.document_thumbnail(uuid)'::regprocedure, 'api.restore_document(uuid)'::regprocedure,
       'app.document_thumbnail_claim(integer, text, integer)'::regprocedure,
       'app.document_thumbnail_finish(uuid, uuid, bytea, text, integer, integer, text)'::regprocedure;
select 1 / (app.document_content_type('\x89504e470d0a1a0a'::bytea) = 'image/png')::integer;
select expense_id from api.documents where false;
