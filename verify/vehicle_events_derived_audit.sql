-- Verify motovault:vehicle_events_derived_audit on pg

select 1 / (
    select count(*)
    from pg_trigger
    where tgrelid = 'app.vehicle_events'::regclass
      and tgname = '_900_audit_insert'
      and tgfoid = 'app.tg_audit_row()'::regprocedure
      and tgnargs = 2
      and encode(tgargs, 'escape') = 'tenant_id\000source_id\000'
)::integer;
