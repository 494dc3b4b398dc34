-- Revert motovault:maintenance from pg: back to its @v1.2 definitions
-- requires: maintenance@v1.2
--
-- api.complete_maintenance without hours, as @v1.1 (and @v1.2) define it.

begin;

set local lock_timeout = '5s';

drop function api.complete_maintenance(uuid, date, integer, numeric, text, text, text, numeric);

create or replace function api.complete_maintenance(
    id uuid,
    completed_on date default current_date,
    odometer integer default null,
    cost numeric default null,
    currency text default null,
    service_location text default null,
    notes text default null
)
returns setof api.maintenance
language plpgsql
as $$
declare
    item app.maintenance;
begin
    select * into item
    from app.maintenance as m
    where m.tenant_id = app.current_tenant_id()
      and m.id = complete_maintenance.id
      and m.deleted_at is null
    for update;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no maintenance item %s in the active tenant', complete_maintenance.id),
            hint = 'GET /maintenance?status=eq.scheduled lists what can be completed.';
    end if;
    if item.status <> 'scheduled' then
        raise sqlstate 'PT409' using
            message = format('status: maintenance item %s is already completed', complete_maintenance.id),
            hint = 'Only scheduled items can be completed.';
    end if;
    update app.maintenance as m
    set status = 'completed',
        completed_on = coalesce(complete_maintenance.completed_on, current_date),
        odometer = complete_maintenance.odometer,
        cost = coalesce(complete_maintenance.cost, m.cost),
        currency = coalesce(complete_maintenance.currency, m.currency),
        service_location = coalesce(complete_maintenance.service_location, m.service_location),
        notes = coalesce(complete_maintenance.notes, m.notes)
    where m.tenant_id = item.tenant_id
      and m.id = item.id;
    return query
    select *
    from api.maintenance as m
    where m.id = item.id
       or (m.previous_id = item.id and m.status = 'scheduled')
    order by m.status;
end
$$;
comment on function api.complete_maintenance(uuid, date, integer, numeric, text, text, text) is
    'Completes a scheduled maintenance item in one call: records it (date, odometer, cost, currency, location, notes) and, when it recurs, creates the next occurrence. Returns the completed record and the next occurrence. 404 unknown id, 409 already completed.';

grant execute on function
    api.complete_maintenance(uuid, date, integer, numeric, text, text, text)
    to app_user;

commit;
