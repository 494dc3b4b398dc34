-- Readings and reminders recorded without a unit take their vehicle's odometer unit.
begin;
select plan(3);

insert into app.tenants (id, name) values ('40000000-0000-4000-8000-000000000001', 'Unit test');
insert into app.vehicles (tenant_id, id, display_name, odometer_unit)
values ('40000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-0000000000c1', 'Miles car', 'mi');

insert into app.odometer_entries (tenant_id, vehicle_id, read_on, odometer)
values ('40000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-0000000000c1', '2024-01-15', 1000);
select is((select odometer_unit from app.odometer_entries where vehicle_id = '40000000-0000-4000-8000-0000000000c1'),
          'mi', 'an odometer entry takes the vehicle''s unit');

insert into app.maintenance (tenant_id, vehicle_id, type, status, completed_on, odometer)
values ('40000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-0000000000c1', 'oil_change', 'completed', '2024-02-01', 1200);
select is((select odometer_unit from app.maintenance where vehicle_id = '40000000-0000-4000-8000-0000000000c1'),
          'mi', 'a maintenance record takes the vehicle''s unit');

insert into app.reminders (tenant_id, vehicle_id, title, category, due_odometer)
values ('40000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-0000000000c1', 'Tires', 'tires', 5000);
select is((select odometer_unit from app.reminders where vehicle_id = '40000000-0000-4000-8000-0000000000c1'),
          'mi', 'a reminder takes the vehicle''s unit');

select * from finish();
rollback;
