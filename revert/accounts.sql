-- Revert motovault:accounts from pg

begin;

drop function api.reset_password(text, text);
drop function api.request_password_reset(text);
drop function api.change_password(text, text);
drop function api.revoke_session(uuid);
drop function api.my_sessions();
drop function api.sign_out();
drop function auth_private.current_session();
drop function api.refresh(text, uuid);
drop function api.sign_in(text, text, uuid);
drop function api.sign_up(text, text, text);
drop function app.session_is_live(uuid, uuid);
drop function auth_private.revoke_sessions(uuid, text, uuid);
drop function auth_private.issue_tokens(auth_private.sessions);
drop function auth_private.access_token(uuid, uuid, jsonb, integer);
drop function auth_private.default_tenant(uuid);
drop function auth_private.check_tenant_choice(uuid, uuid);
drop function auth_private.request_header(text);
drop function auth_private.password_matches(uuid, text);
drop table auth_private.dummy_hash;
drop function auth_private.hash_password(text);
drop function auth_private.normalize_email(text);
drop function auth_private.check_new_password(text);
drop function auth_private.password_problem(text);
drop function auth_private.fail(integer, text, text, text);
drop table auth_private.mail_outbox;
drop table auth_private.sign_in_failures;
drop table auth_private.one_time_tokens;
drop table auth_private.refresh_tokens;
drop table auth_private.sessions;
drop table auth_private.passwords;
drop function auth_private.setting(text, integer);

commit;
