-- Example of docs/testing.md: members add vehicles, viewers only read them, another tenant sees none.
select plan(4);

-- fixtures: made directly, as the superuser, outside any request; ids kept in psql variables
select tests.new_tenant('Household') as home \gset
select tests.new_member(:'home', 'member') as member \gset
select tests.new_member(:'home', 'viewer') as viewer \gset
select tests.new_tenant('Neighbours') as other \gset
select tests.new_member(:'other', 'owner') as neighbour \gset

-- the act under test stays in the file: plain SQL through the api, as each user in turn
select tests.become(:'member', :'home');
select lives_ok($$insert into api.vehicles (display_name) values ('Family car')$$, 'a member adds a vehicle');

select tests.become(:'viewer', :'home');
select is(array(select display_name from api.vehicles), array['Family car'], 'a viewer reads it');
select throws_ok($$insert into api.vehicles (display_name) values ('Mine')$$, '42501', null, 'but cannot add one');

select tests.become(:'neighbour', :'other');
select is((select count(*)::int from api.vehicles), 0, 'another tenant sees none of it');

select tests.unbecome();
select * from finish();
