"""Provisioning a motovault database: the owner role, the database, the sqitch plan."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import psycopg

from .errors import MotovaultError
from .paths import project_root
from .settings import OWNER_ROLE, SUPERUSER, Settings


def superuser_connect(settings: Settings, dbname: str = "postgres") -> psycopg.Connection:
    try:
        return psycopg.connect(settings.dsn(dbname, SUPERUSER), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise MotovaultError(f"cannot connect to PostgreSQL on port {settings.pg_port}: {exc}") from None


def bootstrap(settings: Settings, dbname: str | None = None) -> bool:
    """sql/bootstrap_owner.sql as the superuser: the owner role and (optionally) its database.

    Returns True when the database was created by this call."""
    existed = False
    if dbname is not None:
        with superuser_connect(settings) as conn:
            existed = database_exists(conn, dbname)
    cmd = [
        "psql", settings.dsn("postgres", SUPERUSER), "-X", "-q", "-v", "ON_ERROR_STOP=1",
        "-v", f"owner_password={settings.secrets['MOTOVAULT_OWNER_PASSWORD']}",
        "-f", str(project_root() / "sql" / "bootstrap_owner.sql"),
    ]
    if dbname is not None:
        cmd[-2:-2] = ["-v", f"dbname={dbname}"]
    result = subprocess.run(cmd, text=True, capture_output=True, check=False)
    if result.returncode != 0:
        raise MotovaultError(f"creating the owner role failed: {result.stderr.strip()}")
    return dbname is not None and not existed


def database_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is not None


def plan_changes(root: Path | None = None) -> list[str]:
    """Change names of sqitch.plan, in order (a reworked change counts once)."""
    names: list[str] = []
    for raw in ((root or project_root()) / "sqitch.plan").read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "%#@":
            continue
        name = re.split(r"[\s\[]", line, maxsplit=1)[0]
        if name not in names:
            names.append(name)
    return names


def sqitch_target(settings: Settings, dbname: str) -> str:
    return "db:" + settings.dsn(dbname, OWNER_ROLE).replace("postgresql://", "pg://", 1)


def sqitch(
    settings: Settings,
    dbname: str,
    *args: str,
    root: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``sqitch <args> --target <db>`` in the project as the owner role."""
    command, *rest = args
    cmd = ["sqitch", "--chdir", str(root or project_root()), command, "--target", sqitch_target(settings, dbname)]
    if command == "deploy":
        cmd += ["--set", f"authenticator_password={settings.secrets['MOTOVAULT_AUTHENTICATOR_PASSWORD']}"]
    cmd += rest
    env = {**os.environ, "SQITCH_USER_NAME": "motovault", "SQITCH_USER_EMAIL": "motovault@localhost"}
    result = subprocess.run(cmd, text=True, capture_output=True, env=env, check=False)
    if result.returncode != 0:
        detail = (result.stderr + result.stdout).strip().splitlines()[-20:]
        raise MotovaultError(f"sqitch {command} on {dbname} failed:\n" + "\n".join(detail))
    return result


def provision(settings: Settings, dbname: str) -> tuple[bool, str]:
    """Owner role, database and plan; returns (database created, sqitch output)."""
    created = bootstrap(settings, dbname)
    out = sqitch(settings, dbname, "deploy").stdout
    return created, out
