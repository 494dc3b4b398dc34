-- Deploy motovault:auth_mail_delivery to pg
-- requires: accounts
-- requires: invitations
-- requires: notify_deliveries
--
-- The notify worker delivers auth_private.mail_outbox (password reset, invitation, sign-up with an
-- existing address) over SMTP, to the address in the row: these mails are per user, never sent to
-- a tenant's subscriptions. The rows get the deliveries' life cycle:
--   pending -> running (leased) -> sent, or pending again after a backoff, or dead after the last
--   attempt (motovault.notify_max_attempts, motovault.notify_backoff_seconds: the same settings).
--   app.auth_mail_claim(n, worker, lease)   leases up to n due mails (FOR UPDATE SKIP LOCKED); a
--                                           lease of a dead worker expires and the mail comes back
--   app.auth_mail_finish(results, worker)   records a batch of attempts in one statement
-- The worker role (notify_worker) reaches the table only through these two functions. An insert
-- wakes the worker (NOTIFY notify_outbox). The checks are added NOT VALID and validated by
-- auth_mail_outbox_checks; the due and lease indexes are built concurrently by auth_mail_outbox_idx.

begin;

set local lock_timeout = '5s';

alter table auth_private.mail_outbox
    add column status text not null default 'pending',
    add column attempts integer not null default 0,
    add column next_attempt_at timestamptz not null default now(),
    add column lease_until timestamptz,
    add column leased_by text,
    add column last_error text;
-- mails written before this change: the ones already marked sent stay sent
update auth_private.mail_outbox set status = 'sent' where sent_at is not null;
alter table auth_private.mail_outbox
    add constraint mail_outbox_status_known check (status in ('pending', 'running', 'sent', 'dead')) not valid,
    add constraint mail_outbox_attempts_not_negative check (attempts >= 0) not valid,
    add constraint mail_outbox_status_running_has_lease
        check (status <> 'running' or (lease_until is not null and leased_by is not null)) not valid,
    add constraint mail_outbox_sent_at_iff_sent check ((status = 'sent') = (sent_at is not null)) not valid;
comment on column auth_private.mail_outbox.status is
    'pending -> running (leased by the notify worker) -> sent, or pending again after a backoff, or dead after the last attempt.';
comment on column auth_private.mail_outbox.attempts is 'SMTP attempts so far.';
comment on column auth_private.mail_outbox.next_attempt_at is 'When a pending mail is due (after a failure: an exponential backoff with jitter).';
comment on column auth_private.mail_outbox.lease_until is 'A running mail comes back to pending after this (its worker died).';
comment on column auth_private.mail_outbox.leased_by is 'The worker that leased the mail (host:pid).';
comment on column auth_private.mail_outbox.last_error is 'Why the last attempt failed (the SMTP answer or the connection error; never the token).';

create or replace function auth_private.mail_outbox_wake()
returns trigger
language plpgsql
as $$
begin
    perform pg_notify('notify_outbox', '');
    return null;
end
$$;
comment on function auth_private.mail_outbox_wake() is 'Wakes the notify worker (LISTEN notify_outbox) after mail is written.';
create trigger mail_outbox_wake after insert on auth_private.mail_outbox
    for each statement execute function auth_private.mail_outbox_wake();

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
    'Leases up to batch_size due mails of auth_private.mail_outbox (FOR UPDATE SKIP LOCKED) for lease_seconds, after returning expired leases of dead workers to pending (or dead after the last attempt). Returns what the worker sends: kind, recipient, payload (with the token: never log it).';

create or replace function app.auth_mail_finish(results jsonb, worker text)
returns table (sent integer, retrying integer, dead integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
    max_attempts constant numeric := app.notify_setting('notify_max_attempts', 8);
    backoff constant numeric := app.notify_setting('notify_backoff_seconds', 10);
begin
    return query
    with r as (
        select *
        from jsonb_to_recordset(results) as r(id bigint, ok boolean, error text)
    ),
    finished as (
        update auth_private.mail_outbox as m
        set status = case when r.ok then 'sent' when m.attempts >= max_attempts then 'dead' else 'pending' end,
            sent_at = case when r.ok then now() end,
            next_attempt_at = case
                when r.ok then m.next_attempt_at
                else now() + make_interval(secs => least(3600, backoff * power(2, greatest(m.attempts - 1, 0))) * (0.5 + random()))
            end,
            last_error = case when r.ok then null else left(r.error, 2000) end,
            lease_until = null
        from r
        where m.id = r.id
          and m.status = 'running'
          and m.leased_by = worker
        returning m.status
    )
    select count(*) filter (where f.status = 'sent')::integer,
           count(*) filter (where f.status = 'pending')::integer,
           count(*) filter (where f.status = 'dead')::integer
    from finished as f;
end
$$;
comment on function app.auth_mail_finish(jsonb, text) is
    'Records a batch of SMTP attempts ([{id, ok, error}]) of the mails this worker leased: sent, or pending again after an exponential backoff with jitter (motovault.notify_backoff_seconds, doubling, at most an hour), or dead after motovault.notify_max_attempts. A mail whose lease was taken over is left alone.';

revoke all on function app.auth_mail_claim(integer, text, integer), app.auth_mail_finish(jsonb, text) from public;
grant execute on function app.auth_mail_claim(integer, text, integer), app.auth_mail_finish(jsonb, text) to notify_worker;

commit;
