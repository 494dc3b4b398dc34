-- Revert motovault:invitations from pg

begin;

drop function api.accept_invitation(text);
drop function api.invite_member(text, text, integer);
drop function api.restore_invitation(uuid);
drop view api.invitations_trash;
drop view api.invitations;
drop table app.invitations;
drop function app.tg_invitation_events();

commit;
