-- Deploy motovault:report_requests to pg
-- requires: ownership_costs
-- requires: documents
--
-- Reports through the API. PostgREST runs SQL only, and a report is charts drawn by matplotlib and a
-- PDF laid out by WeasyPrint (Python), so the API path is a job, as thumbnails and imports are:
--   * POST /report_requests {kind: vehicle|fleet, vehicle_id (vehicle only), format: html|pdf} queues a
--     request of the active tenant (201; 400 naming the field for a bad kind, format or vehicle);
--   * the worker (motovault worker, thread "reports") claims it (FOR UPDATE SKIP LOCKED with a lease,
--     woken by NOTIFY report_render), reads the api views as the member who asked (set role app_user
--     and their claims: RLS as for their own requests), renders the same report as `motovault report`
--     and stores the bytes (app.report_finish): status pending -> running -> done (or failed after
--     the third error, with the error shown);
--   * GET /rpc/report_content?id=... downloads it with its Content-Type (text/html or application/pdf)
--     and Content-Disposition: attachment (the "*/*" media type handler, as document downloads);
--     404 for another tenant's or an unknown request, 409 while it is not rendered.
-- The bytes are kept on the request row (they are the job's output, not a record's attachment) and the
-- audit log keeps their size only (app.tg_audit_row_omitting, as app.document_files).

begin;

set local lock_timeout = '5s';

create table app.report_requests (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    kind text not null,
    vehicle_id uuid,
    format text not null default 'pdf',
    status text not null default 'pending',
    attempts integer not null default 0,
    lease_until timestamptz,
    error text,
    file_name text,
    content_type text,
    bytes integer,
    content bytea,
    rendered_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint report_requests_pkey primary key (tenant_id, id),
    constraint report_requests_kind_known check (kind in ('vehicle', 'fleet')),
    constraint report_requests_vehicle_id_with_kind check ((vehicle_id is not null) = (kind = 'vehicle')),
    constraint report_requests_format_known check (format in ('html', 'pdf')),
    constraint report_requests_status_known check (status in ('pending', 'running', 'done', 'failed')),
    constraint report_requests_attempts_not_negative check (attempts >= 0),
    constraint report_requests_error_length check (char_length(error) <= 1000),
    constraint report_requests_content_when_done
        check ((status = 'done') = (content is not null and content_type is not null and file_name is not null)),
    constraint report_requests_content_type_known check (content_type in ('text/html; charset=utf-8', 'application/pdf')),
    constraint report_requests_bytes_match check (bytes = octet_length(content))
);
comment on table app.report_requests is
    'Reports asked for through the API (a vehicle''s or the fleet''s, HTML or PDF), rendered by the worker: status, attempts, lease, error, and the rendered bytes with their media type and file name.';
select app.distribute_table('app.report_requests', 'tenant');
alter table app.report_requests
    add constraint report_requests_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint report_requests_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index report_requests_vehicle_idx on app.report_requests (tenant_id, vehicle_id);
create index report_requests_due on app.report_requests (lease_until nulls first, created_at)
    where status in ('pending', 'running') and deleted_at is null;

create or replace function app.tg_report_requests_prepare()
returns trigger
language plpgsql
as $$
begin
    new.kind := lower(btrim(new.kind));
    new.format := lower(btrim(new.format));
    return new;
end
$$;
comment on function app.tg_report_requests_prepare() is 'BEFORE INSERT OR UPDATE on report_requests: kind and format in lower case.';
create trigger _200_prepare before insert or update on app.report_requests
    for each row execute function app.tg_report_requests_prepare();

create or replace function app.tg_report_requests_notify()
returns trigger
language plpgsql
as $$
begin
    perform pg_notify('report_render', '');
    return null;
end
$$;
comment on function app.tg_report_requests_notify() is
    'AFTER INSERT on report_requests (per statement): wakes the report thread of the worker (LISTEN report_render).';
create trigger _500_report_notify after insert on app.report_requests
    for each statement execute function app.tg_report_requests_notify();

select app.enable_tenant_rules('app.report_requests');

-- the audit log keeps that a report was rendered and its size, not its bytes
drop trigger _900_audit_insert on app.report_requests;
drop trigger _900_audit_update on app.report_requests;
drop trigger _900_audit_delete on app.report_requests;
create trigger _900_audit after insert or update or delete on app.report_requests
    for each row execute function app.tg_audit_row_omitting('tenant_id', 'content');

create or replace view api.report_requests
with (security_invoker = true)
as
select r.tenant_id, r.id, r.kind, r.vehicle_id, r.format, r.status, r.attempts, r.error, r.file_name,
       r.content_type, r.bytes, r.rendered_at, r.created_at, r.updated_at, r.created_by, r.updated_by
from app.report_requests as r
where r.deleted_at is null;
comment on view api.report_requests is
    'Reports of the active tenant rendered by the worker: POST {kind: vehicle or fleet, vehicle_id (vehicle reports only), format: html or pdf (default)} queues one; status goes pending -> running -> done (or failed, with error); then GET /rpc/report_content?id=... downloads it. DELETE moves a request to report_requests_trash.';
comment on column api.report_requests.kind is 'vehicle (economy, cost per month, cost of ownership, service history, reminders of one vehicle) or fleet (cost of ownership of the tenant''s vehicles).';
comment on column api.report_requests.vehicle_id is 'The vehicle of a vehicle report; none for a fleet report.';
comment on column api.report_requests.format is 'html or pdf (default).';
comment on column api.report_requests.status is 'pending, running, done or failed (set by the worker).';
comment on column api.report_requests.attempts is 'Renderings started (a failed one is retried; the third failure is final).';
comment on column api.report_requests.error is 'Why the last rendering failed.';
comment on column api.report_requests.file_name is 'The download''s file name.';
comment on column api.report_requests.content_type is 'text/html; charset=utf-8 or application/pdf.';
comment on column api.report_requests.bytes is 'Size of the rendered report.';
comment on column api.report_requests.rendered_at is 'When the worker stored the report.';
select app.create_trash_api('api.report_requests', 'report_request', 'report requests');
grant select on api.report_requests to app_user;
grant insert (kind, vehicle_id, format) on api.report_requests to app_user;

create or replace function api.report_content(id uuid)
returns api."*/*"
language plpgsql
stable
as $$
declare
    r app.report_requests;
begin
    select * into r
    from app.report_requests as q
    where q.tenant_id = app.current_tenant_id() and q.id = report_content.id and q.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no report request %s', report_content.id),
            hint = 'GET /report_requests lists the report requests of the active tenant.';
    end if;
    if r.status <> 'done' then
        raise sqlstate 'PT409' using
            message = format('id: report %s is %s', r.id, r.status),
            detail = coalesce(r.error, 'not rendered yet'),
            hint = case when r.status = 'failed' then 'POST /report_requests again to retry.'
                        else 'The worker renders it shortly: GET /report_requests?id=eq.<id> shows its status.' end;
    end if;
    perform set_config('response.headers', json_build_array(
        json_build_object('Content-Type', r.content_type),
        json_build_object('Content-Disposition', app.document_disposition(r.file_name)),
        json_build_object('Cache-Control', 'private, no-cache'),
        json_build_object('X-Content-Type-Options', 'nosniff'),
        json_build_object('Content-Security-Policy', 'sandbox')
    )::text, true);
    return r.content;
end
$$;
comment on function api.report_content(uuid) is
    'Downloads a rendered report: its bytes with Content-Type (text/html or application/pdf) and Content-Disposition: attachment. 404 for a request that is not in the active tenant or is deleted, 409 while it is pending or running, or when it failed.';
grant execute on function api.report_content(uuid) to app_user;

-- the worker (motovault worker, as vin_worker)

create or replace function app.report_claim(batch_size integer, worker text, lease_seconds integer default 300)
returns table (tenant_id uuid, id uuid, kind text, vehicle_id uuid, format text, requested_by uuid)
language sql
security definer
set search_path = ''
as $$
    with due as (
        select r.tenant_id, r.id
        from app.report_requests as r
        where r.status in ('pending', 'running')
          and r.deleted_at is null
          and (r.lease_until is null or r.lease_until < pg_catalog.now())
        order by r.lease_until nulls first, r.created_at
        limit batch_size
        for update skip locked
    )
    update app.report_requests as r
    set status = 'running',
        lease_until = pg_catalog.now() + pg_catalog.make_interval(secs => lease_seconds),
        attempts = r.attempts + 1
    from due
    where r.tenant_id = due.tenant_id and r.id = due.id
    returning r.tenant_id, r.id, r.kind, r.vehicle_id, r.format, r.created_by
$$;
comment on function app.report_claim(integer, text, integer) is
    'Leases up to batch_size report requests due for rendering (pending, or running with an expired lease: a worker that died), FOR UPDATE SKIP LOCKED; returns what to render and who asked. worker names the claimer in logs.';

create or replace function app.report_finish(
    request_tenant uuid, request_id uuid, content bytea, content_type text, file_name text, error text
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
    update app.report_requests as r
    set status = case when report_finish.content is not null then 'done'
                      when r.attempts >= 3 then 'failed'
                      else 'pending' end,
        content = report_finish.content,
        content_type = case when report_finish.content is not null then report_finish.content_type end,
        file_name = case when report_finish.content is not null then report_finish.file_name end,
        bytes = pg_catalog.octet_length(report_finish.content),
        rendered_at = case when report_finish.content is not null then pg_catalog.now() end,
        error = left(report_finish.error, 1000),
        lease_until = case when report_finish.content is null
                           then pg_catalog.now() + pg_catalog.make_interval(secs => 30 * r.attempts) end
    where r.tenant_id = request_tenant and r.id = request_id and r.status = 'running';
    return found;
end
$$;
comment on function app.report_finish(uuid, uuid, bytea, text, text, text) is
    'Stores the worker''s rendered report (status done) or its error: retried after 30 s times the attempts, failed after the third.';

revoke execute on function app.report_claim(integer, text, integer),
    app.report_finish(uuid, uuid, bytea, text, text, text) from public;
grant execute on function app.report_claim(integer, text, integer),
    app.report_finish(uuid, uuid, bytea, text, text, text) to vin_worker;

-- the worker renders as the member who asked (set local role app_user, their claims): its login role
-- (the owner role, as for the other worker threads) must be able to SET ROLE app_user.
-- Not by a direct grant of app_user: the policies written TO app_user (the restrictive managers-only
-- ones among them) would then apply to the owner role too, and hide rows from the SECURITY DEFINER
-- functions it owns (app.notify_dispatch saw no subscription). The owner becomes a member through
-- act_as_member, a NOINHERIT role: SET ROLE app_user works (membership), the policies do not apply
-- (no inherited privileges), as for PostgREST's own NOINHERIT authenticator.
select 'create role act_as_member nologin noinherit'
where not exists (select from pg_roles where rolname = 'act_as_member')
\gexec
comment on role act_as_member is
    'motovault: lets the owner role SET ROLE app_user (the workers acting as a member) without inheriting app_user, so policies TO app_user never apply to the owner';
select 'grant app_user to act_as_member'
where not pg_has_role('act_as_member', 'app_user', 'member')
\gexec
select format('grant act_as_member to %I', current_user)
where not pg_has_role(current_user, 'act_as_member', 'member')
\gexec

commit;
