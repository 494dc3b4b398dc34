-- Verify motovault:membership_helpers on pg

select 'app.current_member_role()'::regprocedure, 'app.current_member_can_write()'::regprocedure;
