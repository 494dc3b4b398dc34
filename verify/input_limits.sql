-- Verify motovault:input_limits on pg: every constraint present and validated; long values are not upper-cased

select 1 / (count(*) = 8)::integer
from pg_constraint
where convalidated
  and conname in (
      'maintenance_due_on_range', 'maintenance_completed_on_after_1886', 'odometer_entries_read_on_after_1886',
      'reminders_due_on_range', 'reminders_snoozed_until_range', 'vehicle_images_taken_at_sane',
      'vehicles_engine_displacement_l_finite', 'vehicles_engine_power_kw_finite'
  );
select 1 / (app.vin_normalize(E' 1hgcm82633a004352\n') = '1HGCM82633A004352')::integer;
select 1 / (app.vin_normalize(repeat('x', 65)) = repeat('x', 65))::integer;
select 'app.reminders_snoozed_until_in_range()'::regprocedure;
select 1 / count(*)::integer from pg_trigger where tgname = 'reminders_input_range' and tgrelid = 'app.reminders'::regclass;
