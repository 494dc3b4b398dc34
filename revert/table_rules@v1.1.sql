-- Revert motovault:table_rules from pg

begin;

drop function app.create_trash_api(regclass, text, text, text);
drop function app.protect_read_only_view(regclass);
drop function app.tg_refuse_view_write();
drop function app.enable_shared_rules(regclass, text);
drop function app.enable_tenant_rules(regclass, boolean, text, name);

commit;
