-- Revert motovault:audit_log from pg

begin;

revoke select on audit.record_version from app_user;
revoke usage on schema audit from app_user;
drop table audit.record_version;

commit;
