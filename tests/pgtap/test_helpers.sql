-- The pgTAP test helpers (schema tests, tests/fixtures/pgtap/helpers.sql) do what they say:
-- fixtures make the rows, become* really switch role and claims, unbecome switches back.
select plan(30);

-- fixtures -----------------------------------------------------------------------------------------
select tests.new_tenant('Helpers A', 'fleet') as tenant \gset
select tests.new_tenant() as plain_tenant \gset
select results_eq(
    format($$select name, kind from app.tenants where id in (%L, %L) order by name$$, :'tenant', :'plain_tenant'),
    $$values ('Helpers A', 'fleet'), ('Test tenant', 'household')$$,
    'new_tenant makes a tenant with the name and kind given (a household by default)');

select tests.new_user('Ann', 'ann@example.org') as ann \gset
select results_eq(
    format($$select display_name, email from app.users where id = %L$$, :'ann'),
    $$values ('Ann', 'ann@example.org')$$,
    'new_user makes a user');
select is((select count(*)::int from app.memberships where user_id = :'ann'), 0, 'who belongs to no tenant');

select tests.new_member(:'tenant') as member \gset
select tests.new_member(:'tenant', 'viewer') as viewer \gset
select tests.new_tenant('Helpers B') as tenant_b \gset
select tests.new_member(:'tenant_b', 'owner', :'viewer') as viewer_again \gset
select is((select role from app.memberships where tenant_id = :'tenant' and user_id = :'member'), 'member',
    'new_member makes a new user a member (the default role)');
select is((select role from app.memberships where tenant_id = :'tenant' and user_id = :'viewer'), 'viewer',
    'new_member gives the role asked for');
select isnt(:'member'::uuid, :'viewer'::uuid, 'each new_member without user_id is a new user');
select is(:'viewer_again'::uuid, :'viewer'::uuid, 'new_member with user_id adds that user and returns its id');
select is((select array_agg(role order by role) from app.memberships where user_id = :'viewer'), array['owner', 'viewer'],
    'so one user can be in two tenants with two roles');

select tests.new_garage(:'tenant', 'Depot') as garage \gset
select results_eq(
    format($$select tenant_id, name from app.garages where id = %L$$, :'garage'),
    format($$values (%L::uuid, 'Depot')$$, :'tenant'),
    'new_garage makes a garage of the tenant');

select tests.new_vehicle(:'tenant') as car \gset
select tests.new_vehicle(:'tenant', 'Bike', 'mi', vin => '1HGCM82633A004352', license_plate => 'HELP-1', garage_id => :'garage') as bike \gset
select tests.new_vehicle(:'tenant_b', 'Elsewhere') as elsewhere \gset
select results_eq(
    format($$select tenant_id, display_name, odometer_unit, odometer_reading, vin, license_plate, garage_id
             from app.vehicles where id = %L$$, :'car'),
    format($$values (%L::uuid, 'Test vehicle', 'km', 0, null::text, null::text, null::uuid)$$, :'tenant'),
    'new_vehicle makes a vehicle of the tenant, in km, reading 0');
select results_eq(
    format($$select display_name, odometer_unit, vin, license_plate, garage_id from app.vehicles where id = %L$$, :'bike'),
    format($$values ('Bike', 'mi', '1HGCM82633A004352', 'HELP-1', %L::uuid)$$, :'garage'),
    'new_vehicle takes a name, unit, VIN, plate and garage');

select tests.new_fuel_log(:'car', '2024-01-01', 1000, 40) as car_fill \gset
select tests.new_fuel_log(:'bike', '2024-01-01', 500, 3, 'gal_us', 12.5, 'usd', is_full => false, missed_previous => true) as bike_fill \gset
select results_eq(
    format($$select tenant_id, vehicle_id, filled_on, odometer, odometer_unit, volume, volume_unit, is_full, missed_previous
             from app.fuel_logs where id = %L$$, :'car_fill'),
    format($$values (%L::uuid, %L::uuid, date '2024-01-01', 1000, 'km', 40.000, 'l', true, false)$$, :'tenant', :'car'),
    'new_fuel_log makes a full fill-up in the vehicle''s tenant and units');
select results_eq(
    format($$select odometer_unit, volume, volume_unit, total_cost, currency, is_full, missed_previous
             from app.fuel_logs where id = %L$$, :'bike_fill'),
    $$values ('mi', 3.000, 'gal_us', 12.50, 'USD', false, true)$$,
    'new_fuel_log takes volume unit, cost, currency, partial and missed (the product''s rules apply: currency upper-cased)');
select throws_like(
    $$select tests.new_fuel_log(gen_random_uuid(), '2024-01-01', 1, 1)$$,
    'tests.new_fuel_log: no vehicle %',
    'new_fuel_log of an unknown vehicle fails');

-- become ---------------------------------------------------------------------------------------------
select tests.become(:'member', :'tenant');
select is(current_user::text, 'app_user', 'become sets role app_user');
select is(current_setting('request.jwt.claims')::jsonb,
    jsonb_build_object('role', 'app_user', 'sub', :'member', 'tenant_id', :'tenant'),
    'and the claims PostgREST sets for the token {role, sub, tenant_id}');
select results_eq(
    $$select app.current_user_id(), app.current_tenant_id(), app.current_member_role()$$,
    format($$values (%L::uuid, %L::uuid, 'member')$$, :'member', :'tenant'),
    'the app reads user, tenant and membership role from them');
select is(array(select display_name from api.vehicles order by display_name), array['Bike', 'Test vehicle'],
    'the user sees the tenant''s vehicles through the API, not another tenant''s');
select throws_ok($$select tests.new_tenant()$$, '55000', null,
    'fixture helpers refuse to run while acting as a user');

select tests.become(:'viewer', :'tenant');
select is(app.current_member_role(), 'viewer', 'become switches from one user to another');
select throws_ok(format($$select tests.become(%L, %L)$$, :'ann', :'tenant'), 'PT403', null,
    'become runs the db-pre-request check: a user who is not a member is refused (403), as by PostgREST');
select results_eq($$select current_user = 'app_user', app.current_user_id()$$, format($$values (true, %L::uuid)$$, :'viewer'),
    'a refused become leaves the session as it was');
select tests.become(:'ann', :'tenant', pre_request => false);
select results_eq($$select current_user = 'app_user', app.current_user_id(), app.current_member_role()$$,
    format($$values (true, %L::uuid, null::text)$$, :'ann'),
    'pre_request => false skips the check: the session acts as a non-member of the tenant it names');
select tests.become(:'ann');
select is(current_setting('request.jwt.claims')::jsonb, jsonb_build_object('role', 'app_user', 'sub', :'ann'),
    'become without a tenant: claims without tenant_id');

-- analyst, owner, back ---------------------------------------------------------------------------------
select tests.become_analyst();
select results_eq($$select current_user = 'analyst', current_setting('request.jwt.claims')$$, $$values (true, '')$$,
    'become_analyst: role analyst, no claims');
select tests.become_owner();
select results_eq(
    $$select current_user = (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'app'),
             current_setting('request.jwt.claims')$$,
    $$values (true, '')$$,
    'become_owner: the role that owns schema app, no claims');
select is(current_user::text, 'motovault_owner', 'which is motovault_owner');
select tests.unbecome();
select results_eq($$select current_user = session_user, current_setting('request.jwt.claims')$$, $$values (true, '')$$,
    'unbecome: back to the session user, no claims');
select lives_ok($$select tests.new_tenant()$$, 'where fixtures can be made again');

-- conventions ----------------------------------------------------------------------------------------
select is(
    array(select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
          where n.nspname = 'tests' and obj_description(p.oid, 'pg_proc') is null order by 1),
    '{}'::text[], 'every helper has a COMMENT');

select * from finish();
