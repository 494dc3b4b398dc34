-- Deploy motovault:mail_outbox_void to pg
-- requires: auth_mail_outbox_checks
--
-- A mail that carries a token is only worth sending while its token works. A second reset request
-- replaces the first token; an invitation can be revoked, accepted or expire while its mail waits
-- (a backlog, an SMTP server down and retrying). Such a mail is now 'void': never sent, kept with
-- the reason in last_error. app.auth_mail_claim (auth_mail_delivery, reworked) voids them before
-- it leases; auth_private.mail_token_is_live says which are still worth sending.
-- The status check is replaced NOT VALID and validated by mail_outbox_void_checks (the pattern of
-- auth_mail_delivery and auth_mail_outbox_checks).

begin;

set local lock_timeout = '5s';

alter table auth_private.mail_outbox
    drop constraint mail_outbox_status_known,
    add constraint mail_outbox_status_known check (status in ('pending', 'running', 'sent', 'dead', 'void')) not valid;
comment on column auth_private.mail_outbox.status is
    'pending -> running (leased by the notify worker) -> sent, or pending again after a backoff, or dead after the last attempt; void: not sent because its token was replaced, used, revoked or expired before delivery.';

create or replace function auth_private.mail_token_is_live(kind text, payload jsonb)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select case kind
        when 'password_reset' then exists (
            select
            from auth_private.one_time_tokens as t
            where t.token_hash = auth_private.token_hash(payload ->> 'token')
              and t.purpose = 'password_reset'
              and t.used_at is null
              and t.expires_at > now())
        when 'invitation' then exists (
            select
            from auth_private.one_time_tokens as t
            join app.invitations as i
              on i.tenant_id = t.invitation_tenant_id
             and i.id = t.invitation_id
            where t.token_hash = auth_private.token_hash(payload ->> 'token')
              and t.purpose = 'invitation'
              and t.used_at is null
              and t.expires_at > now()
              and i.accepted_at is null
              and i.deleted_at is null)
        else true
    end
$$;
comment on function auth_private.mail_token_is_live(text, jsonb) is
    'Whether a mail of auth_private.mail_outbox is still worth sending: its reset token is unused, unexpired and not replaced by a newer request; its invitation is pending (not accepted, revoked or expired). Mail without a token (sign_up_existing_account) always is.';
revoke all on function auth_private.mail_token_is_live(text, jsonb) from public;

commit;
