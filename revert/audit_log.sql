-- Revert motovault:audit_log from pg

begin;

drop table audit.shared_record_version;
revoke select on audit.record_version from app_user;
revoke usage on schema audit from app_user;
drop table audit.record_version;

commit;
