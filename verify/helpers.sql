-- Verify motovault:helpers on pg

select 'app.uuid_v7()'::regprocedure, 'app.is_date_text(text)'::regprocedure;
select 1 / (app.uuid_v7()::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7')::integer;
