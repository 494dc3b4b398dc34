-- Revert motovault:documents from pg

begin;

drop function app.document_thumbnail_finish(uuid, uuid, bytea, text, integer, integer, text);
drop function app.document_thumbnail_claim(integer, text, integer);
drop function api.document_thumbnail(uuid);
drop function api.document_content(uuid);
drop function app.document_disposition(text);
drop function api.upload_document(bytea);
drop function app.document_header_fields();
drop function app.percent_decode(text);
drop domain api."*/*";
drop view api.document_files;
drop function api.restore_document(uuid);
drop view api.documents_trash;
drop view api.documents;
drop table app.documents;
drop function app.tg_documents_release_file();
drop function app.tg_documents_prepare();
drop function app.document_record_columns();
drop table app.document_files;
drop function app.tg_audit_row_omitting();
drop function app.tg_document_files_thumbnail_notify();
drop function app.tg_document_files_prepare();
drop function app.document_image_size(bytea, text);
drop function app.document_truncation(bytea, text);
drop function app.document_content_type(bytea);
drop function app.document_max_bytes();

commit;
