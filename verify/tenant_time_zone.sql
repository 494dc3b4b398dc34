-- Verify motovault:tenant_time_zone on pg

select time_zone, reminder_notify_time
from app.tenant_settings
where false;
