-- Revert motovault:vin_worker_fill_path from pg

begin;

set local lock_timeout = '5s';

alter table app.vin_cache
    alter column raw_data set compression default;

create or replace function app.vehicles_prepare()
returns trigger
language plpgsql
as $$
declare
    problem text;
begin
    new.vin := nullif(app.vin_normalize(new.vin), '');
    problem := app.vin_problem(new.vin);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicles_vin_valid',
            column = 'vin',
            message = format('vin: %s', problem),
            detail = format('VIN %s', new.vin),
            hint = 'A VIN has 17 characters, A-Z and 0-9 without I, O and Q; position 9 is a check digit.';
    end if;
    new.make := nullif(btrim(new.make), '');
    new.model := nullif(btrim(new.model), '');
    if new.display_name is null or btrim(new.display_name) = '' then
        new.display_name := coalesce(nullif(concat_ws(' ', new.year, new.make, new.model), ''), 'Vehicle');
    else
        new.display_name := btrim(new.display_name);
    end if;
    return new;
end
$$;

drop trigger vehicles_audit_vin_worker on app.vehicles;
drop trigger vehicles_audit on app.vehicles;
create trigger vehicles_audit
    after insert or update or delete on app.vehicles
    for each row execute function app.audit_row();

drop function app.audit_update_statement();

commit;
