"""Migrations on live data: on a database holding the demo data plus generated rows in every app table,
each change of the plan is reverted and deployed again (from the tip down to the very first change, the
last round being a full revert and redeploy). After every round

* every table that survived the revert (same pg_class oid) holds exactly the rows it held before
  (row count and md5 of its sorted rows) - except that the audit log may gain INSERT rows for tables
  the round re-created: a redeploy that fills a re-created table writes it through its audit trigger
  (vehicle_events_from_sources backfills the events of every fuel log, completed maintenance and
  odometer entry into a re-created vehicle_events). Its earlier rows must be untouched,
* every table is back, and the schema is identical to the original (normalized pg_dump --schema-only),
  as are the database's role settings (which pg_dump does not show).

Which rounds: `make test` reverts to each tag (a release: what a DBA rolls back to) and, one at a time,
every change after the last tag (not released yet: each must revert on data on its own), and last the
whole plan; `make soak` (MOTOVAULT_MIGRATIONS_EVERY_CHANGE=1) reverts every change of the plan, one at a
time. Slow (about two sqitch runs per round)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from motovault.core.db import one_row
from motovault.core.paths import pg_bindir
from motovault.core.plan import load_plan
from motovault.core.schema import schema_sql
from motovault.stack import database
from motovault.stack.backup import Fingerprint, role_settings, table_fingerprints
from motovault.stack.settings import OWNER_ROLE, Settings
from support.databases import ClonedDatabase, schema_dump
from support.documents import pdf, png
from support.hardening import load_demo
from support.tenancy_world import seed

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.slow


def generate(conn: psycopg.Connection) -> None:
    """Demo data, two more tenants, then more rows: generated garages and vehicles (some soft-deleted),
    and for every other app table a copy of its rows under new ids where its constraints allow."""
    load_demo(conn)
    seed(conn, vehicles_per_tenant=4)
    conn.execute(
        """
        insert into app.garages (tenant_id, name, timezone, notes)
        select t.id, 'Generated garage ' || g, 'Europe/Berlin', repeat('n', g)
        from app.tenants as t cross join generate_series(1, 20) as g
        """
    )
    conn.execute(
        """
        insert into app.vehicles
            (tenant_id, garage_id, display_name, make, model, year, odometer_reading, odometer_unit)
        select g.tenant_id, g.id, 'Gen ' || g.name || ' ' || n, 'Make' || n % 7, 'Model' || n % 11, 1990 + n % 35,
               n * 1000, case when n % 2 = 0 then 'km' else 'mi' end
        from app.garages as g cross join generate_series(1, 10) as n
        """
    )
    conn.execute("update app.vehicles set deleted_at = now() - interval '3 days' where odometer_reading % 7000 = 0")
    conn.execute("update app.garages set deleted_at = now() where name like 'Generated garage 1_'")
    # the shared VIN cache, as the worker fills it (the demo leaves decoding to the worker)
    conn.execute(
        """
        insert into app.vin_cache (vin, decoded, make, model, year, body_class, fuel_types, engine_cylinders,
                                   engine_displacement_l, source, expires_at)
        values ('1HGCM82633A004352', true, 'HONDA', 'Accord', 2003, 'Coupe', '{Gasoline}', 6, 3.0, 'offline',
                now() + interval '30 days')
        """
    )
    # money: rates, a second (LPG) tank per vehicle, a reporting currency, expenses, ownership
    conn.execute(
        """
        insert into app.exchange_rates (currency, rate_date, per_eur)
        values ('USD', current_date - 1, 1.08), ('GBP', current_date - 1, 0.86);
        insert into app.energy_sources (tenant_id, vehicle_id, tank_number, name, fuel_types, unit)
        select v.tenant_id, v.id, 2, 'LPG tank', '{lpg}', 'l' from app.vehicles as v;
        insert into app.reporting_currencies (tenant_id, currency) select t.id, 'USD' from app.tenants as t
        where not exists (select from app.reporting_currencies as r where r.tenant_id = t.id);
        insert into app.expenses (tenant_id, vehicle_id, category, incurred_on, amount, currency, recur_months)
        select v.tenant_id, v.id, 'insurance', current_date - 100, 40, 'EUR', 1 from app.vehicles as v;
        insert into app.vehicle_ownership (tenant_id, vehicle_id, purchased_on, purchase_price, currency)
        select v.tenant_id, v.id, date '2020-01-01', 10000, 'EUR' from app.vehicles as v
        where not exists (select from app.vehicle_ownership as o
                          where o.tenant_id = v.tenant_id and o.vehicle_id = v.id);
        """
    )
    # accounts: people with passwords and sessions, an API key, an invitation per tenant
    conn.execute(
        "select api.sign_up('gen' || n || '@example.org', 'generated passphrase') from generate_series(1, 3) as n"
    )
    conn.execute(
        "select api.sign_in('gen' || n || '@example.org', 'generated passphrase') from generate_series(1, 3) as n"
    )
    conn.execute(
        """
        insert into auth_private.api_keys (user_id, tenant_id, name, prefix, secret_hash, scope)
        select m.user_id, m.tenant_id, 'generated', substr(md5(m.user_id::text || m.tenant_id::text), 1, 8),
               auth_private.token_hash(m.user_id::text || m.tenant_id::text), 'read'
        from app.memberships as m
        """
    )
    conn.execute(
        """
        insert into app.invitations (tenant_id, email, role, expires_at)
        select t.id, 'invitee-' || left(t.id::text, 8) || '@example.org', 'member', now() + interval '7 days'
        from app.tenants as t
        """
    )
    # an import batch per tenant as the worker leaves it: its file, the vehicle it names, a staged row
    conn.execute(
        """
        insert into app.import_files (tenant_id, sha256, content)
        select t.id, encode(sha256(f.content), 'hex'), f.content
        from app.tenants as t
        cross join (select convert_to(E'Date,Odometer\\n1/2/2024,1000\\n', 'UTF8') as content) as f
        """
    )
    conn.execute(
        """
        insert into app.import_batches (tenant_id, filename, file_sha256, date_order, status, detected_format,
                                        finished_at)
        select f.tenant_id, 'generated.csv', f.sha256, 'mdy', 'parsed', 'lubelogger', now()
        from app.import_files as f
        """
    )
    conn.execute(
        "insert into app.import_vehicles (tenant_id, batch_id, key, name) "
        "select b.tenant_id, b.id, 'default', 'generated' from app.import_batches as b"
    )
    conn.execute(
        """
        insert into app.import_rows (tenant_id, batch_id, line, vehicle_key, kind, fields)
        select b.tenant_id, b.id, 2, 'default', 'odometer', '{"read_on": "2024-01-02", "odometer": 1000}'
        from app.import_batches as b
        """
    )
    # notifications (deploy/notify_subscriptions.sql ... calendar_feeds.sql): an email subscription per
    # tenant, the deliveries of the events so far, due-reminder alerts, a calendar feed per member
    conn.execute(
        "insert into app.notify_subscriptions (tenant_id, name, channel, target_hint, event_types) "
        "select t.id, 'Seeded', 'email', 'ops@example.org', '{*}' from app.tenants as t"
    )
    conn.execute(
        "insert into auth_private.notify_targets (tenant_id, subscription_id, target) "
        "select tenant_id, id, target_hint from app.notify_subscriptions"
    )
    conn.execute("select app.notify_evaluate_reminders(now() + interval '400 days')")
    conn.execute("select app.notify_dispatch(100000)")
    conn.execute(
        "insert into app.calendar_feeds (tenant_id, user_id, name) "
        "select tenant_id, user_id, 'Seeded' from app.memberships where deleted_at is null"
    )
    # hour readings, trips (with a rate and a closing) and tires on one generated vehicle per tenant
    conn.execute(
        """
        create temporary table gen_meters as
        select distinct on (v.tenant_id) v.tenant_id, v.id as vehicle_id
        from app.vehicles as v
        where v.display_name like 'Gen %' and v.deleted_at is null and v.odometer_unit = 'km'
        order by v.tenant_id, v.id
        """
    )
    conn.execute(
        """
        insert into app.hour_readings (tenant_id, vehicle_id, read_at, hours)
        select g.tenant_id, g.vehicle_id, localtimestamp - make_interval(days => 30 - n), 100 + n
        from gen_meters as g cross join generate_series(1, 3) as n;
        insert into app.trips (tenant_id, vehicle_id, started_at, ended_at, start_odometer, end_odometer, odometer_unit,
                               purpose, driver, logged_at)
        select g.tenant_id, g.vehicle_id, current_date - 40 + n, current_date - 40 + n + time '01:00',
               1000000 + n * 10, 1000000 + n * 10 + 10, 'km', 'business', 'Gen', current_date - 40 + n
        from gen_meters as g cross join generate_series(1, 3) as n;
        insert into app.trip_rates (tenant_id, purpose, valid_from, rate, distance_unit, currency)
        select g.tenant_id, 'business', date '2020-01-01', 0.3, 'km', 'EUR' from gen_meters as g;
        insert into app.trip_closings (tenant_id, vehicle_id, closed_through, trips)
        select g.tenant_id, g.vehicle_id, current_date - 30, 3 from gen_meters as g;
        insert into app.tire_sets (tenant_id, id, vehicle_id, name, brand, size, season, dot_code)
        select g.tenant_id, g.vehicle_id, g.vehicle_id, 'Gen', 'Brand', '205/55 R16', 'summer', 'DOT 4B9X 3VR 2319'
        from gen_meters as g;
        insert into app.tires (tenant_id, id, tire_set_id, label, position)
        select g.tenant_id, g.vehicle_id, g.vehicle_id, '1', 'front_left' from gen_meters as g;
        insert into app.tire_mounts (tenant_id, tire_set_id, vehicle_id, mounted_on, mount_odometer, odometer_unit)
        select g.tenant_id, g.vehicle_id, g.vehicle_id, current_date - 100, 1000000, 'km' from gen_meters as g;
        insert into app.tread_measurements (tenant_id, tire_id, measured_on, odometer, odometer_unit, depth_mm)
        select g.tenant_id, g.vehicle_id, current_date - 20, 1000100, 'km', 7.5 from gen_meters as g;
        drop table gen_meters;
        """
    )
    # documents (deploy/documents.sql): two files per tenant on a vehicle, the same PDF twice (one file);
    # recalls (deploy/recalls.sql): the demo's vehicles queued their checks, one is answered as the
    # worker would, with the recorded NHTSA answer
    for body in (pdf("live"), png(7, 5)):
        conn.execute(
            "insert into app.document_files (tenant_id, content, sha256, content_type, bytes) "
            "select t.id, %s, '', '', 0 from app.tenants as t",
            (body,),
        )
    conn.execute(
        """
        insert into app.documents (tenant_id, file_id, vehicle_id, file_name, content_type, bytes, sha256)
        select f.tenant_id, f.id, v.id, 'generated' || n, f.content_type, f.bytes, f.sha256
        from app.document_files as f
        cross join generate_series(1, 2) as n
        cross join lateral (select id from app.vehicles as v where v.tenant_id = f.tenant_id limit 1) as v
        """
    )
    # reports asked for through the API (deploy/report_requests.sql): one waiting, one rendered, per tenant
    conn.execute(
        """
        insert into app.report_requests (tenant_id, kind, vehicle_id, format)
        select v.tenant_id, 'vehicle', v.id, 'pdf'
        from (select distinct on (tenant_id) tenant_id, id from app.vehicles order by tenant_id, id) as v;
        insert into app.report_requests (tenant_id, kind, format, status, attempts, content, content_type,
                                         file_name, bytes, rendered_at)
        select t.id, 'fleet', 'html', 'done', 1, convert_to('<!doctype html><p>fleet', 'UTF8'),
               'text/html; charset=utf-8', 'fleet-' || t.id || '.html', 23, now()
        from app.tenants as t;
        """
    )
    # tenant imports (deploy/tenant_imports.sql): one imported (its document emptied), one waiting, per tenant
    conn.execute(
        """
        insert into app.tenant_imports (tenant_id, status, rows_total, rows_done, attempts, result, finished_at)
        select t.id, 'imported', 1, 1, 1, '{"rows": {"garages": 1}, "members_added": 0}', now()
        from app.tenants as t;
        insert into app.tenant_imports (tenant_id, rows_total)
        select t.id, 1
        from app.tenants as t;
        insert into app.tenant_import_documents (tenant_id, id, doc)
        select i.tenant_id, i.id, case when i.status = 'queued'
            then '{"format": "motovault.tenant", "version": 1, "tables": {"garages": [{"name": "G"}]}}'::jsonb end
        from app.tenant_imports as i;
        """
    )
    results = json.loads((ROOT / "tests" / "fixtures" / "nhtsa_recalls" / "acura_rdx_2012.json").read_text())
    conn.execute(
        "update app.recall_checks"
        " set status = 'running', leased_by = 'generate', lease_until = now() + interval '1 minute'"
    )
    conn.execute(
        "select app.recall_check_finish(id, 'generate', %s) from app.recall_checks",
        (Jsonb(results["results"]),),
    )
    # later tables (fuel logs, maintenance, events ...): copy what the demo put there, under new ids
    tables = conn.execute(
        """
        select c.oid::regclass::text
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        join pg_attribute as a on a.attrelid = c.oid and a.attname = 'id' and a.atthasdef
        where n.nspname = 'app' and c.relkind in ('r', 'p') and not c.relispartition
          and c.relname not in ('tenants', 'users', 'memberships', 'garages', 'vehicles')
        """
    ).fetchall()
    for (table,) in tables:
        columns = [
            r[0]
            for r in conn.execute(
                "select quote_ident(attname) from pg_attribute where attrelid = %s::regclass and attnum > 0 "
                "and not attisdropped and attname <> 'id' and attgenerated = '' and attidentity = ''",
                (table,),
            ).fetchall()
        ]
        cols = ", ".join(columns)
        for _ in range(3):
            try:
                with conn.transaction():
                    conn.execute(f"insert into {table} ({cols}) select {cols} from {table}")
            except psycopg.Error:
                break


def snapshot(conn: psycopg.Connection) -> tuple[dict[str, Fingerprint], dict[str, int]]:
    prints = {t: v for t, v in table_fingerprints(conn).items() if not t.startswith("sqitch.")}
    oids: dict[str, int] = dict(
        conn.execute(
            "select c.oid::regclass::text, c.oid::bigint "
            "from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'sqitch')"
        ).fetchall()
    )
    return prints, oids


AUDIT = "audit.record_version"


def audit_max_id(conn: psycopg.Connection) -> int:
    return int(one_row(conn, f"select coalesce(max(id), 0) from {AUDIT}")[0])


def audit_fingerprint_upto(conn: psycopg.Connection, max_id: int) -> dict[str, object]:
    """table_fingerprints() of the audit rows with id <= max_id (the rows a round started with)."""
    count, digest = one_row(
        conn,
        f"select count(*), coalesce(md5(string_agg(r::text, E'\\n' order by r::text collate \"C\")), '') "
        f"from {AUDIT} as r where r.id <= %s",
        (max_id,),
    )
    return {"rows": count, "md5": digest}


def audit_rows_after(conn: psycopg.Connection, max_id: int) -> list[tuple[str, str, int]]:
    return conn.execute(
        f"select table_name, operation, count(*) from {AUDIT} where id > %s group by 1, 2 order by 1, 2", (max_id,)
    ).fetchall()


def test_revert_and_redeploy_every_change_on_live_data(settings: Settings, clone_db: ClonedDatabase) -> None:
    started = time.monotonic()
    with clone_db.connect() as conn:
        # a clone belongs to whoever cloned it; the plan is deployed by the owner role into its database
        conn.execute(f'alter database "{clone_db.name}" owner to {OWNER_ROLE}')
        generate(conn)
        original_prints, _ = snapshot(conn)
        original_settings = role_settings(conn)
    assert original_prints["app.vehicles"]["rows"] > 500
    empty = [t for t, v in original_prints.items() if t.startswith("app.") and v["rows"] == 0]
    assert not empty, f"the generator left these tables empty: {empty}"
    original_schema = schema_dump(settings, clone_db.name)
    # after a full revert the monthly event partitions the data made are gone with the data: that
    # round compares the normalized schema (sql/schema.sql's form, without those partitions)
    original_normalized = schema_sql(settings.dsn(clone_db.name), pg_bindir() / "pg_dump")

    plan = load_plan(ROOT)
    changes = [entry.name for entry in plan.entries]  # a reworked change once per instance
    # sqitch names the instances of a reworked change by tag: check_request@v1.0, check_request@HEAD
    specs = [
        f"{e.name}@{e.script_tag}" if e.reworked_later else f"{e.name}@HEAD" if e.instance else e.name
        for e in plan.entries
    ]
    # make test: revert to each tag and redeploy to the tip (and a full revert); make soak
    # (MOTOVAULT_MIGRATIONS_EVERY_CHANGE=1): revert and redeploy every change, one at a time
    if os.environ.get("MOTOVAULT_MIGRATIONS_EVERY_CHANGE"):
        stops = list(range(len(changes) - 1, -1, -1))
    else:
        assert plan.tags, "the plan carries at least the @v1.0 tag"
        after_tags = [tag.after + 1 for tag in plan.tags]
        released = max(after_tags)
        stops = sorted(
            {k for k in after_tags if k < len(changes)} | set(range(released, len(changes))) | {0}, reverse=True
        )
    rounds = []
    for k in stops:
        with clone_db.connect() as conn:
            before, oids_before = snapshot(conn)
            audit_before = audit_max_id(conn)
        round_started = time.monotonic()
        if k == 0:
            database.sqitch(settings, clone_db.name, "revert", "-y")
            database.sqitch(settings, clone_db.name, "deploy")
        else:
            # revert past changes[k:], redeploy
            database.sqitch(settings, clone_db.name, "rebase", "-y", "--onto", specs[k - 1])
        rounds.append((changes[k], time.monotonic() - round_started))
        with clone_db.connect() as conn:
            after, oids_after = snapshot(conn)
            assert role_settings(conn) == original_settings, f"role settings after reverting to before {changes[k]}"
            audit_kept = audit_fingerprint_upto(conn, audit_before)
            audit_added = audit_rows_after(conn, audit_before)
        assert set(after) == set(before), f"tables after redeploying {changes[k]}: {set(after) ^ set(before)}"
        survived = [t for t in before if oids_before.get(t) == oids_after.get(t)]
        # tables (and partitions) this round dropped and created again
        recreated = {t for t in set(oids_before) | set(oids_after) if oids_before.get(t) != oids_after.get(t)}
        if AUDIT in survived:
            assert audit_kept == before[AUDIT], f"reverting and redeploying {changes[k]} changed earlier audit rows"
            unexpected = [(t, op, n) for t, op, n in audit_added if op != "INSERT" or t not in recreated]
            assert not unexpected, f"redeploying {changes[k]} audited changes to surviving tables: {unexpected}"
        damaged = {t: (before[t], after[t]) for t in survived if t != AUDIT and before[t] != after[t]}
        assert not damaged, f"reverting and redeploying {changes[k]:} changed surviving tables: {damaged}"
        if k == 0:
            normalized = schema_sql(settings.dsn(clone_db.name), pg_bindir() / "pg_dump")
            assert normalized == original_normalized, "schema differs after a full revert and deploy"
        else:
            assert schema_dump(settings, clone_db.name) == original_schema, (
                f"schema differs after redeploying {changes[k]}"
            )
    # the data of tables no change re-created is still the original data
    with clone_db.connect() as conn:
        final, _ = snapshot(conn)
    assert set(final) == set(original_prints)
    elapsed = time.monotonic() - started
    print(f"\n{len(rounds)} revert/deploy rounds in {elapsed:.1f} s: " + ", ".join(f"{c} {s:.1f}s" for c, s in rounds))
    sqitch_status = database.sqitch(settings, clone_db.name, "verify").stdout
    assert "Verify successful" in sqitch_status or "ok" in sqitch_status


def test_the_schema_dump_comparison_sees_a_difference(settings: Settings, clone_db: ClonedDatabase) -> None:
    """The normalized dump is a real comparison: a one-column change shows."""
    before = schema_dump(settings, clone_db.name)
    with clone_db.connect() as conn:
        conn.execute("comment on column app.vehicles.color is 'paint'")
    assert schema_dump(settings, clone_db.name) != before
    assert re.search(r"paint", schema_dump(settings, clone_db.name))
