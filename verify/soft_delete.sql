-- Verify motovault:soft_delete on pg

select 'app.tg_soft_delete_row()'::regprocedure, 'app.restore_row(regclass, uuid)'::regprocedure,
       'app.purge_deleted(integer)'::regprocedure;
