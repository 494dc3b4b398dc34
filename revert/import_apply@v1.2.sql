-- Revert motovault:import_apply from pg

begin;

drop function api.undo_import(uuid);
drop function api.commit_import(uuid, boolean);
drop function api.confirm_import_vehicles(uuid, jsonb);
drop function api.preview_import(uuid);
drop function app.import_value_fits(text, text, jsonb);
drop function app.import_apply(uuid, boolean, boolean);
drop function app.import_error_field(text, text, text, text, jsonb);
drop function app.import_fields(text, jsonb, text);
drop function app.import_target(text);

commit;
