-- Verify motovault:invitations on pg

select tenant_id, id, email, role, expires_at, accepted_at, accepted_by, deleted_at from app.invitations where false;
select id, email, role, expires_at from api.invitations where false;
select 'api.invite_member(text, text, integer)'::regprocedure, 'api.accept_invitation(text)'::regprocedure;
