"""PostgreSQL restarted (pg_ctl stop -m fast, then start) while writers POST through PostgREST:
PostgREST reconnects by itself, every write that got a 2xx is in the database afterwards, and no write
is half-applied (each request inserts two rows marked with its own id: 0 or 2 of them exist, never 1).

Restarts the project cluster of the test session: the test is serial with everything else."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from motovault.stack import cluster
from motovault.stack.settings import Settings
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase
from support.tenancy_world import seed

pytestmark = [pytest.mark.api, pytest.mark.slow, pytest.mark.serial]  # restarts the shared cluster

WRITERS = 3


def test_postgresql_restart_under_write_load_loses_no_acknowledged_write(
    settings: Settings, clone_db: ClonedDatabase
) -> None:
    with clone_db.connect() as conn:
        world = seed(conn)
    server = PostgrestServer(settings, clone_db.name).start()
    results: list[tuple[str, int, float]] = []  # (marker, status, time)
    odd: list[str] = []  # answers other than 201 and 503, for the report
    lock = threading.Lock()
    stop = threading.Event()
    token = server.token(world.a.users["member"], world.a.id)

    def writer(n: int) -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=15) as client:
            while not stop.is_set():
                marker = f"load-{n}-{uuid.uuid4()}"
                try:
                    response = client.post("/vehicles", json=[{"display_name": "load", "notes": marker}] * 2)
                    status = response.status_code
                    if status not in (201, 503):
                        with lock:
                            odd.append(f"{status} {response.text[:300]}")
                except httpx.HTTPError:
                    status = 0
                with lock:
                    results.append((marker, status, time.monotonic()))
                if status != 201:
                    time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.5)
        restart_began = time.monotonic()
        cluster.stop()
        time.sleep(1.0)
        cluster.start(settings)
        restarted = time.monotonic()
        # wait until writes succeed again, then keep writing for a moment
        deadline = restarted + 60
        while time.monotonic() < deadline:
            with lock:
                ok_after = sum(1 for _, s, at in results if s == 201 and at > restarted)
            if ok_after >= 20:
                break
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(timeout=20)
    finally:
        stop.set()
        cluster.start(settings)  # whatever happened, leave the cluster running
        alive = server.proc is not None and server.proc.poll() is None
        log = server.log()
        server.stop()

    assert alive, f"PostgREST exited:\n{log[-2000:]}"
    acknowledged = [m for m, s, _ in results if s == 201]
    failed = [m for m, s, _ in results if s != 201]
    recovered = [at for _, s, at in results if s == 201 and at > restarted]
    assert recovered, f"no write succeeded after the restart; PostgREST log:\n{log[-2000:]}"
    assert len([1 for _, s, at in results if s == 201 and at < restart_began]) > 0

    with clone_db.connect() as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                "select notes, count(*) from app.vehicles where notes like 'load-%%' group by notes"
            ).fetchall()
        )
    missing = [m for m in acknowledged if counts.get(m) != 2]
    assert not missing, f"{len(missing)} acknowledged writes are not (fully) in the database, e.g. {missing[:3]}"
    half = [m for m in failed if counts.get(m, 0) not in (0, 2)]
    assert not half, f"half-applied writes: {half[:3]}"
    assert set(counts) <= set(acknowledged) | set(failed)
    statuses: dict[int, int] = {}
    for _, s, _ in results:
        statuses[s] = statuses.get(s, 0) + 1
    # during the outage PostgREST answers (503/5xx JSON), it does not drop connections or hang
    assert statuses.get(0, 0) == 0, f"{statuses.get(0)} requests got no HTTP answer at all"
    print(
        f"\nrestart under load: {len(results)} requests, {len(acknowledged)} acknowledged (all present), "
        f"{len(failed)} refused during the outage (statuses {dict(sorted(statuses.items()))}), "
        f"first success {recovered[0] - restarted:.1f} s after the restart"
    )
    for line in odd:
        print(f"  other answer: {line}")
