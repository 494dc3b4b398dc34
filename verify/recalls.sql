-- Verify motovault:recalls on pg

select id, make, model, model_year, status, results, result_count, checked_at, next_check_at, attempts, leased_by,
       lease_until, last_error
from app.recall_checks
where false;
select tenant_id, id, vehicle_id, campaign_number, component, summary, consequence, remedy, notes, manufacturer,
       report_received_on, park_it, park_outside, over_the_air, status, fixed_on, owner_note, deleted_at
from app.vehicle_recalls
where false;
select id from api.vehicle_recalls where false;
select id, deleted_at from api.vehicle_recalls_trash where false;
select 'app.recall_check_claim(integer, text, integer)'::regprocedure,
       'app.recall_check_finish(bigint, text, jsonb)'::regprocedure,
       'app.recall_check_fail(bigint, text, text)'::regprocedure,
       'api.restore_vehicle_recall(uuid)'::regprocedure;
select 1 / (app.recall_key('  Land   rover ') = 'LAND ROVER')::integer;
select 1 / (select count(*) from pg_trigger where tgname = '_400_recall_check' and tgrelid = 'app.vehicles'::regclass)::integer;
