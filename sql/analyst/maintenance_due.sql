-- What is due across all tenants, by urgency and category.
select
    urgency,
    category,
    count(*) as items,
    count(distinct tenant_id) as tenants,
    min(due_on) as earliest_due_on
from analytics.maintenance_due
where urgency <> 'not_urgent'
group by urgency, category
order by array_position(array['past_due', 'very_urgent', 'urgent'], urgency), items desc;
