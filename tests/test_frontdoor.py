"""The front door (motovault.stack.frontdoor): nginx in front of a real PostgREST, as clients reach it.

Each test starts its own nginx (about 40 ms) with the options it tests, in front of the module's
PostgREST (`api.port`: PostgREST itself, without the harness's own front door)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from motovault.core.errors import MotovaultError
from motovault.core.proc import free_port
from motovault.stack.frontdoor import AUTH_RPCS, FrontDoorOptions, render
from motovault.stack.settings import Settings
from motovault.testing.frontdoor_proc import HarnessFrontDoor, harness_options
from motovault.testing.postgrest_proc import PostgrestServer
from support.databases import ClonedDatabase

pytestmark = pytest.mark.api

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


@pytest.fixture
def door(api: PostgrestServer) -> Iterator[Callable[..., HarnessFrontDoor]]:
    """door(**options) -> a started HarnessFrontDoor in front of the module's PostgREST."""
    started: list[HarnessFrontDoor] = []

    def start(upstream_port: int | None = None, **options: Any) -> HarnessFrontDoor:
        front = HarnessFrontDoor(harness_options(**options)).start(upstream_port or api.port)
        started.append(front)
        return front

    yield start
    for front in started:
        front.stop()


def json_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "details", "hint"} and body["code"] == code, body
    return body


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


# --- rate limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", AUTH_RPCS)
def test_auth_rpcs_get_a_json_429_after_the_burst(door: Callable[..., HarnessFrontDoor], rpc: str) -> None:
    """With a burst of 3, the 5th quick POST from one address is refused by nginx, whatever PostgREST
    answered before (a 404 for an RPC that does not exist yet counts the same)."""
    front = door(auth_rate="1r/m", auth_burst=3)
    with httpx.Client(base_url=front.url, timeout=30) as client:
        before = [client.post(f"/rpc/{rpc}", json={"email": "a@example.com"}).status_code for _ in range(4)]
        assert 429 not in before, before
        body = json_error(client.post(f"/rpc/{rpc}", json={"email": "a@example.com"}), 429, "FD429")
        assert body["message"] == f"/rpc/{rpc}: too many requests", body
        assert "1r/m" in body["details"] and "3" in body["details"]
        # the limit is on the address, across the limited RPCs
        other = next(name for name in AUTH_RPCS if name != rpc)
        json_error(client.post(f"/rpc/{other}", json={}), 429, "FD429")


def test_only_posts_to_the_auth_rpcs_are_limited(door: Callable[..., HarnessFrontDoor], api: PostgrestServer) -> None:
    front = door(auth_rate="1r/m", auth_burst=1)
    with httpx.Client(base_url=front.url, timeout=30) as client:
        assert [client.get("/rpc/sign_in").status_code for _ in range(5)].count(429) == 0
        assert [client.post("/rpc/not_limited", json={}).status_code for _ in range(5)].count(429) == 0
        assert [client.post("/rpc/sign_in_later", json={}).status_code for _ in range(5)].count(429) == 0
        statuses = [client.post("/rpc/sign_in", json={}).status_code for _ in range(3)]
        assert statuses[-1] == 429, statuses


# --- body limit ----------------------------------------------------------------------------------


def test_bodies_over_the_limit_get_a_json_413_before_postgrest(
    door: Callable[..., HarnessFrontDoor], api: PostgrestServer
) -> None:
    front = door(body_limit="64k")
    with httpx.Client(base_url=front.url, timeout=30) as client:
        body = json_error(
            client.post(
                "/vehicles",
                content=b'{"notes": "' + b"x" * 100_000 + b'"}',
                headers={"Content-Type": "application/json"},
            ),
            413,
            "FD413",
        )
        assert body["message"] == "body: larger than 64k", body
        # under the limit, PostgREST answers (anon may not write vehicles: its 4xx, not ours)
        small = client.post("/vehicles", json={"notes": "x" * 1000})
        assert small.status_code != 413 and small.json().get("code") != "FD413", small.text
    assert "too large body" in front.error_log()


# --- CORS ------------------------------------------------------------------------------------------


def test_bare_postgrest_allows_every_origin(api: PostgrestServer) -> None:
    """Why the front door does CORS itself: PostgREST 12.0.2 (no server-cors-allowed-origins yet) answers
    any origin's preflight and adds Access-Control-Allow-Origin: * to every answer."""
    with httpx.Client(base_url=api.bare_url, timeout=30) as bare:
        pre = bare.options("/vehicles", headers={"Origin": EVIL, **PREFLIGHT})
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*", pre.headers
        assert bare.get("/vehicles", headers={"Origin": EVIL}).headers["access-control-allow-origin"] == "*"


def test_cors_allows_the_configured_origins_only(door: Callable[..., HarnessFrontDoor]) -> None:
    front = door(cors_origins=(APP, "http://localhost:5173"))
    with httpx.Client(base_url=front.url, timeout=30) as client:
        ok = client.get("/vehicles", headers={"Origin": APP})
        assert ok.headers["access-control-allow-origin"] == APP and "Origin" in ok.headers["vary"], ok.headers
        assert "Content-Range" in ok.headers["access-control-expose-headers"]
        assert (
            client.get("/vehicles", headers={"Origin": "http://localhost:5173"}).headers["access-control-allow-origin"]
            == "http://localhost:5173"
        )
        # another origin: PostgREST's "*" is dropped and nothing replaces it (the browser blocks the read)
        other = client.get("/vehicles", headers={"Origin": EVIL})
        assert other.status_code == ok.status_code and "access-control-allow-origin" not in other.headers, other.headers
        assert "access-control-allow-origin" not in client.get("/vehicles").headers

        pre = client.options("/vehicles", headers={"Origin": APP, **PREFLIGHT})
        assert pre.status_code == 204, (pre.status_code, pre.text)
        assert pre.headers["access-control-allow-origin"] == APP
        assert "POST" in pre.headers["access-control-allow-methods"]
        assert {"authorization", "content-type", "prefer"} <= {
            h.strip().lower() for h in pre.headers["access-control-allow-headers"].split(",")
        }
        assert pre.headers["access-control-max-age"] == "86400"
        assert "access-control-allow-credentials" not in pre.headers
        refused = json_error(client.options("/vehicles", headers={"Origin": EVIL, **PREFLIGHT}), 403, "FD403")
        assert refused["message"].startswith("Origin:"), refused
        # an OPTIONS that is not a preflight is PostgREST's (the Allow header of the resource)
        plain = client.options("/vehicles")
        assert plain.status_code == 200 and "GET" in plain.headers.get("allow", ""), (plain.status_code, plain.headers)
        # error answers of the front door carry the CORS headers too, so the browser can read them
        assert (
            client.get("/vehicles?make=eq.%ff", headers={"Origin": APP}).headers["access-control-allow-origin"] == APP
        )


def test_cors_star_and_none(door: Callable[..., HarnessFrontDoor]) -> None:
    with httpx.Client(base_url=door(cors_origins=("*",)).url, timeout=30) as client:
        assert client.get("/vehicles", headers={"Origin": EVIL}).headers["access-control-allow-origin"] == "*"
        assert client.options("/vehicles", headers={"Origin": EVIL, **PREFLIGHT}).status_code == 204
    with httpx.Client(base_url=door(cors_origins=()).url, timeout=30) as client:
        assert "access-control-allow-origin" not in client.get("/vehicles", headers={"Origin": APP}).headers
        json_error(client.options("/vehicles", headers={"Origin": APP, **PREFLIGHT}), 403, "FD403")


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_when_a_certificate_is_given(door: Callable[..., HarnessFrontDoor], self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    front = door(tls_cert=cert, tls_key=key)
    assert front.url.startswith("https://127.0.0.1:")
    with httpx.Client(base_url=front.url, verify=ssl.create_default_context(cafile=str(cert)), timeout=30) as client:
        ok = client.get("/")
        assert ok.status_code == 200 and "swagger" in ok.json(), ok.text[:200]
        assert ok.headers["strict-transport-security"].startswith("max-age=")
        json_error(client.get("/vehicles?make=eq.%ff"), 400, "FD400")
    with pytest.raises(httpx.ConnectError):
        httpx.get(front.url + "/", timeout=10)  # the system's trust store does not know it
    plain = httpx.get(front.url.replace("https://", "http://") + "/", timeout=10)
    json_error(plain, 400, "FD400")
    # the key is copied into the front door's home, readable by its user only
    assert front.home is not None
    mode = (front.home / "tls" / "key.pem").stat().st_mode & 0o777
    assert mode == 0o600


def test_tls_needs_both_files(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(MotovaultError, match="give both"):
        FrontDoorOptions(port=1, upstream="127.0.0.1:2", tls_cert=cert)
    with pytest.raises(MotovaultError, match="does not exist"):
        FrontDoorOptions(port=1, upstream="127.0.0.1:2", tls_cert=cert, tls_key=tmp_path / "nope.pem")


@pytest.mark.parametrize(
    "env,match",
    [
        ({"MOTOVAULT_AUTH_RATE": "ten"}, "MOTOVAULT_AUTH_RATE"),
        ({"MOTOVAULT_BODY_LIMIT": "2 GB"}, "MOTOVAULT_BODY_LIMIT"),
        ({"MOTOVAULT_AUTH_BURST": "-1"}, "MOTOVAULT_AUTH_BURST"),
        ({"MOTOVAULT_CORS_ORIGINS": "app.example.com"}, "MOTOVAULT_CORS_ORIGINS"),
    ],
)
def test_settings_are_checked_with_one_line_errors(env: dict[str, str], match: str) -> None:
    with pytest.raises(MotovaultError, match=match):
        FrontDoorOptions.from_env(1, "127.0.0.1:2", env)


def test_settings_from_the_environment(tmp_path: Path) -> None:
    options = FrontDoorOptions.from_env(
        8443,
        "127.0.0.1:3002",
        {
            "MOTOVAULT_CORS_ORIGINS": "https://a.example, http://localhost:5173/",
            "MOTOVAULT_BODY_LIMIT": "512k",
            "MOTOVAULT_AUTH_RATE": "5r/m",
            "MOTOVAULT_AUTH_BURST": "2",
        },
    )
    assert options.cors_origins == ("https://a.example", "http://localhost:5173")
    assert (options.body_limit, options.auth_rate, options.auth_burst, options.url) == (
        "512k",
        "5r/m",
        2,
        "http://127.0.0.1:8443",
    )


# --- the front door's own errors are JSON --------------------------------------------------------


def test_postgrest_down_is_a_json_502(door: Callable[..., HarnessFrontDoor]) -> None:
    front = door(upstream_port=free_port())  # nothing listens there
    with httpx.Client(base_url=front.url, timeout=30) as client:
        body = json_error(client.get("/vehicles"), 502, "FD502")
        assert body["message"] == "API: not reachable", body


def test_postgrest_silent_is_a_json_504(door: Callable[..., HarnessFrontDoor]) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # accepts and never answers
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        front = door(upstream_port=listener.getsockname()[1], read_timeout="1s")
        with httpx.Client(base_url=front.url, timeout=30) as client:
            json_error(client.get("/vehicles"), 504, "FD504")
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_malformed_requests_get_json_errors(door: Callable[..., HarnessFrontDoor]) -> None:
    front = door()
    port = int(front.url.rsplit(":", 1)[1])
    for raw in (b"GARBAGE\r\n\r\n", b"GET /vehicles HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n"):
        answer = raw_exchange(port, raw)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head, answer[:300]
        assert b'"code":"FD400"' in body, body
    big = raw_exchange(
        port, b"GET /vehicles HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    )
    assert big.startswith(b"HTTP/1.1 400") and b'"message":"headers: too large"' in big, big[:300]
    long_uri = raw_exchange(
        port, b"GET /vehicles?" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert long_uri.startswith(b"HTTP/1.1 414") and b'"code":"FD414"' in long_uri, long_uri[:300]


def test_the_api_fixture_goes_through_the_front_door(api: PostgrestServer) -> None:
    assert api.url != api.bare_url
    with httpx.Client(timeout=30) as client:
        through = client.get(api.url + "/vehicles?make=eq.%ff")
        json_error(through, 400, "FD400")
        assert client.get(api.url + "/").json()["swagger"] == client.get(api.bare_url + "/").json()["swagger"]


# --- where it runs and as whom -----------------------------------------------------------------


def _uids(pid: int) -> set[int]:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(ln for ln in status.splitlines() if ln.startswith("Uid:"))
    return {int(x) for x in line.split()[1:]}


def test_nginx_runs_unprivileged_with_every_path_in_its_home(door: Callable[..., HarnessFrontDoor]) -> None:
    front = door()
    assert front.door is not None and front.door.proc is not None and front.home is not None
    master = front.door.proc.pid
    workers = [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    assert workers, "no worker process"
    if os.geteuid() == 0:
        import pwd

        uid = pwd.getpwnam("motovault").pw_uid
        assert _uids(master) == {uid} and all(_uids(w) == {uid} for w in workers)
    conf = (front.home / "nginx.conf").read_text()
    assert "/etc/nginx" not in conf and "/var/lib/nginx" not in conf and "/var/log/nginx" not in conf
    for name in ("nginx.pid", "error.log", "checks.js", "nginx.conf"):
        assert (front.home / name).exists(), name
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{front.home}/tmp/{sub};" in conf


def test_render_lists_the_auth_rpcs_and_the_origins(tmp_path: Path) -> None:
    conf = render(FrontDoorOptions(port=8080, upstream="127.0.0.1:3002", cors_origins=(APP,)), tmp_path)
    assert '"~^POST:/rpc/(sign_in|sign_up|request_password_reset|reset_password|exchange_api_key|refresh)$"' in conf
    assert f'"{APP}" "{APP}";' in conf
    assert "{{" not in conf


def test_motovault_frontdoor_run_serves_in_the_foreground(api: PostgrestServer) -> None:
    """What the compose service runs: the config written into --home, then nginx in place of the command."""
    import shutil
    import sys
    import tempfile
    import time

    home = Path(tempfile.mkdtemp(prefix="frontdoor-run-"))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "motovault",
            "frontdoor",
            "run",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            f"127.0.0.1:{api.port}",
            "--home",
            str(home),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MOTOVAULT_CORS_ORIGINS": APP},
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/vehicles?make=eq.%ff", headers={"Origin": APP}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"not serving: {proc.poll()} {proc.stdout.read() if proc.stdout else ''!r}")
        json_error(answer, 400, "FD400")
        assert answer.headers["access-control-allow-origin"] == APP
        assert Path(f"/proc/{proc.pid}/exe").resolve().name == "nginx", "the command became nginx"
        if os.geteuid() == 0:
            import pwd

            assert _uids(proc.pid) == {pwd.getpwnam("motovault").pw_uid}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize(
    "target,names",
    [
        (b"/vehicles?make=eq.\xff", b"query string:"),  # a raw byte, not percent-encoded
        (b"/vehicles?make=eq.\xc3\xa9%ff", b"query string:"),
        (b"/vehicles%ff", b"path:"),
        (b"/vehicles?make=eq.%E2%82%AC%20%2C", None),  # valid: euro sign, space, comma
        (b"/vehicles?make=eq.\xe2\x82\xac", None),  # valid raw UTF-8
    ],
)
def test_the_utf8_check_reads_raw_and_percent_encoded_bytes(
    door: Callable[..., HarnessFrontDoor], target: bytes, names: bytes | None
) -> None:
    front = door()
    port = int(front.url.rsplit(":", 1)[1])
    answer = raw_exchange(port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    if names is None:
        assert b"FD400" not in body, answer[:400]
    else:
        assert head.startswith(b"HTTP/1.1 400") and b'"message":"' + names in body, answer[:400]


def test_postgrest_on_a_unix_socket_behind_the_front_door(api_db: ClonedDatabase, settings: Settings) -> None:
    """How `make up` and the bench run it: PostgREST has no TCP port, only a socket in nginx's home."""
    from motovault.testing.postgrest_proc import PostgrestServer

    server = PostgrestServer(settings, api_db.name, front=HarnessFrontDoor(unix_socket=True)).start()
    try:
        assert server.front is not None and server.front.home is not None
        assert (server.front.home / "postgrest.sock").is_socket()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/").json()["swagger"] == "2.0"
            json_error(client.get("/vehicles?make=eq.%ff"), 400, "FD400")
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.bare_url + "/", timeout=5)
    finally:
        server.stop()


def test_make_up_starts_reloads_and_stops_the_local_front_door(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """motovault.frontdoor.local as `make up` / `make down` / `make reset` use it, in a state folder of
    its own (nginx does not need PostgREST to start: its socket is only opened per request)."""
    import time

    from motovault.core.proc import pid_alive
    from motovault.stack.frontdoor import local
    from motovault.stack.settings import Settings

    monkeypatch.setenv("MOTOVAULT_STATE", str(tmp_path / "state"))
    for name in ("MOTOVAULT_CORS_ORIGINS", "MOTOVAULT_TLS_CERT", "MOTOVAULT_TLS_KEY", "MOTOVAULT_BODY_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        pg_host="127.0.0.1",
        pg_port=1,
        api_host="127.0.0.1",
        api_port=free_port(),
        admin_port=1,
        db_name="x",
        secrets={},
    )
    url = f"http://127.0.0.1:{settings.api_port}"
    try:
        assert local.start(settings).startswith("started (pid ")
        pid = int(local.pid_file().read_text())
        assert local.start(settings) == f"already running (pid {pid}) at {url}"
        assert local.status(settings) == f"running (pid {pid}) at {url}, listening: True"
        # PostgREST not there: a JSON 502, not nginx's HTML
        json_error(httpx.get(url + "/vehicles", timeout=10), 502, "FD502")
        assert "access-control-allow-origin" not in httpx.get(url + "/", headers={"Origin": APP}, timeout=10).headers

        monkeypatch.setenv("MOTOVAULT_CORS_ORIGINS", APP)
        assert local.start(settings) == f"reloaded with the new settings (pid {pid}) at {url}"
        deadline = time.monotonic() + 10
        while "access-control-allow-origin" not in httpx.get(url + "/", headers={"Origin": APP}, timeout=10).headers:
            assert time.monotonic() < deadline, "the reload did not take"
            time.sleep(0.05)
        assert pid_alive(pid)
        home = local.home_link().resolve()
        if os.geteuid() == 0:
            assert local.home_link().is_symlink() and str(home).startswith("/var/lib/motovault/")
    finally:
        stopped = local.stop()
        local.destroy()
    assert stopped and not pid_alive(pid) and local.status(settings) == "stopped"
    assert not home.exists() and not local.home_link().exists()


def test_valid_csv_and_form_bodies_go_through_with_postgrests_answer(
    api: PostgrestServer, door: Callable[..., HarnessFrontDoor]
) -> None:
    """CSV and form bodies take checks.js's path (a subrequest to PostgREST): its status, headers and
    body come back as they are."""
    front = door()
    with httpx.Client(base_url=front.url, timeout=30) as client:
        csv = client.post("/vehicles", content="make\nCitroën\n".encode(), headers={"Content-Type": "text/csv"})
        bare = httpx.post(
            api.bare_url + "/vehicles", content="make\nCitroën\n".encode(), headers={"Content-Type": "text/csv"}
        )
        assert (csv.status_code, csv.json()) == (bare.status_code, bare.json()), (
            csv.text
        )  # anon may not write: PostgREST's 401
        assert csv.headers["content-type"] == bare.headers["content-type"]
        form = client.post(
            "/rpc/no_such_function", content=b"a=%C3%A9", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert form.status_code == 404 and form.json()["code"] == "PGRST202", form.text
        assert "parameter a" in form.json()["details"], form.text


def test_form_bodies_and_encoded_paths_do_not_escape_the_rate_limit(door: Callable[..., HarnessFrontDoor]) -> None:
    front = door(auth_rate="1r/m", auth_burst=1)
    with httpx.Client(base_url=front.url, timeout=30) as client:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        statuses = [
            client.post("/rpc/sign_in", content=b"email=a%40example.com", headers=form).status_code for _ in range(2)
        ]
        assert 429 not in statuses, statuses
        json_error(client.post("/rpc/sign%5Fin", json={}), 429, "FD429")
        body = json_error(client.post("/rpc/sign_in", content=b"email=x", headers=form), 429, "FD429")
        assert body["message"] == "/rpc/sign_in: too many requests", body
