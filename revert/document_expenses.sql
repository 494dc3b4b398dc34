-- Revert motovault:document_expenses from pg

begin;

set local lock_timeout = '5s';

-- documents attached to an expense lose the attachment (they keep their vehicle)
alter table app.documents drop constraint documents_one_record;
alter table app.documents drop column expense_id;
alter table app.documents
    add constraint documents_one_record check (num_nonnulls(fuel_log_id, maintenance_id, reminder_id) <= 1) not valid;

commit;
