-- Verify motovault:auth_mail_outbox_checks on pg

select 1 / (select count(*)::int from pg_constraint
            where conrelid = 'auth_private.mail_outbox'::regclass and convalidated
              and conname in ('mail_outbox_status_known', 'mail_outbox_attempts_not_negative',
                              'mail_outbox_status_running_has_lease', 'mail_outbox_sent_at_iff_sent')
            having count(*) = 4);
