-- Verify motovault:api_read_only_views on pg

select 'app.refuse_view_write()'::regprocedure, 'app.protect_read_only_view(regclass)'::regprocedure;
select 1 / (count(*) > 0)::int
from pg_trigger
where tgfoid = 'app.refuse_view_write()'::regprocedure;
