-- Verify motovault:report_requests on pg

select tenant_id, id, kind, vehicle_id, format, status, attempts, content, content_type, file_name
from app.report_requests where false;
select id, kind, vehicle_id, format, status, file_name, bytes from api.report_requests where false;
select 'api.report_content(uuid)'::regprocedure, 'app.report_claim(integer, text, integer)'::regprocedure,
       'app.report_finish(uuid, uuid, bytea, text, text, text)'::regprocedure;
