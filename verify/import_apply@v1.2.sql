-- Verify motovault:import_apply on pg

select 'app.import_target(text)'::regprocedure;
select 'app.import_fields(text, jsonb, text)'::regprocedure;
select 'app.import_error_field(text, text, text, text, jsonb)'::regprocedure;
select 'app.import_apply(uuid, boolean, boolean)'::regprocedure;
select 'app.import_value_fits(text, text, jsonb)'::regprocedure;
select 'api.preview_import(uuid)'::regprocedure;
select 'api.confirm_import_vehicles(uuid, jsonb)'::regprocedure;
select 'api.commit_import(uuid, boolean)'::regprocedure;
select 'api.undo_import(uuid)'::regprocedure;
