-- Verify motovault:fuel_logs_charge_checks on pg

select 1 / (select (count(*) = 11)::int from pg_constraint
            where conrelid = 'app.fuel_logs'::regclass and convalidated
              and conname in ('fuel_logs_charge_fields_electric', 'fuel_logs_battery_kwh_within_grid',
                              'fuel_logs_soc_before_range', 'fuel_logs_soc_after_range',
                              'fuel_logs_soc_after_not_below_before', 'fuel_logs_charger_level_known',
                              'fuel_logs_location_type_known', 'fuel_logs_network_length',
                              'fuel_logs_charge_minutes_range', 'fuel_logs_session_fee_not_negative',
                              'fuel_logs_currency_with_session_fee'));
