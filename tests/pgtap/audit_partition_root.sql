-- Rows of a partitioned table are audited under the partitioned table's name.
begin;
select plan(2);

select tests.new_tenant('audit partitions') as tenant \gset
select tests.new_vehicle(:'tenant') as vehicle \gset
insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload)
values (:'tenant', :'vehicle', 'note', now(), '{"text": "hello"}');

select is(
    (select table_name from audit.record_version
     where tenant_id = :'tenant' and new_record ->> 'type' = 'note'),
    'app.vehicle_events',
    'an event row is audited as app.vehicle_events, not as its monthly partition'
);
select is(
    (select count(*)::int from audit.record_version where table_name ~ '_p[0-9]{4}_[0-9]{2}$|_default$'),
    0,
    'no audit row names a partition'
);

select * from finish();
rollback;
