"""`motovault up / down / status / reset` end to end, as `make up` runs them: a separate
state folder and free ports, so it never touches the developer's own stack."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from motovault.core.db import connect, one_row
from motovault.core.plan import load_plan
from motovault.core.proc import free_port, pid_alive, port_open
from motovault.stack.stack import UNCHANGED

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


class Stack:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.pg_port, self.api_port, self.admin_port = free_port(), free_port(), free_port()
        self.replica_port = free_port()
        self.env = {
            **os.environ,
            "MOTOVAULT_STATE": str(state),
            "MOTOVAULT_PGPORT": str(self.pg_port),
            "MOTOVAULT_API_PORT": str(self.api_port),
            "MOTOVAULT_ADMIN_PORT": str(self.admin_port),
            "MOTOVAULT_REPLICA_PORT": str(self.replica_port),
        }
        self.env.pop("MOTOVAULT_DB", None)

    def run(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "motovault", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, check=False,
        )
        if check:
            assert result.returncode == 0, f"motovault {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def pid(self, name: str) -> int | None:
        try:
            return int((self.state / "run" / f"{name}.pid").read_text().split()[0])
        except (OSError, ValueError):
            return None

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.state / "pg" / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError):
            return None

    def replica_pid(self) -> int | None:
        try:
            return int((self.state / "replica" / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError):
            return None

    def owner_url(self) -> str:
        return self.run("db", "url").stdout.strip()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path / "state")
    try:
        yield s
    finally:
        # down + reset even when the test failed half-way
        externals = [
            (s.state / name).resolve() for name in ("pg", "replica", "frontdoor") if (s.state / name).is_symlink()
        ]
        if s.state.exists():
            s.run("down", check=False)
            s.run("reset", "--yes", check=False)
        for external in externals:
            if external.exists():
                shutil.rmtree(external, ignore_errors=True)


def steps(output: str) -> dict[str, str]:
    """The '  step   message' lines of `up`/`down`/`status`."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+(?: data)?)\s{2,}(.+)$", output, flags=re.M)}


def curl_status(curl_line: str) -> int:
    argv = shlex.split(curl_line)
    assert argv[0] == "curl"
    if shutil.which("curl"):
        out = subprocess.run(
            [*argv, "-o", "/dev/null", "-w", "%{http_code}"], capture_output=True, text=True, timeout=30
        )
        return int(out.stdout)
    headers = dict(h.split(": ", 1) for flag, h in zip(argv, argv[1:], strict=False) if flag == "-H")
    return httpx.get(argv[-1], headers=headers, timeout=30).status_code


def test_up_twice_down_up_keeps_data_status_reset(stack: Stack) -> None:
    # first up: everything created and started
    first = stack.run("up").stdout
    s = steps(first)
    assert s["cluster"].startswith("initialized"), first
    assert s["postgres"].startswith("started"), first
    assert s["postgrest"].startswith("started"), first
    # the printed URL is the front door's (nginx), in front of PostgREST on a unix socket in its home
    assert s["frontdoor"].startswith("started") and f"at http://127.0.0.1:{stack.api_port}" in s["frontdoor"], first
    assert f"API        http://127.0.0.1:{stack.api_port}" in first
    assert httpx.get(f"http://127.0.0.1:{stack.api_port}/vehicles?make=eq.%ff").json()["code"] == "FD400"
    socket_path = stack.state / "frontdoor" / "postgrest.sock"
    assert socket_path.is_socket()
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket_path)), base_url="http://postgrest") as bare:
        assert bare.get("/vehicles?make=eq.%ff").status_code == 500  # what the front door fixes
    curl = next(line.strip() for line in first.splitlines() if line.strip().startswith("curl "))
    assert f"http://127.0.0.1:{stack.api_port}" in curl
    assert curl_status(curl) == 200

    # the cluster is this state folder's own, not the developer's (root: keyed by the state path)
    if os.geteuid() == 0:
        assert (stack.state / "pg").is_symlink()
        own = (stack.state / "pg").resolve()
        default = (ROOT / ".state" / "pg").resolve() if (ROOT / ".state" / "pg").exists() else None
        assert own != default

    # the buffer cache is sized for the machine (a quarter of the memory, 128 MB to 1 GB)
    from motovault.stack.cluster import shared_buffers_mb

    with connect(stack.owner_url()) as conn:
        mb = one_row(conn, "select setting::bigint * 8192 / 1048576 from pg_settings where name = 'shared_buffers'")[0]
    assert mb == shared_buffers_mb()

    # a read replica (`motovault replica up`): up keeps it running, down stops it, up starts it again,
    # status shows it, reset deletes it
    replica = stack.run("replica", "up").stdout
    assert steps(replica)["replica"].startswith(f"started on 127.0.0.1:{stack.replica_port}"), replica
    replica_home = (stack.state / "replica").resolve()

    # second up: nothing to do, and it says so for every step
    second = stack.run("up").stdout
    s2 = steps(second)
    assert set(s2) >= {
        "cluster", "postgres", "database", "schema", "demo data", "postgrest", "frontdoor", "worker", "replica"
    }, second
    for step, message in s2.items():
        assert any(word in message for word in UNCHANGED), f"second up changed {step}: {message}"
    assert "nothing changed" in second
    assert curl_status(next(line.strip() for line in second.splitlines() if line.strip().startswith("curl "))) == 200

    # a marker the plan knows nothing about
    with connect(stack.owner_url()) as conn:
        conn.execute("create schema if not exists scratch")
        conn.execute("create table scratch.marker (note text)")
        conn.execute("insert into scratch.marker values ('survives down and up')")

    postgrest_pid, postmaster, replica_pid = stack.pid("postgrest"), stack.postmaster_pid(), stack.replica_pid()
    frontdoor_pid = stack.pid("frontdoor")
    assert postgrest_pid and pid_alive(postgrest_pid) and postmaster and pid_alive(postmaster)
    assert frontdoor_pid and pid_alive(frontdoor_pid)
    assert replica_pid and pid_alive(replica_pid)

    down = stack.run("down").stdout
    assert steps(down)["postgrest"] == "stopped" and steps(down)["postgres"] == "stopped", down
    assert steps(down)["frontdoor"] == "stopped" and not pid_alive(frontdoor_pid), down
    assert steps(down)["replica"].startswith("stopped"), down
    assert not pid_alive(postgrest_pid)
    assert not pid_alive(postmaster) and not pid_alive(replica_pid)
    assert not port_open("127.0.0.1", stack.pg_port) and not port_open("127.0.0.1", stack.api_port)
    assert not port_open("127.0.0.1", stack.replica_port)
    assert steps(stack.run("status").stdout)["postgres"] == "stopped"
    again = stack.run("down").stdout
    assert "was not running" in steps(again)["postgres"]

    third = stack.run("up").stdout
    assert steps(third)["cluster"] == "already initialized"
    assert steps(third)["postgres"].startswith("started")
    assert steps(third)["replica"].startswith(f"started on 127.0.0.1:{stack.replica_port}"), third
    with connect(stack.owner_url()) as conn:
        assert one_row(conn, "select note from scratch.marker")[0] == "survives down and up"

    status = stack.run("status").stdout
    st = steps(status)
    plan = [entry.name for entry in load_plan(ROOT).entries]
    assert st["schema"] == f"{len(plan)} changes deployed, last: {plan[-1]}, up to date", status
    assert st["postgres"].startswith(f"running on 127.0.0.1:{stack.pg_port}")
    assert st["postgrest"].endswith("postgrest.sock, ready: True"), status
    assert st["frontdoor"].startswith("running"), status
    assert f"at http://127.0.0.1:{stack.api_port}, listening: True" in st["frontdoor"], status
    assert st["replica"].startswith(f"running on 127.0.0.1:{stack.replica_port}"), status

    # reset refuses without a terminal or --yes, and keeps everything
    refused = stack.run("reset", check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr and "Traceback" not in refused.stderr
    assert (stack.state / "secrets.env").is_file()

    external = (stack.state / "pg").resolve()
    frontdoor_home = (stack.state / "frontdoor").resolve()
    pids = stack.pid("postgrest"), stack.pid("frontdoor"), stack.postmaster_pid(), stack.replica_pid()
    stack.run("reset", "--yes")
    assert not stack.state.exists()
    assert not external.exists() and not replica_home.exists() and not frontdoor_home.exists()
    assert not any(pid and pid_alive(pid) for pid in pids)
    assert "never started" in stack.run("status").stdout
    assert not stack.state.exists(), "status must not create state"


def _reset_in_a_terminal(env: dict[str, str], answer: str) -> str:
    """`make reset` with a terminal on stdin, answering the question with `answer`."""
    import pty

    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            ["make", "-s", "reset"], cwd=ROOT, env=env, stdin=secondary,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        os.write(primary, (answer + "\n").encode())
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.returncode == 0, out
    return out


def test_make_reset_asks_in_a_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "MOTOVAULT_STATE": str(tmp_path / "state")}
    for target in ("status", "down", "reset"):
        run = subprocess.run(["make", "-s", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "Traceback" not in run.stderr, run
        assert "never" in run.stdout or "nothing" in run.stdout, run.stdout
    assert not (tmp_path / "state").exists(), "down/status/reset must not create state"

    # some state: the secrets file (what `motovault token` creates on first use)
    subprocess.run([sys.executable, "-m", "motovault", "token", "--user", "d0000000-0000-4000-8000-0000000000a1"],
                   env=env, check=True, capture_output=True)
    assert (tmp_path / "state" / "secrets.env").is_file()

    out = _reset_in_a_terminal(env, "no")
    assert "Type 'yes'" in out and "cancelled" in out
    assert (tmp_path / "state" / "secrets.env").is_file()

    make = subprocess.run(["make", "-s", "reset"], cwd=ROOT, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert make.returncode != 0 and "YES=1" in make.stderr
    assert (tmp_path / "state").exists()

    out = _reset_in_a_terminal(env, "yes")
    assert "removed" in out
    assert not (tmp_path / "state").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root run keeps the cluster outside the state folder")
def test_a_state_folder_deleted_by_hand_leaves_no_stale_cluster_behind(tmp_path: Path) -> None:
    """A checkout removed and cloned again at the same path: the cluster that the old state folder
    linked to (in /var/lib/motovault) has passwords nobody knows any more. The next start replaces it."""
    from motovault.core.proc import free_port

    state = tmp_path / "state"
    env = {**os.environ, "MOTOVAULT_STATE": str(state), "MOTOVAULT_PGPORT": str(free_port())}
    start = [sys.executable, "-c", "from motovault.stack.stack import ensure_cluster; ensure_cluster()"]
    stop = [sys.executable, "-c", "from motovault.stack import cluster; cluster.stop()"]
    first = subprocess.run(start, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    orphan = (state / "pg").resolve()
    old_secrets = (state / "secrets.env").read_text()
    try:
        shutil.rmtree(state)  # by hand, with the cluster still running
        second = subprocess.run(start, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert second.returncode == 0, second.stderr
        assert "removing the orphaned cluster" in second.stderr
        assert (state / "secrets.env").read_text() != old_secrets
        assert (state / "pg").resolve() == orphan and (orphan / "data" / "PG_VERSION").is_file()
    finally:
        subprocess.run(stop, env=env, cwd=ROOT, capture_output=True, timeout=60)
        shutil.rmtree(orphan, ignore_errors=True)


@pytest.mark.parametrize(("total_kb", "mb"), [(2_000_000, 488), (400_000, 128), (64_000_000, 1024)])
def test_shared_buffers_is_a_quarter_of_the_memory_between_128mb_and_1gb(
    tmp_path: Path, total_kb: int, mb: int
) -> None:
    from motovault.stack.cluster import shared_buffers_mb

    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal:       {total_kb} kB\nMemFree:        1000 kB\n")
    assert shared_buffers_mb(meminfo) == mb
    assert shared_buffers_mb(tmp_path / "missing") == 128
