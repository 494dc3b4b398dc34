-- Deploy motovault:recalls to pg
-- requires: vehicles
-- requires: table_rules
-- requires: vin_decode_queue
--
-- NHTSA safety recalls per vehicle. app.recall_checks is the shared cache and work queue: one row per
-- (make, model, model year) that some vehicle has, with NHTSA's last answer and when to ask again. The
-- worker (motovault worker --recalls, as vin_worker) claims due rows (FOR UPDATE SKIP LOCKED, a lease),
-- asks api.nhtsa.gov politely (one request at a time, a pause between, backoff on failures) and hands
-- the answer to app.recall_check_finish, which caches it and adds the recalls every matching vehicle
-- lacks to app.vehicle_recalls, in one transaction. A vehicle whose make/model/year gets known (typed
-- or filled by VIN decoding) gets the cached recalls at once and queues a check when there is none.
-- Each new recall of a vehicle is announced for the notifications outbox (app.announce_vehicle_recall).

begin;

set local lock_timeout = '5s';

create or replace function app.recall_key(value text)
returns text
language sql
immutable
strict
as $$
    select nullif(upper(regexp_replace(btrim(value), '\s+', ' ', 'g')), '')
$$;
comment on function app.recall_key(text) is
    'How makes and models are compared with NHTSA''s: trimmed, inner white space collapsed, upper case.';

create table app.recall_checks (
    id bigint generated always as identity,
    make text not null,
    model text not null,
    model_year integer not null,
    status text not null default 'due',
    results jsonb,
    result_count integer,
    checked_at timestamptz,
    next_check_at timestamptz not null default now(),
    attempts integer not null default 0,
    leased_by text,
    lease_until timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint recall_checks_pkey primary key (id),
    constraint recall_checks_vehicle_unique unique (make, model, model_year),
    constraint recall_checks_make_key check (make = app.recall_key(make)),
    constraint recall_checks_model_key check (model = app.recall_key(model)),
    constraint recall_checks_model_year_range check (model_year between 1949 and 2200),
    constraint recall_checks_status_valid check (status in ('due', 'running', 'done', 'failed')),
    constraint recall_checks_results_array check (results is null or jsonb_typeof(results) = 'array'),
    constraint recall_checks_lease_when_running check ((status = 'running') = (lease_until is not null)),
    constraint recall_checks_last_error_length check (char_length(last_error) <= 1000)
);
comment on table app.recall_checks is
    'Shared cache and work queue of NHTSA recall checks: one row per make, model and model year some vehicle has (keys of app.recall_key), NHTSA''s last results, when to check again; written by the worker through app.recall_check_*.';
select app.distribute_table('app.recall_checks', 'local');
create index recall_checks_due on app.recall_checks (next_check_at) where status in ('due', 'done', 'failed');
alter table app.recall_checks enable row level security;
alter table app.recall_checks force row level security;
create policy recall_checks_owner_role_all on app.recall_checks for all to motovault_owner using (true) with check (true);

create or replace function app.recall_setting(name text, fallback integer)
returns integer
language sql
stable
as $$
    select coalesce(nullif(current_setting('motovault.recall_' || name, true), '')::integer, fallback)
$$;
comment on function app.recall_setting(text, integer) is
    'A recall check setting (motovault.recall_<name>, ALTER DATABASE ... SET): refresh_days (7), retry_minutes (15), max_attempts (6).';

create table app.vehicle_recalls (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    campaign_number text not null,
    component text,
    summary text,
    consequence text,
    remedy text,
    notes text,
    manufacturer text,
    report_received_on date,
    park_it boolean not null default false,
    park_outside boolean not null default false,
    over_the_air boolean not null default false,
    status text not null default 'open',
    fixed_on date,
    owner_note text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint vehicle_recalls_pkey primary key (tenant_id, id),
    constraint vehicle_recalls_one_per_campaign unique (tenant_id, vehicle_id, campaign_number),
    constraint vehicle_recalls_campaign_number_format check (campaign_number ~ '^[0-9]{2}[A-Z][0-9]{6}$'),
    constraint vehicle_recalls_status_valid check (status in ('open', 'fixed')),
    constraint vehicle_recalls_fixed_on_with_status check ((status = 'fixed') = (fixed_on is not null)),
    constraint vehicle_recalls_fixed_on_sane check (fixed_on between date '1949-01-01' and current_date + 1),
    constraint vehicle_recalls_owner_note_length check (char_length(owner_note) <= 2000),
    constraint vehicle_recalls_texts_length
        check (char_length(coalesce(component, '') || coalesce(summary, '') || coalesce(consequence, '')
                           || coalesce(remedy, '') || coalesce(notes, '') || coalesce(manufacturer, '')) <= 40000)
);
comment on table app.vehicle_recalls is
    'NHTSA safety recalls of vehicles (one row per vehicle and campaign, added by the recall check); the owner marks each open or fixed.';
select app.distribute_table('app.vehicle_recalls', 'tenant');
alter table app.vehicle_recalls
    add constraint vehicle_recalls_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint vehicle_recalls_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index vehicle_recalls_vehicle_recent
    on app.vehicle_recalls (tenant_id, vehicle_id, report_received_on desc, campaign_number);

create or replace function app.tg_vehicle_recalls_guard()
returns trigger
language plpgsql
as $$
-- tg_argv[0]: the API role; what NHTSA says is not theirs to write
declare
    api_role constant name := tg_argv[0];
    changed text;
begin
    if current_user = api_role then
        if tg_op = 'INSERT' then
            raise exception using
                errcode = 'insufficient_privilege',
                message = 'vehicle_recalls: recalls come from the NHTSA check, they are not added by hand',
                hint = 'Give the vehicle its make, model and year: the worker checks NHTSA for it.';
        end if;
        select string_agg(key, ', ' order by key) into changed
        from jsonb_each(to_jsonb(new)) as n
        where key not in ('status', 'fixed_on', 'owner_note', 'deleted_at', 'updated_at', 'updated_by')
          and n.value is distinct from to_jsonb(old) -> key;
        if changed is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'vehicle_recalls_nhtsa_fields_read_only',
                column = split_part(changed, ', ', 1),
                message = format('%s: set by the NHTSA check, read-only', changed),
                hint = 'PATCH status (open, fixed), fixed_on or owner_note.';
        end if;
    end if;
    new.fixed_on := case
        when new.status = 'fixed' then coalesce(new.fixed_on, current_date)
        when new.status = 'open' and tg_op = 'UPDATE' and old.status = 'fixed' and new.fixed_on = old.fixed_on then null
        else new.fixed_on
    end;
    new.owner_note := nullif(btrim(new.owner_note), '');
    return new;
end
$$;
comment on function app.tg_vehicle_recalls_guard() is
    'BEFORE INSERT OR UPDATE on vehicle_recalls (_300_guard): the API role (argument) may not add recalls nor change what NHTSA said, only status, fixed_on and owner_note; fixed_on defaults to today when marked fixed and is cleared when reopened.';
create trigger _300_guard before insert or update on app.vehicle_recalls
    for each row execute function app.tg_vehicle_recalls_guard('app_user');

-- the notifications outbox hook: every new recall of a vehicle is announced here, in the transaction
-- that adds it (the notify branch's app.emit_outbox_event is called from this function once merged)
create or replace function app.announce_vehicle_recall(recall app.vehicle_recalls)
returns jsonb
language sql
stable
as $$
    select jsonb_strip_nulls(jsonb_build_object(
        'type', 'vehicle_recall.new',
        'tenant_id', recall.tenant_id,
        'vehicle_id', recall.vehicle_id,
        'recall_id', recall.id,
        'campaign_number', recall.campaign_number,
        'component', recall.component,
        'park_it', recall.park_it,
        'park_outside', recall.park_outside,
        'report_received_on', recall.report_received_on))
$$;
comment on function app.announce_vehicle_recall(app.vehicle_recalls) is
    'The notifications outbox event of a new vehicle recall (type vehicle_recall.new): what the _500_events trigger hands to the outbox.';

create or replace function app.tg_vehicle_recalls_events()
returns trigger
language plpgsql
as $$
begin
    perform pg_notify('vehicle_recall', app.announce_vehicle_recall(new)::text);
    return null;
end
$$;
comment on function app.tg_vehicle_recalls_events() is
    'AFTER INSERT on vehicle_recalls (_500_events): announces the new recall (app.announce_vehicle_recall) on channel vehicle_recall; the hook where the notifications outbox takes it.';
create trigger _500_events after insert on app.vehicle_recalls
    for each row execute function app.tg_vehicle_recalls_events();

select app.enable_tenant_rules('app.vehicle_recalls');

create or replace view api.vehicle_recalls
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, campaign_number, component, summary, consequence, remedy, notes, manufacturer,
       report_received_on, park_it, park_outside, over_the_air, status, fixed_on, owner_note,
       created_at, updated_at, updated_by
from app.vehicle_recalls
where deleted_at is null;
comment on view api.vehicle_recalls is
    'NHTSA safety recalls of the active tenant''s vehicles (one per vehicle and campaign), found by the worker''s periodic check for every vehicle with a make, model and year. PATCH status (open, fixed), fixed_on, owner_note; the rest is NHTSA''s. DELETE dismisses a recall to vehicle_recalls_trash (it is not added again).';
comment on column api.vehicle_recalls.campaign_number is 'NHTSA campaign number, e.g. 19V182000.';
comment on column api.vehicle_recalls.component is 'The affected component, as NHTSA names it.';
comment on column api.vehicle_recalls.summary is 'What is wrong (NHTSA).';
comment on column api.vehicle_recalls.consequence is 'What can happen (NHTSA).';
comment on column api.vehicle_recalls.remedy is 'What the manufacturer does about it (NHTSA).';
comment on column api.vehicle_recalls.park_it is 'NHTSA: do not drive the vehicle until it is repaired.';
comment on column api.vehicle_recalls.park_outside is 'NHTSA: park outside, away from structures (fire risk).';
comment on column api.vehicle_recalls.over_the_air is 'NHTSA: the remedy is an over-the-air software update.';
comment on column api.vehicle_recalls.status is 'open or fixed (set by the owner).';
comment on column api.vehicle_recalls.fixed_on is 'When it was fixed (today when status becomes fixed without one).';
select app.create_trash_api('api.vehicle_recalls', 'vehicle_recall', 'recalls');
grant select, update on api.vehicle_recalls to app_user;

-- -------------------------------------------------------------------------------------------------
-- adding recalls from NHTSA's answers

create or replace function app.recall_rows(results jsonb)
returns table (
    campaign_number text, component text, summary text, consequence text, remedy text, notes text,
    manufacturer text, report_received_on date, park_it boolean, park_outside boolean, over_the_air boolean
)
language sql
immutable
as $$
    -- NHTSA's fields as they come (ReportReceivedDate is DD/MM/YYYY; older answers spell
    -- "Conequence"); rows without a well-formed campaign number are skipped
    select distinct on (upper(r ->> 'NHTSACampaignNumber'))
           upper(r ->> 'NHTSACampaignNumber'),
           nullif(btrim(r ->> 'Component'), ''),
           nullif(btrim(r ->> 'Summary'), ''),
           nullif(btrim(coalesce(r ->> 'Consequence', r ->> 'Conequence')), ''),
           nullif(btrim(r ->> 'Remedy'), ''),
           nullif(btrim(r ->> 'Notes'), ''),
           nullif(btrim(r ->> 'Manufacturer'), ''),
           case when r ->> 'ReportReceivedDate' ~ '^\d{2}/\d{2}/\d{4}$'
                then to_date(r ->> 'ReportReceivedDate', 'DD/MM/YYYY') end,
           coalesce((r ->> 'parkIt')::boolean, false),
           coalesce((r ->> 'parkOutSide')::boolean, false),
           coalesce((r ->> 'overTheAirUpdate')::boolean, false)
    from jsonb_array_elements(coalesce(results, '[]')) as r
    where jsonb_typeof(r) = 'object'
      and upper(r ->> 'NHTSACampaignNumber') ~ '^[0-9]{2}[A-Z][0-9]{6}$'
    order by upper(r ->> 'NHTSACampaignNumber')
$$;
comment on function app.recall_rows(jsonb) is
    'NHTSA recallsByVehicle results (the "results" array) as rows of vehicle_recalls columns; entries without a valid campaign number are skipped.';

create or replace function app.add_vehicle_recalls(check_id bigint, only_tenant uuid default null, only_vehicle uuid default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
-- adds the cached recalls of one check to the matching vehicles that lack them (all vehicles, or one)
declare
    c app.recall_checks;
    added bigint;
begin
    select * into c from app.recall_checks as k where k.id = check_id;
    if c.results is null then
        return 0;
    end if;
    insert into app.vehicle_recalls as vr (
        tenant_id, vehicle_id, campaign_number, component, summary, consequence, remedy, notes, manufacturer,
        report_received_on, park_it, park_outside, over_the_air
    )
    select v.tenant_id, v.id, r.campaign_number, r.component, r.summary, r.consequence, r.remedy, r.notes,
           r.manufacturer, r.report_received_on, r.park_it, r.park_outside, r.over_the_air
    from app.vehicles as v
    cross join app.recall_rows(c.results) as r
    where app.recall_key(v.make) = c.make
      and app.recall_key(v.model) = c.model
      and v.year = c.model_year
      and v.deleted_at is null
      and (only_tenant is null or (v.tenant_id = only_tenant and v.id = only_vehicle))
    on conflict (tenant_id, vehicle_id, campaign_number) do nothing;
    get diagnostics added = row_count;
    return added;
end
$$;
comment on function app.add_vehicle_recalls(bigint, uuid, uuid) is
    'Adds the recalls cached in one recall check to every vehicle with its make, model and year (or to the one vehicle given) that does not have them yet (a dismissed recall is not added again); returns how many.';

create or replace function app.tg_vehicles_recall_check()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    make_key constant text := app.recall_key(new.make);
    model_key constant text := app.recall_key(new.model);
    check_id bigint;
begin
    if make_key is null or model_key is null or new.year is null or new.deleted_at is not null then
        return null;
    end if;
    insert into app.recall_checks as k (make, model, model_year)
    values (make_key, model_key, new.year)
    on conflict (make, model, model_year) do nothing
    returning k.id into check_id;
    if check_id is not null then
        perform pg_catalog.pg_notify('recall_check', '');
        return null;
    end if;
    select k.id into check_id
    from app.recall_checks as k
    where k.make = make_key and k.model = model_key and k.model_year = new.year;
    perform app.add_vehicle_recalls(check_id, new.tenant_id, new.id);
    return null;
end
$$;
comment on function app.tg_vehicles_recall_check() is
    'AFTER INSERT or UPDATE OF make, model, year on vehicles (_400_recall_check): a vehicle with all three gets the recalls already cached for them, or queues their first NHTSA check.';
create trigger _400_recall_check after insert or update of make, model, year on app.vehicles
    for each row execute function app.tg_vehicles_recall_check();

-- -------------------------------------------------------------------------------------------------
-- the worker's side (vin_worker)

create or replace function app.recall_check_claim(batch_size integer, worker text, lease_seconds integer default 300)
returns table (id bigint, make text, model text, model_year integer, attempts integer)
language sql
security definer
set search_path = ''
as $$
    with due as (
        select k.id
        from app.recall_checks as k
        where (k.status in ('due', 'done', 'failed') and k.next_check_at <= pg_catalog.now())
           or (k.status = 'running' and k.lease_until < pg_catalog.now())
        order by k.next_check_at
        limit batch_size
        for update skip locked
    )
    update app.recall_checks as k
    set status = 'running',
        leased_by = worker,
        lease_until = pg_catalog.now() + pg_catalog.make_interval(secs => lease_seconds),
        attempts = k.attempts + 1,
        updated_at = pg_catalog.now()
    from due
    where k.id = due.id
    returning k.id, k.make, k.model, k.model_year, k.attempts
$$;
comment on function app.recall_check_claim(integer, text, integer) is
    'Leases up to batch_size recall checks that are due (never checked, refresh due, retry due, or a lease expired): FOR UPDATE SKIP LOCKED. Commit before asking NHTSA.';

create or replace function app.recall_check_finish(check_id bigint, worker text, results jsonb)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
begin
    update app.recall_checks as k
    set status = 'done',
        results = coalesce(recall_check_finish.results, '[]'),
        result_count = jsonb_array_length(coalesce(recall_check_finish.results, '[]')),
        checked_at = pg_catalog.now(),
        next_check_at = pg_catalog.now() + pg_catalog.make_interval(days => app.recall_setting('refresh_days', 7)),
        attempts = 0,
        leased_by = null,
        lease_until = null,
        last_error = null,
        updated_at = pg_catalog.now()
    where k.id = check_id and k.status = 'running' and k.leased_by = worker;
    if not found then
        return 0;
    end if;
    return app.add_vehicle_recalls(check_id);
end
$$;
comment on function app.recall_check_finish(bigint, text, jsonb) is
    'Caches NHTSA''s results of a check still leased to worker (next check after refresh_days) and adds the new recalls to every matching vehicle, in the caller''s transaction; returns how many recalls were added.';

create or replace function app.recall_check_fail(check_id bigint, worker text, error text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
    k app.recall_checks;
begin
    update app.recall_checks as c
    set status = case when c.attempts >= app.recall_setting('max_attempts', 6) then 'failed' else 'due' end,
        -- exponential backoff: retry_minutes * 2^(attempts - 1), at most a day; a failed check is asked
        -- again at the next refresh
        next_check_at = pg_catalog.now() + case
            when c.attempts >= app.recall_setting('max_attempts', 6)
            then pg_catalog.make_interval(days => app.recall_setting('refresh_days', 7))
            else least(pg_catalog.make_interval(mins => app.recall_setting('retry_minutes', 15) * (1 << least(c.attempts - 1, 16))),
                       interval '1 day') end,
        leased_by = null,
        lease_until = null,
        last_error = left(error, 1000),
        updated_at = pg_catalog.now()
    where c.id = check_id and c.status = 'running' and c.leased_by = worker
    returning c.* into k;
    return k.status;
end
$$;
comment on function app.recall_check_fail(bigint, text, text) is
    'Records a failed NHTSA request of a check leased to worker: due again after retry_minutes * 2^(attempts-1) (at most a day), failed after max_attempts (asked again after refresh_days). Returns the new status.';

revoke execute on function app.recall_check_claim(integer, text, integer), app.recall_check_finish(bigint, text, jsonb),
    app.recall_check_fail(bigint, text, text), app.add_vehicle_recalls(bigint, uuid, uuid) from public;
grant execute on function app.recall_check_claim(integer, text, integer), app.recall_check_finish(bigint, text, jsonb),
    app.recall_check_fail(bigint, text, text) to vin_worker;
grant select on app.recall_checks to vin_worker;

commit;
