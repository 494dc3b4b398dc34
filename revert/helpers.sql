-- Revert motovault:helpers from pg

begin;

drop function app.is_date_text(text);
drop function app.uuid_v7();

commit;
