"""Running a local stack: the settings and secrets of ``.state/`` (:mod:`.settings`), one PostgreSQL
instance class for the primary and the replica (:mod:`.cluster`), provisioning and deploying a
database (:mod:`.database`), the read replica (:mod:`.replica`, :mod:`.replication`), backups
(:mod:`.backup`), PostgREST (:mod:`.postgrest`), the demo data (:mod:`.demo`) and ``make up/down``
(:mod:`.stack`).

Imports :mod:`motovault.core`, and :mod:`motovault.doctor` in one place: a deploy that failed on a
lock is explained with the doctor's lock analysis of the script (:func:`.database.lock_failure`).
"""
