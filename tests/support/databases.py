"""The test databases: the settings of the cluster the suite runs on, clones of the template database
that pytest-postgresql builds from the sqitch plan (tests/conftest.py), and a schema dump to compare."""

from __future__ import annotations

import itertools
import os
import subprocess

import psycopg
from pytest_postgresql.janitor import DatabaseJanitor

from motovault.core.db import connect
from motovault.core.paths import pg_bindir
from motovault.stack.settings import SUPERUSER, Settings, load_settings

SETTINGS = load_settings()
#: the template's name; clones are <TEMPLATE_BASE>_<suffix><n>
TEMPLATE_BASE = f"mvtest_{os.getpid()}"

_names = itertools.count()


def clone_name(suffix: str) -> str:
    """A database name no other clone of this run has."""
    return f"{TEMPLATE_BASE}_{suffix}{next(_names)}"


def copy_role_settings(source: str, target: str) -> None:
    """ALTER ROLE ... IN DATABASE and ALTER DATABASE ... SET settings belong to one database: CREATE
    DATABASE ... TEMPLATE does not copy them. A clone gets the template's (the ones the plan's
    role_settings change made, and the template's motovault.allow_bare_tokens)."""
    with connect(SETTINGS.dsn("postgres", SUPERUSER)) as conn:
        statements = conn.execute(
            """
            select case
                       when s.setrole = 0
                       then format('alter database %%I set %%s = %%L', %s::text,
                                   split_part(c, '=', 1), substr(c, strpos(c, '=') + 1))
                       else format('alter role %%I in database %%I set %%s = %%L', r.rolname, %s::text,
                                   split_part(c, '=', 1), substr(c, strpos(c, '=') + 1))
                   end
            from pg_db_role_setting as s
            left join pg_roles as r on r.oid = s.setrole
            join pg_database as d on d.oid = s.setdatabase
            cross join unnest(s.setconfig) as c
            where d.datname = %s
            """,
            (target, target, source),
        ).fetchall()
        for (statement,) in statements:
            conn.execute(statement)


class ClonedDatabase:
    """A database cloned from the session template, with its name and URLs."""

    def __init__(self, template: object, name: str) -> None:
        self.name = name
        self._janitor = DatabaseJanitor(
            user=SUPERUSER,
            host=SETTINGS.pg_host,
            port=SETTINGS.pg_port,
            dbname=name,
            template_dbname=template.template_dbname,  # type: ignore[attr-defined]
            version=template.version,  # type: ignore[attr-defined]
            password=SETTINGS.secrets["MOTOVAULT_SUPERUSER_PASSWORD"],
        )

    def __enter__(self) -> ClonedDatabase:
        self._janitor.init()
        template = self._janitor.template_dbname
        assert template is not None
        copy_role_settings(template, self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        self._janitor.drop()

    def url(self, user: str = SUPERUSER) -> str:
        return SETTINGS.dsn(self.name, user)

    def connect(self, user: str = SUPERUSER) -> psycopg.Connection:
        return connect(self.url(user))


def schema_dump(settings: Settings, dbname: str) -> str:
    """pg_dump --schema-only of ``dbname`` without the sqitch registry, comments and restrict keys."""
    out = subprocess.run(
        [str(pg_bindir() / "pg_dump"), "--schema-only", "--exclude-schema=sqitch", settings.dsn(dbname)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # \\restrict lines carry a random key per run (pg_dump 15.14+)
    lines = [
        line for line in out.splitlines()
        if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    ]
    return "\n".join(lines)
