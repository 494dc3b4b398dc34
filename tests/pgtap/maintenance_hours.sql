-- Maintenance records with hours are readings of their hour meter: a record at hours H on date D must
-- fit the meter's history (readings and other records) within its reset segment, checked once per
-- statement both ways: a record that contradicts the readings is refused, and so is a reading that
-- contradicts a record; a reset between them separates them.
select plan(15);

select tests.new_tenant('Farm') as farm \gset
select tests.new_member(:'farm', 'member') as farmer \gset
select tests.new_vehicle(:'farm', 'Tractor', 'km') as tractor \gset
select tests.new_tenant('Neighbours') as other \gset
select tests.new_member(:'other', 'owner') as neighbour \gset
select tests.new_vehicle(:'other', 'Boat', 'km') as boat \gset

select tests.become(:'farmer', :'farm');
insert into api.hour_readings (vehicle_id, read_at, hours)
values (:'tractor', current_date - 60, 1000),
       (:'tractor', current_date - 30, 1100),
       (:'tractor', current_date - 10, 1200);

-- a record against the readings
select throws_like(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours)
             values (%L, 'completed', 'oil_change', current_date - 20, 1050)$$, :'tractor'),
    'hours: 1050.0 h on % (maintenance %) is lower than 1100.0 h recorded earlier on % (hour_readings %, meter engine)',
    'a service at 1050 h after a reading of 1100 h is refused, naming the reading'
);
select throws_like(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours)
             values (%L, 'completed', 'oil_change', current_date - 20, 1250)$$, :'tractor'),
    'hours: 1250.0 h on % is higher than 1200.0 h recorded later on %',
    'a service at 1250 h before a reading of 1200 h is refused'
);
select throws_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours)
             values (%1$L, 'completed', 'inspection', current_date - 25, 1110),
                    (%1$L, 'completed', 'oil_change', current_date - 20, 1090),
                    (%1$L, 'completed', 'air_filter', current_date - 15, 1150)$$, :'tractor'),
    '23514', null,
    'a batch with a bad record in the middle is refused'
);
select is((select count(*)::int from api.maintenance), 0, 'and writes nothing');
select lives_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours)
             values (%1$L, 'completed', 'inspection', current_date - 25, 1110),
                    (%1$L, 'completed', 'oil_change', current_date - 20, 1150)$$, :'tractor'),
    'records that fit between the readings are accepted'
);
select lives_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours, hour_meter)
             values (%L, 'completed', 'other', current_date - 20, 5, 'pto')$$, :'tractor'),
    'another meter is checked on its own'
);
select throws_ok(
    $$update api.maintenance set hours = 1300 where type = 'oil_change'$$,
    '23514', null,
    'an update of the hours that breaks the order is refused'
);
select throws_ok(
    $$update api.maintenance set completed_on = current_date - 5 where type = 'inspection'$$,
    '23514', null,
    'so is moving a record to a date after a higher reading'
);
select throws_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours)
             values (%L, 'completed', 'brake_service', current_date - 22, 1160)$$, :'tractor'),
    '23514', null,
    'records are checked against other records too (1160 h before the 1150 h service)'
);

-- a reading against the records
select throws_like(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours) values (%L, current_date - 18, 1120)$$, :'tractor'),
    'hours: 1120.0 h on % (hour_readings %) is lower than 1150.0 h recorded earlier on % (maintenance %, meter engine)',
    'a reading lower than an earlier service is refused'
);
select lives_ok(
    format($$insert into api.hour_readings (vehicle_id, read_at, hours) values (%L, current_date - 18, 1160)$$, :'tractor'),
    'a reading that fits is accepted'
);

-- a reset separates; removing it brings the records back into the comparison
insert into api.hour_readings (vehicle_id, kind, read_at, hours)
values (:'tractor', 'reset', current_date - 8, 0) returning id as reset \gset
select lives_ok(
    format($$insert into api.maintenance (vehicle_id, status, type, completed_on, hours)
             values (%L, 'completed', 'oil_change', current_date - 5, 20)$$, :'tractor'),
    'after a reset a service at 20 h is fine'
);
select throws_ok(
    format($$update api.hour_readings set kind = 'reading', hours = 1210 where id = %L$$, :'reset'),
    '23514', null,
    'turning the reset into a plain reading is refused: the 20 h service would follow 1210 h'
);

-- isolation: the view shows the tenant's readings of every source
select is((select count(*)::int from api.hour_meter_readings where source = 'maintenance'), 4,
          'api.hour_meter_readings lists the services with hours');
select tests.become(:'neighbour', :'other');
select is((select count(*)::int from api.hour_meter_readings), 0, 'another tenant sees none');

select tests.unbecome();
select * from finish();
