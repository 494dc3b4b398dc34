"""docker-compose.yml: Docker cannot run here, so the file is checked statically against
postgrest.conf, the settings the local stack uses, and the pinning rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from motovault import postgrest
from motovault.settings import DB_NAME, OWNER_ROLE, SECRET_NAMES

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict = COMPOSE["services"]


def conf_value(key: str) -> str:
    for line in (ROOT / "postgrest.conf").read_text().splitlines():
        m = re.match(rf"^\s*{re.escape(key)}\s*=\s*(.+?)\s*$", line)
        if m:
            return m.group(1).strip('"')
    raise AssertionError(f"{key} not in postgrest.conf")


def images() -> list[tuple[str, str]]:
    """(where, image reference) for every image pulled: compose images and Dockerfile FROMs."""
    found = []
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


def service_with_image(prefix: str) -> tuple[str, dict]:
    matches = [(n, s) for n, s in SERVICES.items() if str(s.get("image", "")).startswith(prefix)]
    assert len(matches) == 1, f"expected one service on {prefix}, got {[n for n, _ in matches]}"
    return matches[0]


def port_targets(svc: dict) -> set[int]:
    targets = set()
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            targets.add(int(p["target"]))
        else:
            targets.add(int(str(p).rsplit(":", 1)[-1].split("/")[0]))
    return targets


def depends(svc: dict) -> dict:
    dep = svc.get("depends_on", {})
    assert isinstance(dep, dict), "depends_on must use the long form with conditions"
    return dep


def test_every_image_is_pinned_to_an_exact_tag():
    refs = images()
    assert len(refs) >= 4
    for where, ref in refs:
        assert "@sha256:" in ref or re.search(r":[^/:]+$", ref), f"{where}: {ref} has no tag"
        tag = ref.rsplit(":", 1)[-1]
        assert tag != "latest" and not tag.startswith("latest"), f"{where}: {ref} is not pinned"
        # an exact version, not a floating major ("15", "3.11-slim"): at least major.minor(.patch)
        if "@sha256:" not in ref:
            assert re.match(r"^v?\d+\.\d+", tag), f"{where}: {ref}: tag is not a version"


def test_the_expected_images():
    refs = dict((ref.rsplit(":", 1)[0], ref) for _, ref in images())
    assert refs["postgrest/postgrest"] == "postgrest/postgrest:v12.0.2"
    assert refs["postgres"].startswith("postgres:15.")
    assert "sqitch/sqitch" in refs
    assert refs["python"].startswith("python:3.11.") and "slim" in refs["python"]
    pg_dockerfile = SERVICES["db"]["build"]["dockerfile_inline"]
    assert "postgresql-15-pgtap" in pg_dockerfile


def test_postgrest_ports_match_postgrest_conf():
    _, svc = service_with_image("postgrest/postgrest:")
    assert port_targets(svc) >= {int(conf_value("server-port")), int(conf_value("admin-server-port"))}


def test_postgrest_mounts_the_repo_config_read_only_and_uses_it():
    _, svc = service_with_image("postgrest/postgrest:")
    mounts = [v for v in svc["volumes"] if str(v).startswith("./postgrest.conf:")]
    assert len(mounts) == 1
    _, container_path, mode = mounts[0].split(":")
    assert mode == "ro"
    assert container_path in svc["command"]


def test_postgrest_environment_uses_the_same_variable_names_as_the_local_stack():
    _, svc = service_with_image("postgrest/postgrest:")
    env = svc["environment"]
    local_names = {k for k in postgrest.postgrest_env("uri", "secret", 1, 2) if k.startswith("PGRST_")}
    assert {"PGRST_DB_URI", "PGRST_JWT_SECRET"} <= local_names
    for name in ("PGRST_DB_URI", "PGRST_JWT_SECRET"):
        assert name in env
        assert "${" + name in env[name], f"{name} must come from the environment"
        assert name in (ROOT / "postgrest.conf").read_text()
    # the default URI logs in as the authenticator on the compose database
    assert f"authenticator:${{MOTOVAULT_AUTHENTICATOR_PASSWORD}}@db:5432/{DB_NAME}" in env["PGRST_DB_URI"]


def test_secrets_come_from_the_environment_with_the_local_names():
    text = (ROOT / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z_]+)", text))
    allowed_extra = {"PGRST_DB_URI", "MOTOVAULT_DOCKER_PGPORT", "MOTOVAULT_DEPLOY_LOCK_TIMEOUT"}
    assert referenced - allowed_extra <= set(SECRET_NAMES), referenced - set(SECRET_NAMES) - allowed_extra
    assert set(SECRET_NAMES) <= referenced, "every secret of .state/secrets.env is used"
    # no literal secrets
    for svc in SERVICES.values():
        for key, value in (svc.get("environment") or {}).items():
            if "PASSWORD" in key or "SECRET" in key:
                assert str(value).startswith("${"), f"{key} is not taken from the environment"


def test_deploy_runs_to_completion_before_postgrest_and_worker():
    deploy_name, deploy = service_with_image("sqitch/sqitch:")
    assert deploy.get("restart", "no") == "no"
    assert depends(deploy)["db"]["condition"] == "service_healthy"
    _, pgrst = service_with_image("postgrest/postgrest:")
    assert depends(pgrst)[deploy_name]["condition"] == "service_completed_successfully"
    assert depends(SERVICES["worker"])[deploy_name]["condition"] == "service_completed_successfully"


def test_deploy_creates_the_owner_role_then_runs_sqitch_as_owner_with_the_authenticator_password():
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


def test_deploy_runs_with_the_deploy_lock_timeout():
    """The compose deploy, like motovault.database.sqitch(), gives every script a lock_timeout."""
    _, deploy = service_with_image("sqitch/sqitch:")
    assert deploy["environment"]["PGOPTIONS"] == "-c lock_timeout=${MOTOVAULT_DEPLOY_LOCK_TIMEOUT:-5s}"


def test_worker_runs_motovault_worker_from_the_package():
    worker = SERVICES["worker"]
    assert worker["command"] == ["motovault", "worker"]
    # the variable the worker reads for its connection (src/motovault/worker.py), pointing at the db service
    source = (ROOT / "src" / "motovault" / "worker.py").read_text()
    dsn_vars = [name for name in worker["environment"] if name.startswith("MOTOVAULT_") and name.endswith("DSN")]
    assert dsn_vars and all(f'"{name}"' in source for name in dsn_vars)
    assert "@db:5432/" in worker["environment"][dsn_vars[0]]
    assert "pip install" in worker["build"]["dockerfile_inline"]


def test_health_checks():
    db = SERVICES["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    admin_port = conf_value("admin-server-port")
    probes = [
        " ".join(s["healthcheck"]["test"]) for s in SERVICES.values() if "healthcheck" in s
    ]
    assert any(f":{admin_port}/ready" in p for p in probes), "something must probe PostgREST's admin /ready"
    # the readiness probe depends on postgrest
    probe = next(n for n, s in SERVICES.items() if "healthcheck" in s and f":{admin_port}/ready" in " ".join(s["healthcheck"]["test"]))
    assert "postgrest" in depends(SERVICES[probe])


def test_named_volume_holds_the_database():
    volumes = COMPOSE.get("volumes") or {}
    assert volumes, "no named volume"
    db_mounts = [str(v).split(":") for v in SERVICES["db"]["volumes"]]
    assert any(src in volumes and dst == "/var/lib/postgresql/data" for src, dst, *_ in db_mounts)


@pytest.mark.parametrize("path", [".dockerignore"])
def test_build_context_ignores_local_state(path):
    text = (ROOT / path).read_text()
    assert ".state" in text and ".venv" in text
