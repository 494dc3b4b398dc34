-- Verify motovault:table_rules on pg

select 'app.enable_tenant_rules(regclass, boolean, text)'::regprocedure,
       'app.protect_read_only_view(regclass)'::regprocedure, 'app.refuse_view_write()'::regprocedure;
