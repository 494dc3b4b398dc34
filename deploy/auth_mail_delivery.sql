-- Deploy motovault:auth_mail_delivery to pg
-- requires: auth_mail_delivery@v1.2
-- requires: mail_outbox_void_checks
--
-- Reworked after @v1.2: app.auth_mail_claim first voids the pending mails whose token died while
-- they waited (a newer reset request replaced it; the invitation was revoked, accepted or expired;
-- mail_outbox_void), so a user never gets a reset mail whose token no longer works. A mail that a
-- worker holds already (running) is sent.

begin;

set local lock_timeout = '5s';

create or replace function app.auth_mail_claim(batch_size integer, worker text, lease_seconds integer default 60)
returns table (id bigint, kind text, recipient text, payload jsonb, attempts integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
    if batch_size is null or batch_size < 1 or lease_seconds is null or lease_seconds < 1 then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('batch_size, lease_seconds: must be 1 or more, got %s and %s', batch_size, lease_seconds);
    end if;
    -- mails whose token died while they waited (replaced by a newer reset request, used, revoked,
    -- expired): never sent (auth_private.mail_token_is_live)
    update auth_private.mail_outbox as m
    set status = 'void',
        last_error = 'not sent: its token was replaced, used, revoked or expired before delivery',
        lease_until = null
    where m.status = 'pending'
      and m.kind in ('password_reset', 'invitation')
      and not auth_private.mail_token_is_live(m.kind, m.payload);
    -- running mails whose lease expired: their worker died mid-batch; they are sent again
    update auth_private.mail_outbox as m
    set status = case when m.attempts >= app.notify_setting('notify_max_attempts', 8) then 'dead' else 'pending' end,
        last_error = format('lease of %s expired during attempt %s', m.leased_by, m.attempts),
        next_attempt_at = now(),
        lease_until = null
    where m.status = 'running'
      and m.lease_until < now();

    return query
    with picked as (
        select m.id
        from auth_private.mail_outbox as m
        where m.status = 'pending'
          and m.next_attempt_at <= now()
        order by m.next_attempt_at, m.id
        limit batch_size
        for update skip locked
    )
    update auth_private.mail_outbox as m
    set status = 'running',
        attempts = m.attempts + 1,
        lease_until = now() + make_interval(secs => lease_seconds),
        leased_by = worker
    from picked as p
    where m.id = p.id
    returning m.id, m.kind, m.recipient, m.payload, m.attempts;
end
$$;
comment on function app.auth_mail_claim(integer, text, integer) is
    'Voids the pending mails whose token died (auth_private.mail_token_is_live: replaced, used, revoked or expired), returns expired leases of dead workers to pending (or dead after the last attempt), then leases up to batch_size due mails of auth_private.mail_outbox (FOR UPDATE SKIP LOCKED) for lease_seconds. Returns what the worker sends: kind, recipient, payload (with the token: never log it).';

commit;
