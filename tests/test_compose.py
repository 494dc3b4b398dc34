"""docker-compose.yml: Docker cannot run here, so the file is checked statically against
postgrest.conf, the settings the local stack uses, and the pinning rules."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from motovault.stack import postgrest
from motovault.stack.settings import ANALYST_LOGIN, DB_NAME, OWNER_ROLE, REPLICATION_ROLE, SECRET_NAMES, worker_dsn

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def conf_value(key: str) -> str:
    for line in (ROOT / "postgrest.conf").read_text().splitlines():
        m = re.match(rf"^\s*{re.escape(key)}\s*=\s*(.+?)\s*$", line)
        if m:
            return m.group(1).strip('"')
    raise AssertionError(f"{key} not in postgrest.conf")


def images() -> list[tuple[str, str]]:
    """(where, image reference) for every image pulled: compose images and Dockerfile FROMs."""
    found: list[tuple[str, str]] = []
    for name, svc in SERVICES.items():
        build = svc.get("build")
        if build:
            text = build["dockerfile_inline"]
            froms = re.findall(r"^FROM\s+(\S+)", text, flags=re.M | re.I)
            assert froms, f"{name}: inline Dockerfile has no FROM"
            found += [(f"{name} (inline Dockerfile)", ref) for ref in froms]
        else:
            found.append((f"service {name}", svc["image"]))
    return found


def service_with_image(prefix: str) -> tuple[str, dict[str, Any]]:
    matches = [(n, s) for n, s in SERVICES.items() if str(s.get("image", "")).startswith(prefix)]
    assert len(matches) == 1, f"expected one service on {prefix}, got {[n for n, _ in matches]}"
    return matches[0]


def port_targets(svc: dict[str, Any]) -> set[int]:
    targets: set[int] = set()
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            targets.add(int(p["target"]))
        else:
            targets.add(int(str(p).rsplit(":", 1)[-1].split("/")[0]))
    return targets


def depends(svc: dict[str, Any]) -> dict[str, Any]:
    dep = svc.get("depends_on", {})
    assert isinstance(dep, dict), "depends_on must use the long form with conditions"
    return dep


def test_every_image_is_pinned_to_an_exact_tag() -> None:
    refs = images()
    assert len(refs) >= 4
    for where, ref in refs:
        assert "@sha256:" in ref or re.search(r":[^/:]+$", ref), f"{where}: {ref} has no tag"
        tag = ref.rsplit(":", 1)[-1]
        assert tag != "latest" and not tag.startswith("latest"), f"{where}: {ref} is not pinned"
        # an exact version, not a floating major ("15", "3.11-slim"): at least major.minor(.patch)
        if "@sha256:" not in ref:
            assert re.match(r"^v?\d+\.\d+", tag), f"{where}: {ref}: tag is not a version"


def test_the_expected_images() -> None:
    refs = dict((ref.rsplit(":", 1)[0], ref) for _, ref in images())
    assert refs["postgrest/postgrest"] == "postgrest/postgrest:v12.0.2"
    assert refs["postgres"].startswith("postgres:15.")
    assert "sqitch/sqitch" in refs
    assert refs["python"].startswith("python:3.11.") and "slim" in refs["python"]
    pg_dockerfile = SERVICES["db"]["build"]["dockerfile_inline"]
    assert "postgresql-15-pgtap" in pg_dockerfile


def test_postgrest_ports_match_postgrest_conf() -> None:
    """The admin port is published (health); the API port only to the compose network: the front door."""
    _, svc = service_with_image("postgrest/postgrest:")
    assert port_targets(svc) == {int(conf_value("admin-server-port"))}
    assert [int(p) for p in svc["expose"]] == [int(conf_value("server-port"))]


def test_postgrest_mounts_the_repo_config_read_only_and_uses_it() -> None:
    _, svc = service_with_image("postgrest/postgrest:")
    mounts = [v for v in svc["volumes"] if str(v).startswith("./postgrest.conf:")]
    assert len(mounts) == 1
    _, container_path, mode = mounts[0].split(":")
    assert mode == "ro"
    assert container_path in svc["command"]


def test_postgrest_environment_uses_the_same_variable_names_as_the_local_stack() -> None:
    _, svc = service_with_image("postgrest/postgrest:")
    env = svc["environment"]
    local_names = {k for k in postgrest.postgrest_env("uri", "secret", 1, 2) if k.startswith("PGRST_")}
    assert {"PGRST_DB_URI", "PGRST_JWT_SECRET"} <= local_names
    for name in ("PGRST_DB_URI", "PGRST_JWT_SECRET"):
        assert name in env
        assert name in (ROOT / "postgrest.conf").read_text()
    assert "${PGRST_DB_URI" in env["PGRST_DB_URI"], "PGRST_DB_URI must come from the environment"
    # the default URI logs in as the authenticator on the compose database
    assert f"authenticator:${{MOTOVAULT_AUTHENTICATOR_PASSWORD}}@db:5432/{DB_NAME}" in env["PGRST_DB_URI"]


def test_postgrest_reads_the_jwks_the_keys_service_writes_after_the_deploy() -> None:
    """As `make up` does (PGRST_JWT_SECRET=@.state/jwks.json): the database's signing keys and the
    server secret, exported by `motovault keys export` into a volume PostgREST mounts read-only."""
    _, pgrst = service_with_image("postgrest/postgrest:")
    keys = SERVICES["keys"]
    jwks = pgrst["environment"]["PGRST_JWT_SECRET"]
    assert jwks.startswith("@/")
    mounted = {v.split(":")[1]: v for v in pgrst["volumes"] if v.startswith("keys:")}
    assert any(jwks[1:].startswith(path + "/") and value.endswith(":ro") for path, value in mounted.items()), pgrst[
        "volumes"
    ]
    assert "keys" in (COMPOSE.get("volumes") or {})
    command = " ".join(keys["command"])
    assert "motovault keys export" in command and "--server-secret-env PGRST_JWT_SECRET" in command
    written = next(v.split(":")[1] for v in keys["volumes"] if v.startswith("keys:"))
    assert f"--output {written}/{jwks.rsplit('/', 1)[1]}" in command
    assert keys["environment"]["PGRST_JWT_SECRET"].startswith("${PGRST_JWT_SECRET")
    assert keys["build"] == SERVICES["worker"]["build"] and keys["image"] == SERVICES["worker"]["image"]
    assert depends(keys)["deploy"]["condition"] == "service_completed_successfully"
    assert depends(pgrst)["keys"]["condition"] == "service_completed_successfully"
    assert keys.get("restart", "no") == "no"


def test_secrets_come_from_the_environment_with_the_local_names() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z_]+)", text))
    allowed_extra = {
        "PGRST_DB_URI",
        "MOTOVAULT_DOCKER_PGPORT",
        "MOTOVAULT_DEPLOY_LOCK_TIMEOUT",
        "MOTOVAULT_DOCKER_REPLICA_PGPORT",
        *FRONTDOOR_SETTINGS,
    }
    assert referenced - allowed_extra <= set(SECRET_NAMES), referenced - set(SECRET_NAMES) - allowed_extra
    assert set(SECRET_NAMES) <= referenced, "every secret of .state/secrets.env is used"
    # no literal secrets
    for svc in SERVICES.values():
        for key, value in (svc.get("environment") or {}).items():
            if "PASSWORD" in key or "SECRET" in key:
                # a secret comes from the environment, or is a file in a volume (PostgREST's @file)
                assert str(value).startswith(("${", "@/")), f"{key} is not taken from the environment"


def test_deploy_runs_to_completion_before_postgrest_and_worker() -> None:
    deploy_name, deploy = service_with_image("sqitch/sqitch:")
    assert deploy.get("restart", "no") == "no"
    assert depends(deploy)["db"]["condition"] == "service_healthy"
    _, pgrst = service_with_image("postgrest/postgrest:")
    # PostgREST waits for the keys service, which waits for the deploy
    assert depends(SERVICES["keys"])[deploy_name]["condition"] == "service_completed_successfully"
    assert depends(pgrst)["keys"]["condition"] == "service_completed_successfully"
    assert depends(SERVICES["worker"])[deploy_name]["condition"] == "service_completed_successfully"


def test_deploy_creates_the_owner_role_then_runs_sqitch_as_owner_with_the_authenticator_password() -> None:
    _, deploy = service_with_image("sqitch/sqitch:")
    mounted = [v for v in deploy["volumes"] if str(v).split(":")[1] == "/repo"]
    assert mounted and mounted[0].startswith("./:")
    script = deploy["command"][0]
    bootstrap = script.index("/repo/sql/bootstrap_owner.sql")
    assert f"create role {OWNER_ROLE}" in (ROOT / "sql" / "bootstrap_owner.sql").read_text()
    run_sqitch = script.index("exec /bin/sqitch deploy")
    assert bootstrap < run_sqitch
    assert f"db:pg://{OWNER_ROLE}@" in script
    assert "--set authenticator_password=" in script
    # compose interpolates $VAR itself: the shell variables must be escaped as $$VAR
    assert re.search(r"(?<!\$)\$MOTOVAULT", script) is None


def test_deploy_runs_with_the_deploy_lock_timeout() -> None:
    """The compose deploy, like motovault.stack.database.sqitch(), gives every script a lock_timeout."""
    _, deploy = service_with_image("sqitch/sqitch:")
    assert deploy["environment"]["PGOPTIONS"] == "-c lock_timeout=${MOTOVAULT_DEPLOY_LOCK_TIMEOUT:-5s}"


def test_worker_runs_motovault_worker_from_the_package() -> None:
    worker = SERVICES["worker"]
    assert worker["command"] == ["motovault", "worker"]
    # the variable the worker reads for its connection (motovault.stack.settings.worker_dsn), pointing at
    # the db service
    source = inspect.getsource(worker_dsn)
    dsn_vars = [name for name in worker["environment"] if name.startswith("MOTOVAULT_") and name.endswith("DSN")]
    assert dsn_vars and all(f'"{name}"' in source for name in dsn_vars)
    assert "@db:5432/" in worker["environment"][dsn_vars[0]]
    assert "pip install" in worker["build"]["dockerfile_inline"]


def test_health_checks() -> None:
    db = SERVICES["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    admin_port = conf_value("admin-server-port")
    probes = [" ".join(s["healthcheck"]["test"]) for s in SERVICES.values() if "healthcheck" in s]
    assert any(f":{admin_port}/ready" in p for p in probes), "something must probe PostgREST's admin /ready"
    # the readiness probe depends on postgrest
    probe = next(
        n
        for n, s in SERVICES.items()
        if "healthcheck" in s and f":{admin_port}/ready" in " ".join(s["healthcheck"]["test"])
    )
    assert "postgrest" in depends(SERVICES[probe])


def test_named_volume_holds_the_database() -> None:
    volumes = COMPOSE.get("volumes") or {}
    assert volumes, "no named volume"
    db_mounts = [str(v).split(":") for v in SERVICES["db"]["volumes"]]
    assert any(src in volumes and dst == "/var/lib/postgresql/data" for src, dst, *_ in db_mounts)


@pytest.mark.parametrize("path", [".dockerignore"])
def test_build_context_ignores_local_state(path: str) -> None:
    text = (ROOT / path).read_text()
    assert ".state" in text and ".venv" in text


# --- the front door (nginx, docs/frontdoor.md) -------------------------------------------------------

FRONTDOOR_SETTINGS = {
    "MOTOVAULT_CORS_ORIGINS",
    "MOTOVAULT_BODY_LIMIT",
    "MOTOVAULT_AUTH_RATE",
    "MOTOVAULT_AUTH_BURST",
    "MOTOVAULT_TLS_CERT",
    "MOTOVAULT_TLS_KEY",
}
FRONTDOOR: dict[str, Any] = SERVICES["frontdoor"]


def test_the_front_door_is_debians_nginx_with_njs_and_the_package() -> None:
    dockerfile = FRONTDOOR["build"]["dockerfile_inline"]
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", dockerfile, flags=re.MULTILINE), (
        "Debian 12, like make up"
    )
    assert re.search(r"apt-get install .*\bnginx libnginx-mod-http-js\b", dockerfile)
    assert "pip install" in dockerfile and "USER motovault" in dockerfile


def test_the_front_door_is_the_published_api_port_in_front_of_postgrest() -> None:
    command = FRONTDOOR["command"]
    assert command[:3] == ["motovault", "frontdoor", "run"]
    args = dict(zip(command[3::2], command[4::2], strict=True))
    pgrst_name, _ = service_with_image("postgrest/postgrest:")
    assert args["--upstream"] == f"{pgrst_name}:{conf_value('server-port')}"
    listen_port = int(args["--listen"].rsplit(":", 1)[1])
    assert FRONTDOOR["ports"] == [f"127.0.0.1:{conf_value('server-port')}:{listen_port}"]
    assert str(listen_port) in " ".join(FRONTDOOR["healthcheck"]["test"])
    probe = next(
        n
        for n, s in SERVICES.items()
        if "healthcheck" in s and f":{conf_value('admin-server-port')}/ready" in " ".join(s["healthcheck"]["test"])
    )
    assert depends(FRONTDOOR)[probe]["condition"] == "service_healthy"


def test_the_front_door_settings_are_the_ones_the_package_reads() -> None:
    from motovault.stack.frontdoor import FrontDoorOptions

    assert set(FRONTDOOR["environment"]) == FRONTDOOR_SETTINGS
    source = (ROOT / "src" / "motovault" / "stack" / "frontdoor" / "__init__.py").read_text()
    for name in FRONTDOOR_SETTINGS:
        assert f'"{name}"' in source, name
        assert FRONTDOOR["environment"][name] == "${" + name + ":-}", "optional, from the environment"
    # empty values (compose's defaults) are the package's defaults
    empty = FrontDoorOptions.from_env(8080, "postgrest:3000", {name: "" for name in FRONTDOOR_SETTINGS})
    assert empty == FrontDoorOptions.from_env(8080, "postgrest:3000", {})


def test_the_front_door_command_renders_a_config(tmp_path: Path) -> None:
    import contextlib
    import io

    from motovault.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            main(
                [
                    "frontdoor",
                    "config",
                    "--listen",
                    "0.0.0.0:8080",
                    "--upstream",
                    "postgrest:3000",
                    "--home",
                    str(tmp_path),
                ]
            )
            == 0
        )
    conf = out.getvalue()
    assert "listen 0.0.0.0:8080;" in conf and "server postgrest:3000;" in conf and f"pid {tmp_path}/nginx.pid;" in conf


# --- the optional read replica (profile replica) ---------------------------------------------------

REPLICA: dict[str, Any] = SERVICES["replica"]
REPLICA_SCRIPT: str = REPLICA["command"][0]


def hba_rules(text: str) -> list[list[str]]:
    return [line.split("#", 1)[0].split() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def test_the_replica_is_an_optional_profile_on_the_db_image() -> None:
    assert REPLICA["profiles"] == ["replica"]
    assert [n for n, s in SERVICES.items() if "profiles" in s] == ["replica"], "the base stack has no profile"
    # a physical replica needs the very same PostgreSQL binaries as its primary
    assert REPLICA["build"] == SERVICES["db"]["build"] and REPLICA["image"] == SERVICES["db"]["image"]
    assert REPLICA.get("restart") == "unless-stopped"


def test_the_replica_starts_after_db_is_healthy_and_the_plan_is_deployed() -> None:
    dep = depends(REPLICA)
    assert dep["db"]["condition"] == "service_healthy"
    deploy_name, _ = service_with_image("sqitch/sqitch:")
    assert dep[deploy_name]["condition"] == "service_completed_successfully"  # the role analyst exists


def test_the_replica_has_its_own_volume_port_and_health_check() -> None:
    volumes = COMPOSE["volumes"]
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in REPLICA["volumes"]}
    data_volume = mounts["/var/lib/postgresql/data"]
    assert data_volume in volumes and data_volume not in [str(v).split(":")[0] for v in SERVICES["db"]["volumes"]]
    assert REPLICA["environment"]["PGDATA"].startswith("/var/lib/postgresql/data/")
    assert port_targets(REPLICA) == {5432}
    host_ports = [str(p).rsplit(":", 1)[0] for p in REPLICA["ports"] + SERVICES["db"]["ports"]]
    assert len(set(host_ports)) == 2 and all(p.startswith("127.0.0.1:") for p in host_ports), host_ports
    assert "pg_isready" in " ".join(REPLICA["healthcheck"]["test"])


def test_the_replica_clones_db_once_with_a_slot_then_runs_as_a_hot_standby() -> None:
    script = REPLICA_SCRIPT
    guard = script.index('if [ ! -s "$$PGDATA/PG_VERSION" ]; then')
    bootstrap = script.index("-f /repo/sql/bootstrap_replication.sql")
    basebackup = script.index("pg_basebackup ")
    end = script.index("\nfi\n")
    start = script.index("exec postgres ")
    assert guard < bootstrap < basebackup < end < start, "first start only: roles, then the clone; then the server"
    clone = script[basebackup:end]
    for flag in (
        "-h db",
        f"-U {REPLICATION_ROLE}",
        '-D "$$PGDATA"',
        "--write-recovery-conf",
        "--wal-method=stream",
        "--create-slot",
        "--slot=",
    ):
        assert flag in clone, flag
    slot_match = re.search(r"--slot=(\w+)", clone)
    assert slot_match is not None, clone
    slot = slot_match.group(1)
    # a slot left by an earlier volume is dropped before the clone creates it again
    assert f"slot_name = '{slot}' and not active" in script[bootstrap:basebackup]
    assert "hot_standby=on" in script[start:]
    mounted = [v for v in REPLICA["volumes"] if str(v).split(":")[1] == "/repo/sql"]
    assert mounted == ["./sql:/repo/sql:ro"]
    # compose interpolates $VAR itself: the shell's variables must be escaped as $$VAR
    assert re.search(r"(?<!\$)\$(?!\$)[{A-Z]", script.replace("$$", "")) is None


def test_the_replica_variables_match_the_local_secrets_and_the_bootstrap_script() -> None:
    env = REPLICA["environment"]
    used = set(re.findall(r"\$\$\{?(MOTOVAULT_[A-Z_]+)", REPLICA_SCRIPT))
    assert used == {"MOTOVAULT_SUPERUSER_PASSWORD", "MOTOVAULT_REPLICATION_PASSWORD", "MOTOVAULT_ANALYST_PASSWORD"}
    for name in used:
        assert name in SECRET_NAMES, f"{name} is not generated into .state/secrets.env"
        assert str(env[name]).startswith("${" + name), f"{name} must come from the environment"
    # the psql variables given to sql/bootstrap_replication.sql are the ones it reads
    given = set(re.findall(r"-v (\w+)_password=", REPLICA_SCRIPT))
    bootstrap = (ROOT / "sql" / "bootstrap_replication.sql").read_text()
    read = set(re.findall(r":'(\w+)_password'", bootstrap))
    assert given == read == {"replication", "analyst"}
    assert f"create role {REPLICATION_ROLE} login replication" in bootstrap
    assert f"create role {ANALYST_LOGIN} login" in bootstrap and f"grant analyst to {ANALYST_LOGIN}" in bootstrap


def test_db_admits_replication_connections_of_the_replication_role() -> None:
    db = SERVICES["db"]
    hba_path = next(arg.split("=", 1)[1] for arg in db["command"] if arg.startswith("hba_file="))
    mount = next(str(v) for v in db["volumes"] if str(v).split(":")[1] == hba_path)
    source, _, mode = mount.split(":")
    assert mode == "ro" and source.startswith("./")
    rules = hba_rules((ROOT / source).read_text())
    replication = [r for r in rules if r[0] == "host" and r[1] == "replication"]
    assert replication == [["host", "replication", REPLICATION_ROLE, "all", "scram-sha-256"]], rules
    # everyone else still logs in with a password over the network, nobody without one
    assert ["host", "all", "all", "all", "scram-sha-256"] in rules
    assert not [r for r in rules if r[0].startswith("host") and r[-1] in ("trust", "password", "md5")], rules
    assert db["command"][0] == "postgres"
