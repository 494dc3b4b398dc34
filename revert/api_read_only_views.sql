-- Revert motovault:api_read_only_views from pg

begin;

select format('drop trigger %I on %s', t.tgname, t.tgrelid::regclass)
from pg_trigger as t
where t.tgfoid = 'app.refuse_view_write()'::regprocedure
\gexec

drop function app.protect_read_only_view(regclass);
drop function app.refuse_view_write();

commit;
