-- Readings and reminders recorded without a unit take their vehicle's odometer unit.
begin;
select plan(3);

select tests.new_tenant('Unit test') as tenant \gset
select tests.new_vehicle(:'tenant', 'Miles car', 'mi') as car \gset

insert into app.odometer_entries (tenant_id, vehicle_id, read_on, odometer)
values (:'tenant', :'car', '2024-01-15', 1000);
select is((select odometer_unit from app.odometer_entries where vehicle_id = :'car'),
          'mi', 'an odometer entry takes the vehicle''s unit');

insert into app.maintenance (tenant_id, vehicle_id, type, status, completed_on, odometer)
values (:'tenant', :'car', 'oil_change', 'completed', '2024-02-01', 1200);
select is((select odometer_unit from app.maintenance where vehicle_id = :'car'),
          'mi', 'a maintenance record takes the vehicle''s unit');

insert into app.reminders (tenant_id, vehicle_id, title, category, due_odometer)
values (:'tenant', :'car', 'Tires', 'tires', 5000);
select is((select odometer_unit from app.reminders where vehicle_id = :'car'),
          'mi', 'a reminder takes the vehicle''s unit');

select * from finish();
rollback;
