-- Verify motovault:membership_helpers on pg

select 'app.current_member_role()'::regprocedure, 'app.current_member_can_write()'::regprocedure,
       'app.current_user_tenant_ids()'::regprocedure, 'app.current_tenant_member_ids()'::regprocedure,
       'app.tg_forget_member_role()'::regprocedure;
select 1 / (app.current_member_role() is null)::integer;  -- outside a request: no role
