"""Provisioning a motovault database: the owner role, the database, the sqitch plan."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from ..core.db import connect, one_row
from ..core.errors import MotovaultError
from ..core.paths import project_root
from .settings import OWNER_ROLE, SUPERUSER, Settings


def superuser_connect(settings: Settings, dbname: str = "postgres") -> psycopg.Connection:
    return connect(settings.dsn(dbname, SUPERUSER), what=f"PostgreSQL on port {settings.pg_port}")


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


def sqitch_target(settings: Settings, dbname: str) -> str:
    return "db:" + settings.dsn(dbname, OWNER_ROLE).replace("postgresql://", "pg://", 1)


# --- lock_timeout for every deploy ------------------------------------------------------------

LOCK_TIMEOUT_ENV = "MOTOVAULT_DEPLOY_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = "5s"
DEFAULT_RETRIES = 3
DEFAULT_RETRY_WAIT = 2.0  # seconds before the first retry; doubled for each next one
#: sqitch commands that run deploy/revert/verify scripts through psql
SCRIPT_COMMANDS = ("deploy", "revert", "rebase", "checkout", "verify")
_DURATION = re.compile(r"\d+(\.\d+)?(us|ms|s|min|h|d)?")
_PSQL_LOCK_ERROR = re.compile(r"^psql:(?P<path>[^\n]+?):(?P<line>\d+): ERROR:\s+55P03:", re.M)


def deploy_lock_timeout(value: str | None = None) -> str:
    """The lock_timeout deploys run with: ``value``, else $MOTOVAULT_DEPLOY_LOCK_TIMEOUT, else 5s (0: none)."""
    raw = (value if value is not None else os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_LOCK_TIMEOUT).strip()
    if not _DURATION.fullmatch(raw):
        raise MotovaultError(
            f"lock timeout {raw!r} (--lock-timeout, ${LOCK_TIMEOUT_ENV}): give a duration such as 5s, 500ms or 1min"
        )
    return raw


def pgoptions(lock_timeout: str, current: str | None = None) -> str:
    """PGOPTIONS for sqitch and its psql: the user's own options kept, our lock_timeout last (it wins)."""
    ours = f"-c lock_timeout={lock_timeout}"
    return f"{current.strip()} {ours}" if current and current.strip() else ours


class LockNotAvailable(MotovaultError):
    """A sqitch script stopped because a lock was not granted within lock_timeout (SQLSTATE 55P03)."""

    def __init__(self, command: str, change: str, script: str, line: int, relations: list[str],
                 timeout: str, nothing_applied: bool, holder: str | None = None, output: str = "") -> None:
        self.command, self.change, self.script, self.line = command, change, script, line
        self.relations, self.timeout, self.nothing_applied = relations, timeout, nothing_applied
        self.holder = holder  # who held the lock, when it could still be seen
        self.output = output  # sqitch's stdout: the changes done before this one
        super().__init__(self.message())

    def __str__(self) -> str:
        return self.message()

    def describe(self) -> str:
        what = " or ".join(self.relations) if self.relations else f"what {self.script}:{self.line} needs"
        return (f"{self.command}: change {self.change} could not lock {what} within {self.timeout} "
                f"({self.holder or 'a long transaction holds it'})")

    def message(self) -> str:
        return f"{self.describe()}; {self.consequence()}; retry later"

    def consequence(self) -> str:
        if not self.nothing_applied:
            return (f"{self.script} has no transaction around line {self.line}: the statements before it stay "
                    f"applied and run again on the next {self.command}")
        done = {"deploy": "applied", "revert": "reverted"}.get(self.command)
        return f"nothing of {self.change} was {done}" if done else f"{self.change} was not {self.command}ed"


class RegistryLocked(LockNotAvailable):
    """Another sqitch held the registry lock of the database longer than lock_timeout."""

    def __init__(self, command: str, dbname: str, timeout: str, output: str = "") -> None:
        self.dbname = dbname
        super().__init__(command, "", "", 0, [], timeout, True, output=output)

    def describe(self) -> str:
        return (
            f"{self.command}: another sqitch is working on {self.dbname} "
            f"(its lock was not free within {self.timeout})"
        )

    def consequence(self) -> str:
        return "nothing was done"


def _change_of(script: str) -> str:
    """deploy/vehicles_decoded.sql, deploy/x@v1.sql -> the change name."""
    return Path(script).stem.split("@", 1)[0]


def lock_failure(command: str, output: str, root: Path, timeout: str) -> LockNotAvailable | None:
    """The lock timeout a failed sqitch run ended with, read from psql's error and the script itself."""
    from ..doctor.migrations import failure_point  # pglast: only needed when a deploy failed on a lock

    m = _PSQL_LOCK_ERROR.search(output)
    if m is None:
        return None
    script, line = m.group("path"), int(m.group("line"))
    path = root / script
    point = failure_point(path.read_text(errors="replace"), line) if path.is_file() else None
    return LockNotAvailable(
        command=command,
        change=_change_of(script),
        script=script,
        line=point.line if point else line,
        relations=point.relations if point else [],
        timeout=(point.lock_timeout if point and point.lock_timeout else timeout),
        nothing_applied=point.nothing_applied if point else True,
    )


_HOLDER = """
select a.pid, a.usename, a.state, extract(epoch from now() - a.xact_start)::int
from pg_locks as l
join pg_stat_activity as a on a.pid = l.pid
where l.granted and l.locktype = 'relation' and l.relation = to_regclass(%s) and l.pid <> pg_backend_pid()
order by a.xact_start nulls last
limit 1
"""


def lock_holder(settings: Settings, dbname: str, relations: list[str]) -> str | None:
    """'held by pid 4242: analyst, idle in transaction for 93s' - best effort, as the superuser."""
    tables = [r for r in relations if not r.startswith("the table of index")]
    if not tables:
        return None
    try:
        with superuser_connect(settings, dbname) as conn:
            row = conn.execute(_HOLDER, (tables[0],)).fetchone()
    except (MotovaultError, psycopg.Error):
        return None
    if row is None:
        return None
    pid, user, state, seconds = row
    since = f" for {seconds}s" if seconds is not None else ""
    return f"held by pid {pid}: {user}, {state or 'busy'}{since}"


def sqitch(
    settings: Settings,
    dbname: str,
    *args: str,
    root: Path | None = None,
    lock_timeout: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``sqitch <args> --target <db>`` in the project as the owner role.

    Every run gets PGOPTIONS ``-c lock_timeout=<N>`` (default 5s, $MOTOVAULT_DEPLOY_LOCK_TIMEOUT), so a
    script that cannot get a lock fails fast instead of queueing every query on that table behind it;
    such a failure raises LockNotAvailable. psql reports errors with their SQLSTATE (VERBOSITY=verbose)."""
    command, *rest = args
    project = root or project_root()
    timeout = deploy_lock_timeout(lock_timeout)
    cmd = ["sqitch", "--chdir", str(project), command, "--target", sqitch_target(settings, dbname)]
    if command == "deploy":
        cmd += ["--set", f"authenticator_password={settings.secrets['MOTOVAULT_AUTHENTICATOR_PASSWORD']}"]
    if command in SCRIPT_COMMANDS:
        cmd += ["--set", "VERBOSITY=verbose"]
    cmd += rest
    env = {
        **os.environ,
        "SQITCH_USER_NAME": "motovault",
        "SQITCH_USER_EMAIL": "motovault@localhost",
        "PGOPTIONS": pgoptions(timeout, os.environ.get("PGOPTIONS")),
    }
    result = subprocess.run(cmd, text=True, capture_output=True, env=env, check=False)
    if result.returncode != 0:
        failure = lock_failure(command, result.stderr + "\n" + result.stdout, project, timeout)
        if failure is not None:
            failure.output = result.stdout
            failure.holder = lock_holder(settings, dbname, failure.relations)
            raise failure
        if "Blocked by another instance of Sqitch" in result.stderr + result.stdout and "lock timeout" in result.stderr:
            raise RegistryLocked(command, dbname, timeout, output=result.stdout)
        raise MotovaultError(f"sqitch {command} on {dbname} failed:\n" + failure_detail(result.stdout, result.stderr))
    return result


_ERROR_WORDS = ("ERROR", "FATAL", "DETAIL:", "HINT:", "CONTEXT:", "not ok", "failed", "Reverting")


def failure_detail(stdout: str, stderr: str, limit: int = 20) -> str:
    """What a failed sqitch run said that matters: the error lines (with the change they hit and the
    revert that followed), not only its last lines, which after a failed deploy are all "- change .. ok"
    lines of the automatic revert."""
    lines = [
        line for line in (stderr + "\n" + stdout).splitlines() if line.strip() and not line.startswith("LOCATION:")
    ]
    errors = [line for line in lines if any(w in line for w in _ERROR_WORDS)]
    if not errors:
        return "\n".join(lines[-limit:])
    return "\n".join(errors[:limit])


def changes_not_in_plan(settings: Settings, dbname: str, root: Path | None = None) -> list[str]:
    """Changes the database's sqitch registry records that sqitch.plan does not have (in deploy order)."""
    from ..core.plan import load_plan

    with superuser_connect(settings) as conn:
        if not database_exists(conn, dbname):
            return []
    with superuser_connect(settings, dbname) as conn:
        if one_row(conn, "select to_regclass('sqitch.changes') is null")[0]:
            return []
        deployed = [
            str(row[0])
            for row in conn.execute(
                "select change from sqitch.changes where project = 'motovault' order by committed_at, change"
            )
        ]
    planned = {entry.name for entry in load_plan(root or project_root()).entries}
    return [name for name in deployed if name not in planned]


def refuse_foreign_registry(settings: Settings, dbname: str, root: Path | None = None) -> None:
    unknown = changes_not_in_plan(settings, dbname, root)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise MotovaultError(
            f"database {dbname} was deployed from another plan: its changes {shown} are not in sqitch.plan "
            "(a database from before the @v1.0 re-baseline). sqitch cannot move it onto this plan: keep its "
            "data with `motovault backup create` if you need it, then `make reset` and `make up`"
        )


def deploy(
    settings: Settings,
    dbname: str,
    *args: str,
    root: Path | None = None,
    lock_timeout: str | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_wait: float = DEFAULT_RETRY_WAIT,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> subprocess.CompletedProcess[str]:
    """``sqitch deploy`` that retries a change which could not get its lock (waits retry_wait, 2x, 4x ...).

    sqitch records such a change as failed with its transaction rolled back, and the next deploy starts
    from it; the changes deployed before it stay. Raises LockNotAvailable after the last retry.

    A database deployed from another plan (the one before the @v1.0 re-baseline) is refused with what
    to do instead: sqitch cannot move it onto this plan."""
    refuse_foreign_registry(settings, dbname, root)
    done: list[str] = []
    for attempt in range(retries + 1):
        try:
            result = sqitch(settings, dbname, "deploy", *args, root=root, lock_timeout=lock_timeout)
        except LockNotAvailable as exc:
            done.append(getattr(exc, "output", ""))
            if attempt == retries:
                raise
            delay = retry_wait * 2**attempt
            if progress:
                progress(f"{exc.describe()}; retry {attempt + 1}/{retries} in {delay:g}s")
            sleep(delay)
            continue
        result.stdout = "".join(done) + result.stdout
        return result
    raise AssertionError("unreachable")


def provision(
    settings: Settings, dbname: str, progress: Callable[[str], None] | None = None
) -> tuple[bool, str]:
    """Owner role, database and plan (retried on busy locks); returns (database created, sqitch output)."""
    created = bootstrap(settings, dbname)
    out = deploy(settings, dbname, progress=progress).stdout
    return created, out
