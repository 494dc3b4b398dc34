-- Verify motovault:table_rules on pg

select 'app.enable_tenant_rules(regclass, boolean, text, name)'::regprocedure,
       'app.enable_shared_rules(regclass, text)'::regprocedure,
       'app.create_trash_api(regclass, text, text, text)'::regprocedure,
       'app.protect_read_only_view(regclass)'::regprocedure, 'app.tg_refuse_view_write()'::regprocedure;
