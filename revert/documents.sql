-- Revert motovault:documents from pg: back to its @v1.2 definitions
-- requires: documents@v1.2
--
-- api.documents as @v1.2 defines it, keeping the appended column as NULL (a view cannot lose a column
-- in place; functions return its row type), so that document_expenses can drop the table column.

begin;

set local lock_timeout = '5s';

create or replace view api.documents
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, fuel_log_id, maintenance_id, reminder_id, kind, file_name, title, notes,
       content_type, bytes, sha256, file_id, created_at, updated_at, created_by, updated_by,
       null::uuid as expense_id
from app.documents
where deleted_at is null;
comment on view api.documents is
    'Documents of the active tenant: receipts, invoices, insurance cards, manuals attached to a vehicle or to one of its fill-ups, maintenance records or reminders. Upload with POST /rpc/upload_document (the bytes as application/octet-stream), download with GET /rpc/document_content?id=...; PATCH kind, title, notes or the record; DELETE moves a document to documents_trash.';
comment on column api.documents.vehicle_id is 'The vehicle (filled from the record when attached to one).';
comment on column api.documents.fuel_log_id is 'The fill-up it belongs to, if any (at most one record per document).';
comment on column api.documents.maintenance_id is 'The maintenance record it belongs to, if any.';
comment on column api.documents.reminder_id is 'The reminder it belongs to, if any.';

commit;
