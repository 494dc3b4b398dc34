-- Revert motovault:table_rules from pg

begin;

drop function app.protect_read_only_view(regclass);
drop function app.refuse_view_write();
drop function app.enable_tenant_rules(regclass, boolean, text);

commit;
