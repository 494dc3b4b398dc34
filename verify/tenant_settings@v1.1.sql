-- Verify motovault:tenant_settings on pg

select tenant_id, id, reminder_urgent_days, reminder_very_urgent_days, reminder_urgent_km, reminder_very_urgent_km, deleted_at
from app.tenant_settings
where false;
select id from api.tenant_settings where false;
select id, deleted_at from api.tenant_settings_trash where false;
