-- Verify motovault:garages on pg

select tenant_id, id, name, address, latitude, longitude, timezone, is_default, notes, deleted_at from app.garages where false;
select id from api.garages where false;
select id, deleted_at from api.garages_trash where false;
select 'api.restore_garage(uuid)'::regprocedure;
