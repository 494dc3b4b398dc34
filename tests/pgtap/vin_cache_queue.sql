-- VIN cache and decode queue: enqueue on VIN writes, fill from a fresh cache row,
-- TTL and purge, claim/fail/backoff/park, expired leases, finish (idempotent), decode_vin.
begin;
select plan(49);

select tests.new_tenant('One') as one \gset
select tests.new_tenant('Two') as two \gset
select tests.new_tenant('Three') as three \gset

-- a fresh decoded row, a fresh negative entry, an expired decoded row
insert into app.vin_cache (vin, decoded, make, model, year, trim, body_class, fuel_types, engine_cylinders,
                           engine_displacement_l, source, data_version, cached_at, expires_at)
values
    ('1HGCM82633A004352', true, 'HONDA', 'Accord', 2003, 'EX-V6', 'Coupe', '{Gasoline}', 6, 2.998, 'offline', 'test', now(), now() + interval '30 days'),
    ('2HGFA16538H000003', true, 'HONDA', 'Civic', 2008, null, 'Sedan', '{Gasoline}', 4, 1.8, 'offline', 'test', now() - interval '31 days', now() - interval '1 day');
insert into app.vin_cache (vin, decoded, error_codes, error_texts, source, data_version, cached_at, expires_at)
values ('5XXXXXXX8XX000004', false, '{7}', '{"7 - Manufacturer is not registered"}', 'offline', 'test', now(), now() + interval '1 day');

select is(app.vin_check_digit('2HGFA16538H000003'), '3', 'fixture VIN 2 is valid');

-- enqueue on insert -----------------------------------------------------------------------------
insert into app.vehicles (tenant_id, vin, display_name)
values (:'three', '1FTMW1T88MFA00001', '')
returning id as first_vehicle \gset
select is(
    (select array_agg(status) from app.vin_decode_queue where vin = '1FTMW1T88MFA00001'),
    array['queued'], 'a vehicle with an uncached VIN queues it');
select is((select vin_decoded_at from app.vehicles where id = :'first_vehicle'), null, 'and is not decoded yet');
select is((select display_name from app.vehicles where id = :'first_vehicle'), 'Vehicle', 'default name while waiting');

insert into app.vehicles (tenant_id, vin, display_name)
values (:'two', '1FTMW1T88MFA00001', 'Truck');
select is((select count(*)::int from app.vin_decode_queue where vin = '1FTMW1T88MFA00001'), 1,
    'the same VIN in another tenant: still one live job');
select throws_ok(
    $$insert into app.vin_decode_queue (vin) values ('1FTMW1T88MFA00001')$$,
    '23505', null, 'a second live job for a VIN is refused (vin_decode_queue_one_live_job_per_vin)');

-- fill at once from a fresh cache row -----------------------------------------------------------
insert into app.vehicles (tenant_id, vin, display_name)
values (:'one', '1hgcm82633a004352 ', '')
returning id as filled \gset
select results_eq(
    format($$select make, model, year, display_name, trim, body_class, fuel_types, engine_cylinders, vin_decode_source
      from app.vehicles where id = %L$$, :'filled'),
    $$values ('HONDA'::text, 'Accord'::text, 2003, '2003 HONDA Accord'::text, 'EX-V6'::text, 'Coupe'::text,
              '{Gasoline}'::text[], 6, 'offline'::text)$$,
    'a fresh cache row fills an empty vehicle at once, default name included');
select isnt((select vin_decoded_at from app.vehicles where id = :'filled'), null, 'vin_decoded_at set');
select is((select count(*)::int from app.vin_decode_queue where vin = '1HGCM82633A004352'), 0, 'a fresh cache row: nothing queued');

insert into app.vehicles (tenant_id, vin, display_name, make, year)
values (:'two', '1HGCM82633A004352', 'My car', 'Honda', 2004)
returning id as typed \gset
select results_eq(
    format($$select make, model, year, display_name, trim from app.vehicles where id = %L$$, :'typed'),
    $$values ('Honda'::text, 'Accord'::text, 2004, 'My car'::text, 'EX-V6'::text)$$,
    'what a person typed (make, year, display_name) is kept; only the empty model is filled');

insert into app.vehicles (tenant_id, vin, display_name, make)
values (:'two', '2HGFA16538H000003', '', 'Honda')
returning id as expired \gset
select is((select display_name from app.vehicles where id = :'expired'), 'Honda', 'typed make makes the default name');
select is((select count(*)::int from app.vin_decode_queue where vin = '2HGFA16538H000003' and status = 'queued'), 1,
    'an expired cache row: the VIN is queued again');
select is((select make from app.vehicles where id = :'expired'), 'Honda', 'and nothing is filled from it');

insert into app.vehicles (tenant_id, vin, display_name)
values (:'one', '5XXXXXXX8XX000004', '')
returning id as negative \gset
select is((select count(*)::int from app.vin_decode_queue where vin = '5XXXXXXX8XX000004'), 0, 'a fresh negative entry: nothing queued');
select is((select make from app.vehicles where id = :'negative'), null, 'a fresh negative entry fills nothing');

-- a changed VIN -------------------------------------------------------------------------------
update app.vehicles set vin = '1HGCM82633A004352' where id = :'first_vehicle';
select results_eq(
    format($$select make, trim, display_name from app.vehicles where id = %L$$, :'first_vehicle'),
    $$values ('HONDA'::text, 'EX-V6'::text, '2003 HONDA Accord'::text)$$,
    'changing the VIN to a cached one fills the vehicle');
update app.vehicles set vin = '1M8GDM9AXKP042788' where id = :'first_vehicle';
select results_eq(
    format($$select make, model, year, display_name, trim, body_class, vin_decoded_at, vin_filled from app.vehicles where id = %L$$, :'first_vehicle'),
    $$values (null::text, null::text, null::integer, 'Vehicle'::text, null::text, null::text, null::timestamptz, null::text[])$$,
    'changing the VIN again clears what the old one decoded and filled, and its default name');
update app.vehicles set vin = '1HGCM82633A004352', make = 'Acura' where id = :'first_vehicle';
select results_eq(
    format($$select make, model, year, display_name, vin_filled from app.vehicles where id = %L$$, :'first_vehicle'),
    $$values ('Acura'::text, 'Accord'::text, 2003, '2003 Acura Accord'::text, '{model,year}'::text[])$$,
    'vin_filled lists what the decoder filled');
update app.vehicles set vin = '1M8GDM9AXKP042788', make = 'Harley' where id = :'first_vehicle';
select results_eq(
    format($$select make, model, year, display_name from app.vehicles where id = %L$$, :'first_vehicle'),
    $$values ('Harley'::text, null::text, null::integer, 'Harley'::text)$$,
    'a make typed in the same update as the VIN change is kept; filled model and year go');
select is((select count(*)::int from app.vin_decode_queue where vin = '1M8GDM9AXKP042788'), 1, 'and queues the new VIN');
update app.vehicles set notes = 'x' where id = :'filled';
select isnt((select trim from app.vehicles where id = :'filled'), null, 'other updates keep the decoded fields');

-- TTL and purge --------------------------------------------------------------------------------
select is(app.vin_cache_ttl(true), interval '30 days', 'decoded VINs: 30 days by default');
select is(app.vin_cache_ttl(false), interval '1 day', 'negative entries: 1 day by default');
set local motovault.vin_cache_ttl_days = 7;
set local motovault.vin_cache_negative_ttl_days = 2;
select is(app.vin_cache_ttl(true), interval '7 days', 'motovault.vin_cache_ttl_days changes the TTL');
select is(app.vin_cache_ttl(false), interval '2 days', 'motovault.vin_cache_negative_ttl_days changes the negative TTL');
reset motovault.vin_cache_ttl_days;
reset motovault.vin_cache_negative_ttl_days;
select is(app.purge_vin_cache(), 1::bigint, 'purge_vin_cache() deletes the expired row and says so');
select is((select array_agg(vin order by vin) from app.vin_cache), array['1HGCM82633A004352', '5XXXXXXX8XX000004'], 'fresh rows stay');
select is(app.purge_vin_cache(), 0::bigint, 'a second purge finds nothing');

-- claim, fail, backoff, park -------------------------------------------------------------------
-- queued now: 1FTMW1T88MFA00001, 2HGFA16538H000003, 1M8GDM9AXKP042788
select is((select count(*)::int from app.vin_decode_queue where status = 'queued'), 3, 'three jobs queued');
create temp table claimed as select * from app.vin_decode_claim(2, 'w1', 60);
select is((select count(*)::int from claimed), 2, 'claim takes at most batch_size jobs');
select is((select array_agg(distinct status) from app.vin_decode_queue where id in (select job_id from claimed)), array['running'],
    'claimed jobs are running');
select ok((select bool_and(leased_by = 'w1' and lease_until = now() + interval '60 seconds' and attempts = 1)
           from app.vin_decode_queue where id in (select job_id from claimed)), 'leased to w1 for 60 s, attempt 1');
select is((select count(*)::int from app.vin_decode_claim(10, 'w2', 60)), 1, 'another worker gets only the rest');

set local motovault.vin_decode_backoff_seconds = 10;
set local motovault.vin_decode_max_attempts = 2;
select is(app.vin_decode_fail(array(select job_id from claimed), 'w2', 'boom'), 0::bigint, 'a worker cannot fail jobs leased to another');
select is(app.vin_decode_fail(array(select job_id from claimed), 'w1', 'boom'), 2::bigint, 'the holder fails them');
select ok((select bool_and(status = 'queued' and next_attempt_at = now() + interval '10 seconds' and last_error = 'boom' and lease_until is null)
           from app.vin_decode_queue where id in (select job_id from claimed)), 'failed: queued again after the backoff, with the error');
select is((select count(*)::int from app.vin_decode_claim(10, 'w1', 60)), 0, 'not due before the backoff');
update app.vin_decode_queue set next_attempt_at = now() - interval '1 second' where id in (select job_id from claimed);
select is((select array_agg(attempts) from app.vin_decode_claim(10, 'w1', 60)), array[2, 2], 'due again: attempt 2');
select is(app.vin_decode_fail(array(select job_id from claimed), 'w1', 'boom again'), 2::bigint, 'second failure');
select ok((select bool_and(status = 'parked' and last_error = 'boom again') from app.vin_decode_queue where id in (select job_id from claimed)),
    'after the last attempt the job is parked with the error');

-- an expired lease is reclaimed
update app.vin_decode_queue set lease_until = now() - interval '1 second' where status = 'running';
select is((select array_agg(attempts) from app.vin_decode_claim(10, 'w3', 60)), array[2],
    'a running job whose lease expired is claimed again (its worker died)');
select is((select last_error from app.vin_decode_queue where leased_by = 'w3'), 'lease of w2 expired during attempt 1', 'saying why');

-- finish: cache, vehicles, job, in one go; idempotent
create temp table vin_decoded of app.vin_decode_result on commit delete rows;
insert into vin_decoded (vin, decoded, make, model, year, trim, fuel_types, error_codes, error_texts, raw_data, source, data_version)
select vin, true, 'HARLEY-DAVIDSON', 'FLHR', 2019, 'Road King', '{Gasoline}', '{0}', '{"0 - clean"}', '{"Make": "HARLEY-DAVIDSON"}', 'offline', 'test'
from app.vin_decode_queue where leased_by = 'w3';
select results_eq(
    $$select cached, filled, done from app.vin_decode_finish(array(select id from app.vin_decode_queue where leased_by = 'w3'), 'w3')$$,
    $$values (1::bigint, 1::bigint, 1::bigint)$$, 'finish writes the cache, fills the vehicle, marks the job done');
select results_eq(
    format($$select vin, make, model, year, display_name, trim from app.vehicles where id = %L$$, :'first_vehicle'),
    $$values ('1M8GDM9AXKP042788'::text, 'Harley'::text, 'FLHR'::text, 2019, '2019 Harley FLHR'::text, 'Road King'::text)$$,
    'the worker keeps the typed make, fills model and year, renames a default-named vehicle');
select results_eq(
    $$select cached, filled, done from app.vin_decode_finish(array(select id from app.vin_decode_queue where leased_by = 'w3'), 'w3')$$,
    $$values (1::bigint, 0::bigint, 0::bigint)$$, 'finishing twice fills nothing and completes nothing again');
select is((select expires_at - cached_at from app.vin_cache where vin = '1M8GDM9AXKP042788'), interval '30 days', 'cached for the TTL');

-- decode_vin ----------------------------------------------------------------------------------
select is(api.decode_vin(' 1hgcm82633a004352') ->> 'make', 'HONDA', 'decode_vin: the cached decode');
select is(api.decode_vin('5XXXXXXX8XX000004') ->> 'status', 'undecodable', 'decode_vin: a negative entry');
select throws_ok($$select api.decode_vin('1HGCM82633A004353')$$, '23514', 'vin: position 9 should be 5, found 3',
    'decode_vin: an invalid VIN is a check violation naming the rule');

select * from finish();
rollback;
