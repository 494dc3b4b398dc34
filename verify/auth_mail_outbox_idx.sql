-- Verify motovault:auth_mail_outbox_idx on pg

select 1 / (select count(*)::int from pg_index
            where indexrelid in ('auth_private.mail_outbox_due_idx'::regclass, 'auth_private.mail_outbox_lease_idx'::regclass)
              and indisvalid having count(*) = 2);
