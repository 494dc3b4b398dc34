-- Revert motovault:soft_delete from pg

begin;

drop function app.purge_deleted(integer);
drop function app.restore_row(regclass, uuid);
drop function app.tg_clear_references();
drop function app.tg_soft_delete_row();

commit;
