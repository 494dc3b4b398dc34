"""The VIN decode worker, the cache's privileges, NOTIFY, retries, crashes, and the API around them."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import psycopg
import pytest

from motovault.core.db import one_row
from motovault.stack.settings import OWNER_ROLE
from motovault.testing.postgrest_proc import PostgrestServer
from motovault.vin.decode import DecodeResult, decode_many
from motovault.vin.worker import Worker
from support.databases import ClonedDatabase
from support.vin_worker import ACCORD, make_tenant, random_vins, worker_for

F150 = "1FTMW1T88MFA00001"
HARLEY = "1M8GDM9AXKP042788"


def insert_vehicles(conn: psycopg.Connection, tenant: str, vins: list[str]) -> None:
    conn.execute(
        "insert into app.vehicles (tenant_id, vin, display_name) select %s, v, '' from unnest(%s::text[]) as v",
        (tenant, vins),
    )


# -- privileges ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["app_user", "anon", "analyst", "authenticator"])
@pytest.mark.parametrize("table", ["app.vin_cache", "app.vin_decode_queue"])
def test_no_api_role_can_read_the_cache_or_the_queue(clone_db: ClonedDatabase, role: str, table: str) -> None:
    with clone_db.connect() as conn:
        conn.execute(f"set role {role}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select vin from {table} limit 1")


def test_vin_worker_writes_the_cache(clone_db: ClonedDatabase) -> None:
    with clone_db.connect(OWNER_ROLE) as conn:
        conn.execute("set role vin_worker")
        conn.execute(
            "insert into app.vin_cache (vin, decoded, make, source, expires_at) "
            "values (%s, true, 'HONDA', 'offline', now() + interval '1 day')",
            (ACCORD,),
        )
        assert conn.execute("select make from app.vin_cache").fetchone() == ("HONDA",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # and nothing of the tenants' own
            conn.execute("select * from app.tenants")


# -- NOTIFY ------------------------------------------------------------------------------------


def test_writing_a_vin_notifies_the_worker_channel(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as listener, clone_db.connect() as writer:
        listener.execute("listen vin_decode")
        tenant, _ = make_tenant(writer)
        insert_vehicles(writer, tenant, [ACCORD])
        got = [(n.channel, n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
        assert got == [("vin_decode", "")], "one wake-up, and no VIN in the payload (any role may LISTEN)"
        writer.execute("insert into app.vehicles (tenant_id, display_name) values (%s, 'No VIN')", (tenant,))
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == [], "no VIN, no notification"


def test_the_worker_wakes_up_on_notify(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn, worker_for(clone_db, poll_seconds=30) as worker:
        tenant, _ = make_tenant(conn)
        assert worker.drain() == 0
        insert_vehicles(conn, tenant, [F150])
        started = time.monotonic()
        assert worker.wait(10) is True
        assert time.monotonic() - started < 5
        assert worker.drain() == 1
        assert conn.execute("select make from app.vehicles").fetchone() == ("FORD",)


# -- the worker --------------------------------------------------------------------------------


def test_worker_fills_only_what_people_left_empty(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        conn.execute(
            """insert into app.vehicles (tenant_id, vin, display_name, make, model, year) values
               (%(t)s, %(a)s, '', null, null, null),
               (%(t)s, %(f)s, 'Work truck', 'Ford Motor', null, null)""",
            {"t": tenant, "a": ACCORD, "f": F150},
        )
        with worker_for(clone_db) as worker:
            assert worker.drain() == 2
            assert worker.stats.done == 2 and worker.stats.filled == 2
        rows = conn.execute(
            "select vin, display_name, make, model, year, trim, vin_filled from app.vehicles order by vin"
        ).fetchall()
        assert rows == [
            (F150, "Work truck", "Ford Motor", "F-150", 2021, None, ["model", "year"]),
            (ACCORD, "2003 HONDA Accord", "HONDA", "Accord", 2003, "EX-V6", ["make", "model", "year"]),
        ]
        with worker_for(clone_db) as worker:
            assert worker.drain() == 0, "nothing left to do"


def test_negative_entries_and_ttls(clone_db: ClonedDatabase) -> None:
    def decoder(vins: list[str]) -> list[DecodeResult]:
        return [dataclasses.replace(r, make=None, model=None, model_year=None) if r.vin == F150 else r
                for r in decode_many(vins)]

    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        insert_vehicles(conn, tenant, [ACCORD, F150])
        with worker_for(clone_db, decoder) as worker:
            worker.drain()
            assert worker.stats.undecodable == 1
        cache = {r[0]: r[1:] for r in conn.execute(
            "select vin, decoded, expires_at - cached_at from app.vin_cache").fetchall()}
        assert cache[ACCORD] == (True, timedelta(days=30))
        assert cache[F150] == (False, timedelta(days=1))
        assert conn.execute(
            "select make, vin_decoded_at from app.vehicles where vin = %s", (F150,)
        ).fetchone() == (None, None)
        # another tenant writes the undecodable VIN: the fresh negative entry answers, nothing is queued
        other, _ = make_tenant(conn)
        insert_vehicles(conn, other, [F150])
        assert conn.execute(
            "select count(*) from app.vin_decode_queue where vin = %s and status = 'queued'", (F150,)
        ).fetchone() == (0,)
        # expired: purge (SQL function and CLI) deletes it
        conn.execute(
            "update app.vin_cache "
            "set cached_at = now() - interval '2 days', expires_at = now() - interval '1 day' "
            "where vin = %s",
            (F150,),
        )
        out = subprocess.run(
            [sys.executable, "-m", "motovault", "vin", "purge-cache", "--dsn", clone_db.url(OWNER_ROLE)],
            capture_output=True, text=True, check=True,
        ).stdout
        assert out.strip() == "purged 1 expired VIN cache row(s) and 0 finished decode job(s)"
        assert [r[0] for r in conn.execute("select vin from app.vin_cache")] == [ACCORD]


def test_settings_change_the_ttl(clone_db: ClonedDatabase) -> None:
    with clone_db.connect() as conn:
        conn.execute(f'alter database "{clone_db.name}" set motovault.vin_cache_ttl_days = 3')
        tenant, _ = make_tenant(conn)
        insert_vehicles(conn, tenant, [ACCORD])
    with worker_for(clone_db) as worker:
        worker.drain()
    with clone_db.connect() as conn:
        assert conn.execute(
            "select extract(day from expires_at - cached_at)::int from app.vin_cache"
        ).fetchone() == (3,)


def test_failures_retry_with_backoff_then_park(clone_db: ClonedDatabase) -> None:
    calls: list[list[str]] = []

    def failing(vins: list[str]) -> list[DecodeResult]:
        calls.append(vins)
        raise TimeoutError("vPIC did not answer")

    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        insert_vehicles(conn, tenant, [ACCORD])
        with worker_for(clone_db, failing) as worker:
            assert worker.drain() == 1, "the failed job is not due before its backoff"
        row = conn.execute(
            "select status, attempts, extract(epoch from next_attempt_at - updated_at)::int, last_error "
            "from app.vin_decode_queue"
        ).fetchone()
        assert row == ("queued", 1, 30, "decode failed: TimeoutError: vPIC did not answer")

        conn.execute(f'alter database "{clone_db.name}" set motovault.vin_decode_backoff_seconds = 0')
        conn.execute(f'alter database "{clone_db.name}" set motovault.vin_decode_max_attempts = 3')
        conn.execute("update app.vin_decode_queue set next_attempt_at = now()")  # skip the 30 s wait
        with worker_for(clone_db, failing) as worker:
            assert worker.drain() == 2
        assert conn.execute("select status, attempts, last_error from app.vin_decode_queue").fetchone() == (
            "parked", 3, "decode failed: TimeoutError: vPIC did not answer")
        assert len(calls) == 3
        assert conn.execute("select count(*) from app.vin_cache").fetchone() == (0,)
        assert conn.execute("select make from app.vehicles").fetchone() == (None,)


def test_a_worker_killed_at_any_point_loses_no_job_and_duplicates_no_write(clone_db: ClonedDatabase) -> None:
    vins = random_vins(12000, seed=7)
    with clone_db.connect() as conn:
        tenant, _ = make_tenant(conn)
        other, _ = make_tenant(conn)
        insert_vehicles(conn, tenant, vins)
        insert_vehicles(conn, other, vins[:3000])  # the same VINs in a second tenant
        assert conn.execute("select count(*) from app.vin_decode_queue").fetchone() == (12000,)

    cmd = [sys.executable, "-m", "motovault", "worker", "--dsn", clone_db.url(OWNER_ROLE),
           "--batch", "300", "--lease", "2", "--poll", "0.2"]
    kills_mid_batch = 0
    for round_ in range(3):
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        batches = 0
        while batches < 2 + round_:  # let it finish a few batches, then kill -9 in the middle of the next
            line = proc.stderr.readline()
            assert line, f"worker exited early ({proc.poll()})"
            batches += line.startswith("worker: batch of")
        time.sleep(0.03 * (round_ + 1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
        with clone_db.connect() as conn:
            kills_mid_batch += one_row(
                conn, "select count(*) > 0 from app.vin_decode_queue where status = 'running'"
            )[0]
    assert kills_mid_batch >= 1, "at least one kill left leased jobs behind"

    time.sleep(2.2)  # the dead workers' leases expire
    done = subprocess.run(cmd[:-2] + ["--once"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    with clone_db.connect() as conn:
        assert conn.execute(
            "select status, count(*) from app.vin_decode_queue group by status"
        ).fetchall() == [("done", 12000)]
        assert conn.execute("select count(*) from app.vin_cache").fetchone() == (12000,)
        filled = one_row(conn, "select count(*) from app.vehicles where vin_decoded_at is not null")[0]
        decoded = one_row(
            conn, "select count(*) from app.vehicles v join app.vin_cache c using (vin) where c.decoded"
        )[0]
        assert filled == decoded > 0
        # one audited fill per decoded vehicle, never two
        per_row = conn.execute(
            """select max(n), count(*) from (
                   select row_id, count(*) as n from audit.record_version
                   where table_name = 'app.vehicles' and operation = 'UPDATE' group by row_id) as t"""
        ).fetchone()
        assert per_row == (1, filled)
        assert conn.execute(
            "select max(attempts) >= 2 from app.vin_decode_queue"
        ).fetchone() == (True,), "some job was retried"


# -- through PostgREST -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def household(api_db: ClonedDatabase) -> dict[str, str]:
    with api_db.connect() as conn:
        owner = make_tenant(conn)
        viewer_user = str(uuid.uuid4())
        conn.execute("insert into app.users (id) values (%s)", (viewer_user,))
        conn.execute(
            "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, 'viewer')",
            (owner[0], viewer_user),
        )
    return {"tenant": owner[0], "owner": owner[1], "viewer": viewer_user}


@pytest.mark.api
def test_queue_end_to_end_through_postgrest(
    api: PostgrestServer, api_db: ClonedDatabase, household: dict[str, str]
) -> None:
    token = api.token(household["owner"], household["tenant"])
    with api.client(token) as http:
        r = http.post("/vehicles", json={"vin": ACCORD.lower()}, headers={"Prefer": "return=representation"})
        assert r.status_code == 201, r.text
        assert r.json()[0]["make"] is None and r.json()[0]["vin_decoded_at"] is None
        r = http.post("/vehicles", json={"vin": HARLEY, "make": "Harley", "display_name": "Hog"})
        assert r.status_code == 201, r.text

        with Worker(api_db.url(OWNER_ROLE), quiet=True) as worker:
            assert worker.drain() == 2

        got = {v["vin"]: v for v in http.get("/vehicles", params={"order": "vin"}).json()}
        accord = got[ACCORD]
        assert (accord["make"], accord["model"], accord["year"], accord["display_name"]) == (
            "HONDA", "Accord", 2003, "2003 HONDA Accord"
        )
        assert (accord["trim"], accord["body_class"], accord["fuel_types"], accord["vin_decode_source"]) == (
            "EX-V6", "Coupe", ["Gasoline"], "offline"
        )
        harley = got[HARLEY]
        assert (harley["make"], harley["display_name"]) == ("Harley", "Hog"), "what the user typed is kept"
        assert harley["model"] is not None and harley["year"] == 1989, "empty model and year are filled"

        # decoded fields are read-only
        r = http.patch("/vehicles", params={"vin": f"eq.{ACCORD}"}, json={"trim": "LX"})
        assert r.status_code == 400 and "decoded from the VIN, read-only" in r.json()["message"]
        r = http.patch("/vehicles", params={"vin": f"eq.{ACCORD}"}, json={"make": "Honda"})
        assert r.status_code == 204, "make stays editable"
        assert http.get(
            "/vehicles", params={"vin": f"eq.{ACCORD}", "select": "make,trim"}
        ).json() == [{"make": "Honda", "trim": "EX-V6"}]


@pytest.mark.api
def test_decode_vin_rpc(api: PostgrestServer, api_db: ClonedDatabase, household: dict[str, str]) -> None:
    token = api.token(household["owner"], household["tenant"])
    with api.client(token) as http:
        with api_db.connect(OWNER_ROLE) as conn:
            conn.execute("set role vin_worker")
            conn.execute("create temp table vin_decoded of app.vin_decode_result")
            decoded = decode_many([F150])[0]
            from motovault.vin.worker import result_row
            with conn.cursor().copy("copy pg_temp.vin_decoded from stdin") as copy:
                copy.write_row(result_row(F150, decoded))
            conn.execute("select app.vin_decode_finish('{}', 'test')")

        r = http.post("/rpc/decode_vin", json={"vin": f" {F150.lower()} "})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "decoded" and body["make"] == "FORD" and body["model_year"] == 2021
        assert body["source"] == "offline" and body["data_version"].startswith("ultravin")
        assert "raw_data" not in body and "raw" not in body
        assert http.get("/rpc/decode_vin", params={"vin": F150}).json()["make"] == "FORD"

        r = http.post("/rpc/decode_vin", json={"vin": "1HGCM82633A004353"})
        assert r.status_code == 400
        assert r.json()["message"] == "vin: position 9 should be 5, found 3"
        r = http.post("/rpc/decode_vin", json={"vin": "1HGCM82633A00435"})
        assert r.status_code == 400 and r.json()["message"] == "vin: 17 characters expected, found 16"

        new = random_vins(1, seed=99)[0]
        assert http.get("/rpc/decode_vin", params={"vin": new}).json()["status"] == "not_cached"
        r = http.post("/rpc/decode_vin", json={"vin": new})
        assert r.json() == {"status": "queued", "vin": new}
        with api_db.connect() as conn:
            assert conn.execute(
                "select status from app.vin_decode_queue where vin = %s", (new,)
            ).fetchall() == [("queued",)]

        # the viewer may ask too; an anonymous request may not
        with api.client(api.token(household["viewer"], household["tenant"])) as viewer:
            assert viewer.post("/rpc/decode_vin", json={"vin": F150}).json()["status"] == "decoded"
        with api.client() as anon:
            assert anon.post("/rpc/decode_vin", json={"vin": F150}).status_code in (401, 403)
        # and nobody reaches the cache through the API
        assert http.get("/vin_cache").status_code == 404
