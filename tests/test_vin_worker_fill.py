"""The worker's fast fill path: COPY encoding of decodes, and the statement-level audit of its fills
(deploy/vin_worker_fill_path.sql)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motovault.core.db import one_row
from motovault.stack.settings import OWNER_ROLE
from motovault.vin.decode import decode_many
from motovault.vin.worker import _COPY, _COPY_TYPES, int_array, raw_json, result_row, text_array
from support.databases import ClonedDatabase
from support.vin_worker import ACCORD, make_tenant, random_vins, worker_for

#: the vehicles of one tenant, one per VIN of the array
INSERT_VINS = (
    "insert into app.vehicles (tenant_id, vin, display_name) "
    "select %s, v, '' "
    "from unnest(%s::text[]) as v"
)
HOSTILE_TEXTS = [
    'a "quoted" word', "back\\slash", "comma, {brace}", "NULL", "", "tab\there", "new\nline", "ünï ☃", None
]


@pytest.mark.parametrize("values", [HOSTILE_TEXTS, [], ["plain"]])
def test_array_literals_round_trip_through_postgresql(db: psycopg.Connection, values: list[str | None]) -> None:
    assert db.execute("select %s::text[]", (text_array(values),)).fetchone() == (values,)
    ints = [0, 1, 400, None, -5]
    assert db.execute("select %s::int[]", (int_array(ints),)).fetchone() == (ints,)


def test_raw_json_drops_nul_characters_and_keeps_everything_else(db: psycopg.Connection) -> None:
    raw = {"Make": "FORD\x00", "Notes": 'say "hi" \\ \u2603', "Codes": ("0", "1"), "Set": {"x"}, "n\x00": 1.5, 7: None}
    text = raw_json(raw)
    assert "\\u0000" not in text
    got = one_row(db, "select %s::jsonb", (text,))[0]
    assert got == {
        "Make": "FORD", "Notes": 'say "hi" \\ \u2603', "Codes": ["0", "1"], "Set": ["x"], "n": 1.5, "7": None
    }


def test_the_copy_of_a_decode_with_hostile_values_stores_exactly_those_values(clone_db: ClonedDatabase) -> None:
    base = decode_many([ACCORD])[0]
    hostile = dataclasses.replace(
        base,
        fuel_types=tuple(v for v in HOSTILE_TEXTS if v is not None),
        error_texts=("0 - clean", 'says "check digit", {1}', "back\\slash"),
        raw={**base.raw, "Note": "tab\tand\nnewline and \\ and \x00"},
    )
    row = result_row(ACCORD, hostile)
    with clone_db.connect(OWNER_ROLE) as conn:
        conn.execute("set role vin_worker")
        conn.execute("create temp table vin_decoded of app.vin_decode_result")
        with conn.cursor().copy(_COPY) as copy:
            copy.set_types(list(_COPY_TYPES))
            copy.write_row(row)
        got = conn.execute(
            "select fuel_types, error_codes, error_texts, raw_data ->> 'Note', raw_data ->> 'Make', make, year "
            "from vin_decoded"
        ).fetchone()
    assert got == (
        list(hostile.fuel_types), list(base.error_codes), list(hostile.error_texts),
        "tab\tand\nnewline and \\ and ", base.raw["Make"], base.make, base.model_year,
    )


def audit_rows(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute(
        """select row_id, operation, actor, table_name,
                  (select array_agg(k order by k) from jsonb_object_keys(old_record) as k),
                  (select array_agg(k order by k) from jsonb_object_keys(new_record) as k),
                  old_record ->> 'make', new_record ->> 'make', new_record ->> 'vin_decode_source'
           from audit.record_version
           where table_name = 'app.vehicles' and operation = 'UPDATE'
           order by row_id"""
    ).fetchall()


@pytest.mark.parametrize(
    "role", ["vin_worker", None], ids=["as vin_worker", "as the owner"]
)
def test_each_fill_is_audited_once_with_the_old_and_new_row(clone_db: ClonedDatabase, role: str | None) -> None:
    vins = random_vins(40, seed=11) + [ACCORD]
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        conn.execute(
            "insert into app.vehicles (tenant_id, vin, display_name, make) "
            "select %s, v, '', case when v = %s then 'Typed' end from unnest(%s::text[]) as v",
            (tenant, ACCORD, vins),
        )
        expected_keys = one_row(
            conn,
            "select array_agg(k order by k) "
            "from jsonb_object_keys((select to_jsonb(v) from app.vehicles as v limit 1)) as k",
        )[0]
    with worker_for(clone_db, role=role) as worker:
        assert worker.drain() == len(vins)
    with clone_db.connect() as conn:
        filled = conn.execute(
            "select id, make from app.vehicles where vin_decoded_at is not null order by id"
        ).fetchall()
        rows = audit_rows(conn)
        triggers = conn.execute(
            """select tgname, pg_get_triggerdef(oid) like '%FOR EACH STATEMENT%'
               from pg_trigger where tgrelid = 'app.vehicles'::regclass and tgname like '\\_900\\_audit%' order by 1"""
        ).fetchall()
    # every write is audited per statement (app.attach_audit_triggers), the worker's batch UPDATEs too
    assert triggers == [("_900_audit_delete", True), ("_900_audit_insert", True), ("_900_audit_update", True)]
    assert len(filled) > 10
    assert [r[0] for r in rows] == [f[0] for f in filled], "one audit row per filled vehicle, no more"
    for (_row_id, op, actor, table, old_keys, new_keys, old_make, new_make, source), (_, make) in zip(
        rows, filled, strict=False
    ):
        assert (op, actor, table) == ("UPDATE", None, "app.vehicles")
        assert old_keys == new_keys == expected_keys, "the whole row before and after, as the row trigger logs it"
        assert new_make == make and source == "offline"
        assert old_make == ("Typed" if make == "Typed" else None)


def test_an_owner_update_of_a_filled_vehicle_is_still_audited(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        conn.execute("insert into app.vehicles (tenant_id, vin, display_name) values (%s, %s, '')", (tenant, ACCORD))
    with worker_for(clone_db) as worker:
        worker.drain()
    with clone_db.connect(OWNER_ROLE) as conn:
        conn.execute("update app.vehicles set color = 'Blue' where vin = %s", (ACCORD,))
        got = conn.execute(
            """select operation, new_record ->> 'color' from audit.record_version
               where table_name = 'app.vehicles' and operation = 'UPDATE' order by id"""
        ).fetchall()
    assert got == [("UPDATE", None), ("UPDATE", "Blue")], "the worker's fill, then the owner's edit: one row each"


@pytest.mark.parametrize("writers", [1, 3])
def test_parallel_writers_finish_every_job_once(clone_db: ClonedDatabase, writers: int) -> None:
    vins = random_vins(2400, seed=23)
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        other, _ = make_tenant(conn)
        conn.execute(INSERT_VINS,
                     (tenant, vins))
        conn.execute(INSERT_VINS,
                     (other, vins[:500]))
    with worker_for(clone_db, batch_size=150, writers=writers) as worker:
        assert worker.drain() == len(vins)
        assert worker.stats.batches == 16 and worker.stats.done == len(vins)
    with clone_db.connect() as conn:
        assert conn.execute(
            "select status, count(*), max(attempts) from app.vin_decode_queue group by status"
        ).fetchall() == [
            ("done", len(vins), 1)]
        filled = one_row(conn, "select count(*) from app.vehicles where vin_decoded_at is not null")[0]
        assert filled == one_row(
            conn, "select count(*) from app.vehicles as v join app.vin_cache as c using (vin) where c.decoded"
        )[0] > 1000
        assert conn.execute(
            """select count(*), count(distinct row_id) from audit.record_version
               where table_name = 'app.vehicles' and operation = 'UPDATE'""").fetchone() == (filled, filled)
        leased = one_row(conn, "select count(distinct leased_by) from app.vin_decode_queue")[0]
    assert leased == 1, "one worker name for all its connections"


def test_a_writer_connection_lost_mid_drain_stops_the_drain_and_a_rerun_finishes_every_job_once(
    clone_db: ClonedDatabase
) -> None:
    vins = random_vins(1500, seed=29)
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        conn.execute(INSERT_VINS,
                     (tenant, vins))
    worker = worker_for(clone_db, batch_size=100, writers=2, lease_seconds=1)
    seen = 0
    original = worker._finish_batch

    def finish_then_lose_a_writer(
        conn: psycopg.Connection, ids: list[int], rows: list[tuple[Any, ...]] | None, error: str | None, decode_s: float
    ) -> None:
        nonlocal seen
        seen += 1
        if seen == 4:
            conn.close()  # the connection dies before this batch is written
        original(conn, ids, rows, error, decode_s)

    worker._finish_batch = finish_then_lose_a_writer  # type: ignore[method-assign]
    with worker, pytest.raises(psycopg.OperationalError):
        worker.drain()
    with clone_db.connect() as conn:
        assert one_row(conn, "select count(*) from app.vin_decode_queue where status = 'done'")[0] < len(vins)
    time.sleep(1.2)  # the lost batch's lease expires
    with worker_for(clone_db, batch_size=100, writers=2) as rerun:
        rerun.drain()
    with clone_db.connect() as conn:
        assert conn.execute(
            "select status, count(*) from app.vin_decode_queue group by status"
        ).fetchall() == [("done", len(vins))]
        assert conn.execute(
            """select count(*) = count(distinct row_id) from audit.record_version
               where table_name = 'app.vehicles' and operation = 'UPDATE'""").fetchone() == (True,)


def test_worker_refuses_zero_writers_with_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "motovault", "worker", "--writers", "0", "--once"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == ["motovault worker: error: --writers: must be 1 or more, got 0"]


def worker_backends(conn: psycopg.Connection, dbname: str) -> set[int]:
    return {r[0] for r in conn.execute(
        "select pid from pg_stat_activity where datname = %s and application_name = 'motovault worker'", (dbname,))}


def test_a_short_batch_uses_one_connection_and_the_pipeline_keeps_its_connections(clone_db: ClonedDatabase) -> None:
    vins = random_vins(1000, seed=31)
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)

        def add(some: list[str]) -> None:
            conn.execute(INSERT_VINS,
                         (tenant, some))

        with worker_for(clone_db, batch_size=100, writers=3) as worker:
            add(vins[:10])
            assert worker.drain() == 10
            assert len(worker_backends(conn, clone_db.name)) == 1, "a wake-up for a few VINs opens nothing more"
            add(vins[10:500])
            assert worker.drain() == 490
            first = worker_backends(conn, clone_db.name)
            assert len(first) == 4, "this connection, the claimer, two more writers"
            add(vins[500:])
            assert worker.drain() == 500
            assert worker_backends(conn, clone_db.name) == first, "the same connections, not new ones"
        deadline = time.monotonic() + 5
        while worker_backends(conn, clone_db.name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker_backends(conn, clone_db.name) == set(), "close() closes them all"
        assert conn.execute("select count(*) from app.vin_decode_queue where status = 'done'").fetchone() == (1000,)
