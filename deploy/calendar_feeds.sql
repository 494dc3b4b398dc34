-- Deploy motovault:calendar_feeds to pg
-- requires: reminders
-- requires: maintenance
-- requires: auth_private
-- requires: tenant_settings
--
-- The calendar feed: a per-user, revocable secret URL that calendar apps subscribe to (iCalendar,
-- RFC 5545), served by PostgREST as text/calendar (a PostgREST 12 media type handler: the domain
-- api."text/calendar" and api.calendar(token) returning it).
--   api.create_calendar_feed(name)   a feed of the active tenant for the requesting user; the token
--                                    (in the URL) is shown once, only its hash is kept
--   api.calendar_feeds               the user's own feeds; DELETE revokes one
--   GET /rpc/calendar?token=...      no JWT (calendar apps cannot send one): the token is the key
-- Events: open reminders with a due date (or a projected one for odometer-based reminders) and
-- scheduled maintenance with a due date, all-day, with stable UIDs so that apps update them.

begin;

set local lock_timeout = '5s';

create domain api."text/calendar" as text;
comment on domain api."text/calendar" is 'iCalendar (RFC 5545) text: PostgREST serves a function returning it as text/calendar.';

create table app.calendar_feeds (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    user_id uuid not null,
    name text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint calendar_feeds_pkey primary key (tenant_id, id),
    constraint calendar_feeds_name_not_blank check (char_length(btrim(name)) between 1 and 100)
);
comment on table app.calendar_feeds is
    'Calendar feeds: one secret URL per feed, of one user in one tenant. deleted_at revokes it. The token''s hash is in auth_private.calendar_feed_tokens.';
select app.distribute_table('app.calendar_feeds', 'tenant');
alter table app.calendar_feeds
    add constraint calendar_feeds_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint calendar_feeds_user_fk foreign key (user_id)
        references app.users (id) on delete cascade;
create index calendar_feeds_user_fk_idx on app.calendar_feeds (user_id);

select app.enable_tenant_rules('app.calendar_feeds');
create policy calendar_feeds_own_only on app.calendar_feeds as restrictive for all to app_user
    using (user_id = app.current_user_id())
    with check (user_id = app.current_user_id());
revoke insert, update on app.calendar_feeds from app_user;
grant update (name, deleted_at) on app.calendar_feeds to app_user;

create table auth_private.calendar_feed_tokens (
    token_hash bytea not null,
    tenant_id uuid not null,
    feed_id uuid not null,
    constraint calendar_feed_tokens_pkey primary key (token_hash)
);
comment on table auth_private.calendar_feed_tokens is 'SHA-256 of each calendar feed''s secret token.';
create index calendar_feed_tokens_feed_fk_idx on auth_private.calendar_feed_tokens (tenant_id, feed_id);
select app.distribute_table('auth_private.calendar_feed_tokens', 'local');
alter table auth_private.calendar_feed_tokens
    add constraint calendar_feed_tokens_feed_fk foreign key (tenant_id, feed_id)
        references app.calendar_feeds (tenant_id, id) on delete cascade;

create or replace function app.ical_text(value text)
returns text
language sql
immutable
parallel safe
return replace(replace(replace(replace(replace(coalesce(value, ''), '\', '\\'), ';', '\;'), ',', '\,'), E'\r', ''), E'\n', '\n');
comment on function app.ical_text(text) is 'A TEXT value of iCalendar (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped.';

create or replace function app.ical_fold(line text)
returns text
language plpgsql
immutable
parallel safe
as $$
declare
    out text := '';
    part text := '';
    ch text;
    limit_octets integer := 75;
begin
    foreach ch in array regexp_split_to_array(line, '') loop
        if octet_length(part) + octet_length(ch) > limit_octets then
            out := out || part || E'\r\n ';
            part := '';
            limit_octets := 74;  -- continuation lines start with a space
        end if;
        part := part || ch;
    end loop;
    return out || part || E'\r\n';
end
$$;
comment on function app.ical_fold(text) is 'One content line of iCalendar, folded at 75 octets (RFC 5545 3.1), with its CRLF.';

create or replace function api.calendar(token text)
returns api."text/calendar"
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    feed app.calendar_feeds;
    body text;
begin
    select f.* into feed
    from auth_private.calendar_feed_tokens as t
    join app.calendar_feeds as f on f.tenant_id = t.tenant_id and f.id = t.feed_id
    join app.memberships as m on m.tenant_id = f.tenant_id and m.user_id = f.user_id and m.deleted_at is null
    where t.token_hash = auth_private.token_hash(calendar.token)
      and f.deleted_at is null;
    if feed.id is null then
        raise sqlstate 'PT404' using message = 'token: no such calendar feed (revoked, or its user left the tenant)',
            hint = 'Create a new feed with rpc/create_calendar_feed.';
    end if;

    with items as (
        select 'reminder' as source, r.id, r.vehicle_id, r.title, r.category, r.notes,
               coalesce(r.due_on, s.projected_due_on) as day, r.due_odometer, r.odometer_unit, r.updated_at,
               case when r.due_on is null then ' (projected)' else '' end as note
        from app.reminders as r
        cross join lateral app.due_status(r.tenant_id, r.vehicle_id, r.due_on, r.due_odometer, r.odometer_unit) as s
        where r.tenant_id = feed.tenant_id
          and r.deleted_at is null
          and r.status in ('open', 'snoozed')
        union all
        select 'maintenance', m.id, m.vehicle_id, coalesce(m.description, replace(m.type, '_', ' ')), m.type, m.notes,
               m.due_on, m.due_odometer, m.odometer_unit, m.updated_at, ''
        from app.maintenance as m
        where m.tenant_id = feed.tenant_id
          and m.deleted_at is null
          and m.status = 'scheduled'
          and m.due_on is not null
    )
    select string_agg(
               app.ical_fold('BEGIN:VEVENT')
               || app.ical_fold('UID:' || i.source || '-' || i.id || '@motovault')
               || app.ical_fold('DTSTAMP:' || to_char(i.updated_at at time zone 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'))
               || app.ical_fold('DTSTART;VALUE=DATE:' || to_char(i.day, 'YYYYMMDD'))
               || app.ical_fold('DTEND;VALUE=DATE:' || to_char(i.day + 1, 'YYYYMMDD'))
               || app.ical_fold('SUMMARY:' || app.ical_text(v.display_name || ': ' || i.title || i.note))
               || app.ical_fold('CATEGORIES:' || app.ical_text(i.category))
               || app.ical_fold('DESCRIPTION:' || app.ical_text(concat_ws(E'\n',
                      case when i.due_odometer is not null then format('Due at %s %s', i.due_odometer, i.odometer_unit) end,
                      i.notes)))
               || app.ical_fold('TRANSP:TRANSPARENT')
               || app.ical_fold('END:VEVENT'),
               '' order by i.day, i.id)
    into body
    from items as i
    join app.vehicles as v on v.tenant_id = feed.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
    where i.day is not null;

    return (app.ical_fold('BEGIN:VCALENDAR')
        || app.ical_fold('VERSION:2.0')
        || app.ical_fold('PRODID:-//motovault//calendar feed//EN')
        || app.ical_fold('CALSCALE:GREGORIAN')
        || app.ical_fold('METHOD:PUBLISH')
        || app.ical_fold('X-WR-CALNAME:' || app.ical_text('motovault: ' || feed.name))
        || app.ical_fold('REFRESH-INTERVAL;VALUE=DURATION:PT1H')
        || coalesce(body, '')
        || app.ical_fold('END:VCALENDAR'))::api."text/calendar";
end
$$;
comment on function api.calendar(text) is
    'The calendar feed of a token (GET /rpc/calendar?token=..., no JWT), as text/calendar: the tenant''s open reminders (by due date, or projected date for odometer-based ones) and scheduled maintenance, as all-day events with stable UIDs. 404 for a revoked or unknown token.';
revoke all on function api.calendar(text) from public;
grant execute on function api.calendar(text) to anon, app_user;

create or replace function api.create_calendar_feed(name text default 'Vehicles')
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    tenant constant uuid := app.current_tenant_id();
    member constant uuid := app.current_user_id();
    token constant text := auth_private.random_token(32);
    made app.calendar_feeds;
begin
    if app.current_member_role() is null then
        raise sqlstate 'PT403' using message = 'tenant: calendar feeds are for members of the tenant';
    end if;
    insert into app.calendar_feeds (tenant_id, user_id, name)
    values (tenant, member, btrim(coalesce(create_calendar_feed.name, 'Vehicles')))
    returning * into made;
    insert into auth_private.calendar_feed_tokens (token_hash, tenant_id, feed_id)
    values (auth_private.token_hash(token), made.tenant_id, made.id);
    return jsonb_build_object('id', made.id, 'name', made.name, 'token', token,
                              'path', '/rpc/calendar?token=' || token);
end
$$;
comment on function api.create_calendar_feed(text) is
    'A calendar feed of the active tenant for the requesting user (any member). The answer carries the secret token and the feed''s path (/rpc/calendar?token=...), shown this once; DELETE on calendar_feeds revokes it.';
revoke all on function api.create_calendar_feed(text) from public;
grant execute on function api.create_calendar_feed(text) to app_user;

create or replace view api.calendar_feeds
with (security_invoker = true)
as
select tenant_id, id, user_id, name, created_at, updated_at, created_by, updated_by
from app.calendar_feeds
where deleted_at is null;
comment on view api.calendar_feeds is
    'The requesting user''s calendar feeds in the active tenant (the token is never shown again). DELETE revokes a feed (its URL answers 404); calendar_feeds_trash lists revoked ones.';
select app.create_trash_api('api.calendar_feeds', 'calendar_feed', 'calendar feeds', 'its URL works again');
grant select, update on api.calendar_feeds to app_user;  -- delete: app.create_trash_api
grant execute on function app.ical_text(text), app.ical_fold(text) to app_user;

commit;
