-- Deploy motovault:helpers to pg
-- requires: schemas
--
-- Small value helpers every later change may use: time-ordered ids, a date check that does not raise.

begin;

set local lock_timeout = '5s';

create or replace function app.uuid_v7()
returns uuid
language sql
volatile
parallel safe
as $$
    select encode(
        set_bit(
            set_bit(
                overlay(
                    uuid_send(gen_random_uuid())
                    placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                    from 1 for 6
                ),
                52, 1
            ),
            53, 1
        ),
        'hex'
    )::uuid
$$;
comment on function app.uuid_v7() is 'A version 7 (time-ordered) UUID: 48-bit millisecond timestamp, then random bits.';

-- a date string check that does not raise (pg_input_is_valid arrives in PostgreSQL 16)
create or replace function app.is_date_text(value text)
returns boolean
language plpgsql
immutable
strict
parallel safe
as $$
begin
    perform value::date;
    return true;
exception when others then
    return false;
end
$$;
comment on function app.is_date_text(text) is 'True when value parses as a date.';

grant execute on function app.uuid_v7(), app.is_date_text(text) to app_user;

commit;
