-- Revert motovault:api_decode_vin from pg

begin;

drop function api.decode_vin(text);

commit;
