"""A local Citus cluster for development and `make test-citus`: a coordinator and two workers on
loopback, each a :class:`PgInstance` run by the Citus build in .tools/citus (motovault.stack.citus_build).

Where: .state/citus/{coordinator,worker1,worker2}, on ``MOTOVAULT_CITUS_PORT`` (default 9700) and the
two ports after it. Every node has the database (``MOTOVAULT_DB``, default motovault) owned by the
owner role, with the citus extension; the coordinator knows its workers (citus_add_node). Nodes
authenticate each other like clients do (scram-sha-256): the superuser's and the owner's passwords
are in pg_dist_authinfo, which is where Citus looks for a password when it opens a connection to
another node.
"""

from __future__ import annotations

import dataclasses
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ..core.db import connect
from ..core.errors import MotovaultError
from ..core.paths import project_root, state_dir
from . import citus_distribute as distribution
from . import database
from .citus_build import installed_version, require_build
from .cluster import PgInstance
from .settings import OWNER_ROLE, SUPERUSER, Settings, port_from_env

DEFAULT_PORT = 9700
WORKERS = 2

Say = Callable[[str, str], None]


@dataclass(frozen=True)
class CitusCluster:
    """The coordinator on ``port`` and WORKERS workers on the ports after it, under ``home``."""

    home: Path
    port: int
    bindir: Path
    settings: Settings

    def node(self, index: int) -> PgInstance:
        name = "coordinator" if index == 0 else f"worker{index}"
        return PgInstance(
            home=self.home / name,
            port=self.port + index,
            what=f"the Citus {name}",
            port_variable="MOTOVAULT_CITUS_PORT",
            bindir=self.bindir,
        )

    @property
    def coordinator(self) -> PgInstance:
        return self.node(0)

    @property
    def workers(self) -> list[PgInstance]:
        return [self.node(i) for i in range(1, WORKERS + 1)]

    @property
    def nodes(self) -> list[PgInstance]:
        return [self.coordinator, *self.workers]

    def dsn(self, node: PgInstance, dbname: str | None = None, user: str = SUPERUSER) -> str:
        """The URL of ``node`` (the stack's passwords: the same roles on every node)."""
        base = self.settings.dsn(dbname, user)
        return base.replace(f":{self.settings.pg_port}/", f":{node.port}/", 1)

    def url(self, user: str = OWNER_ROLE) -> str:
        """The coordinator's URL, what applications and sqitch connect to."""
        return self.dsn(self.coordinator, self.settings.db_name, user)


def local_citus(settings: Settings) -> CitusCluster:
    """The development cluster of this state folder (a one-line error when there is no Citus build)."""
    return CitusCluster(
        home=state_dir() / "citus",
        port=port_from_env("MOTOVAULT_CITUS_PORT", DEFAULT_PORT),
        bindir=require_build(),
        settings=settings,
    )


def node_settings(node: PgInstance) -> str:
    return (
        "# motovault local Citus cluster\n"
        "listen_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{node.run_dir}'\n"
        "shared_preload_libraries = 'citus,pg_stat_statements'\n"
        "max_connections = 200\n"
        "shared_buffers = '256MB'\n"
        "wal_level = logical\n"  # shard moves copy a shard with logical replication
        "max_replication_slots = 20\n"
        "max_wal_senders = 20\n"
        "log_min_messages = warning\n"
        # the plan's triggers run on the shards (docs/citus.md): Citus creates them there only with this
        "citus.enable_unsafe_triggers = on\n"
    )


def _psql_file(dsn: str, script: Path, variables: dict[str, str]) -> None:
    cmd = ["psql", dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script)]
    for key, value in variables.items():
        cmd[-2:-2] = ["-v", f"{key}={value}"]
    result = subprocess.run(cmd, text=True, capture_output=True, check=False)
    if result.returncode != 0:
        raise MotovaultError(f"{script.name} failed: {result.stderr.strip()}")


def _bootstrap(cluster: CitusCluster, node: PgInstance, dbname: str) -> None:
    """The owner role and the database ``dbname`` (owned by it) on ``node``; idempotent."""
    _psql_file(
        cluster.dsn(node, "postgres"),
        project_root() / "sql" / "bootstrap_owner.sql",
        {"owner_password": cluster.settings.secrets["MOTOVAULT_OWNER_PASSWORD"], "dbname": dbname},
    )


def _set_node_password(conn: psycopg.Connection, role: str, password: str) -> None:
    """The password Citus uses for ``role`` on connections to any node (pg_dist_authinfo, node 0)."""
    conn.execute(
        "insert into pg_dist_authinfo (nodeid, rolename, authinfo) values (0, %s, %s) "
        "on conflict (nodeid, rolename) do update set authinfo = excluded.authinfo",
        (role, f"password={password}"),
    )


def _add_citus(cluster: CitusCluster, node: PgInstance, dbname: str) -> None:
    """The citus extension in ``dbname`` on ``node``, with the passwords nodes use to reach each other."""
    secrets = cluster.settings.secrets
    with connect(cluster.dsn(node, dbname), what=f"{node.what} on port {node.port}") as conn:
        conn.execute("create extension if not exists citus")
        for role, secret in ((SUPERUSER, "MOTOVAULT_SUPERUSER_PASSWORD"), (OWNER_ROLE, "MOTOVAULT_OWNER_PASSWORD")):
            _set_node_password(conn, role, secrets[secret])
        conn.commit()


def has_citus(cluster: CitusCluster, dbname: str) -> bool:
    """Whether the coordinator's ``dbname`` has the citus extension (after `motovault citus deploy`)."""
    with connect(cluster.dsn(cluster.coordinator, dbname), what="the Citus coordinator") as conn:
        return conn.execute("select from pg_extension where extname = 'citus'").fetchone() is not None


def create_database(cluster: CitusCluster, dbname: str) -> None:
    """``dbname`` on every node; the workers' with the citus extension. The coordinator's stays plain
    until the plan is deployed into it (`enable_citus`): early changes of the plan do what Citus
    refuses once its extension is there (docs/citus.md)."""
    for node in cluster.nodes:
        _bootstrap(cluster, node, dbname)
    for node in cluster.workers:
        _add_citus(cluster, node, dbname)


def enable_citus(cluster: CitusCluster, dbname: str) -> list[str]:
    """The citus extension in the coordinator's ``dbname`` and the workers registered with it; returns
    the workers it added."""
    _add_citus(cluster, cluster.coordinator, dbname)
    added = []
    with connect(cluster.dsn(cluster.coordinator, dbname), what="the Citus coordinator") as conn:
        conn.execute("select citus_set_coordinator_host('127.0.0.1', %s)", (cluster.coordinator.port,))
        for worker in cluster.workers:
            known = conn.execute(
                "select 1 from pg_dist_node where nodename = '127.0.0.1' and nodeport = %s", (worker.port,)
            ).fetchone()
            if known is None:
                conn.execute("select citus_add_node('127.0.0.1', %s)", (worker.port,))
                added.append(worker.what)
        conn.commit()
    return added


def drop_database(cluster: CitusCluster, dbname: str) -> None:
    """``dbname`` dropped on every node (the coordinator first: it holds the metadata)."""
    for node in cluster.nodes:
        with connect(cluster.dsn(node, "postgres"), what=f"{node.what} on port {node.port}") as conn:
            conn.autocommit = True
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))


def coordinator_settings(cluster: CitusCluster) -> Settings:
    """The stack's settings with the coordinator's port: what sqitch and the API connect to."""
    return dataclasses.replace(cluster.settings, pg_port=cluster.coordinator.port)


#: logical decoding output plugins a node must trust: Citus splits a shard (isolate_tenant_to_new_shard)
#: through its own plugin, ``citus``, which PostgreSQL builds with ``output_plugin_libraries`` refuse
#: unless it is named there ("library "citus" may not be used as an output plugin")
OUTPUT_PLUGINS = ("pgoutput", "test_decoding", "citus")


def trust_citus_decoder(cluster: CitusCluster, node: PgInstance) -> bool:
    """``output_plugin_libraries`` naming Citus's decoder on ``node``, when its PostgreSQL has that
    setting (nothing to do on one without it); returns True when it changed the setting."""
    with connect(cluster.dsn(node, "postgres"), what=f"{node.what} on port {node.port}") as conn:
        conn.autocommit = True
        row = conn.execute("select setting from pg_settings where name = 'output_plugin_libraries'").fetchone()
        if row is None or "citus" in [part.strip() for part in str(row[0]).split(",")]:
            return False
        # a list setting: each name its own literal (one quoted string would be one name with commas)
        names = sql.SQL(", ").join(sql.Literal(name) for name in OUTPUT_PLUGINS)
        conn.execute(sql.SQL("alter system set output_plugin_libraries = {}").format(names))
        conn.execute("select pg_reload_conf()")
    return True


def up(cluster: CitusCluster, say: Say) -> bool:
    """initdb and start every node, then the database on each (the workers' with the citus extension);
    returns True when something changed."""
    changed = False
    for node in cluster.nodes:
        node.prepare_home()
        if node.initdb(SUPERUSER, cluster.settings.secrets["MOTOVAULT_SUPERUSER_PASSWORD"], node_settings(node)):
            say("citus", f"initialized {node.what} in {node.home}")
            changed = True
        if node.start():
            say("citus", f"started {node.what} on 127.0.0.1:{node.port}")
            changed = True
        if trust_citus_decoder(cluster, node):
            say("citus", f"{node.what} trusts Citus's decoder for shard splits (output_plugin_libraries)")
            changed = True
    create_database(cluster, cluster.settings.db_name)
    return changed


#: the roles PostgREST switches to: on Citus their queries open connections to the workers as them
API_ROLES = ("app_user", "anon")


def api_roles_password(cluster: CitusCluster) -> str:
    """The password the API roles log in to the workers with (.state/citus/api-roles.pw, made once)."""
    path = cluster.home / "api-roles.pw"
    if not path.is_file():
        cluster.home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def enable_api_roles(cluster: CitusCluster, dbname: str) -> None:
    """A login for the API roles on every worker (never on the coordinator, where clients connect: there
    they stay NOLOGIN behind the authenticator), and their password in pg_dist_authinfo on every node."""
    password = api_roles_password(cluster)
    for node in cluster.nodes:
        with connect(cluster.dsn(node, dbname), what=f"{node.what} on port {node.port}") as conn:
            conn.autocommit = True
            # on this node only: a worker with synced metadata would carry ALTER ROLE to every node,
            # the coordinator included, where the API roles must stay NOLOGIN
            conn.execute("set citus.enable_ddl_propagation = off")
            for role in API_ROLES:
                if node.port != cluster.coordinator.port:
                    conn.execute(sql.SQL("alter role {} login password {}").format(
                        sql.Identifier(role), sql.Literal(password)))
                _set_node_password(conn, role, password)


def deploy(cluster: CitusCluster, dbname: str, say: Say) -> distribution.Report:
    """The plan into the coordinator's ``dbname``, then Citus: the first time, sqitch deploy while the
    database is still plain, then the extension, the workers and the distribution of every table; later,
    sqitch deploy of the new changes (written for Citus: app.distribute_table as each table is made)
    and the distribution of what is new."""
    settings = coordinator_settings(cluster)
    out = database.deploy(settings, dbname, progress=lambda line: say("schema", line)).stdout
    deployed = [line for line in out.splitlines() if line.strip().startswith("+ ")]
    say("schema", f"deployed {len(deployed)} change(s)" if deployed else "up to date, nothing to deploy")
    added = enable_citus(cluster, dbname)
    if added:
        say("citus", f"registered {', '.join(added)} with the coordinator")
    with connect(cluster.dsn(cluster.coordinator, dbname), what="the Citus coordinator") as conn:
        conn.autocommit = True
        report = distribution.distribute(conn, say)
    enable_api_roles(cluster, dbname)
    say("citus", f"{', '.join(API_ROLES)} may log in to the workers (password in {cluster.home / 'api-roles.pw'})")
    return report


def active_workers(cluster: CitusCluster, dbname: str | None = None) -> list[tuple[str, int]]:
    """The coordinator's active workers as its database ``dbname`` knows them (after `enable_citus`)."""
    dbname = dbname or cluster.settings.db_name
    if not has_citus(cluster, dbname):
        return []
    with connect(cluster.dsn(cluster.coordinator, dbname), what="the Citus coordinator") as conn:
        rows = conn.execute("select node_name, node_port from citus_get_active_worker_nodes() order by 2").fetchall()
    return [(str(name), int(port)) for name, port in rows]


def mixed_owners(conn: psycopg.Connection) -> list[dict[str, object]]:
    """The co-location groups whose tables have more than one owner. A shard move or split replicates a
    group with one subscription per owner, and Citus 13.2.2 can finish before the second one has started
    (PostgreSQL 15 starts it up to ``wal_retrieve_retry_interval`` later, and Citus waits for
    ``min(latest_end_lsn)``, which skips a subscription that has not started): the rows written to
    that owner's tables during the move stay behind on the old placement (docs/citus.md)."""
    rows = conn.execute(
        "select p.colocationid, array_agg(distinct pg_get_userbyid(c.relowner)::text order by "
        "pg_get_userbyid(c.relowner)::text), count(*) "
        "from pg_dist_partition as p join pg_class as c on c.oid = p.logicalrelid "
        "where p.colocationid <> 0 group by 1 having count(distinct c.relowner) > 1 order by 1"
    ).fetchall()
    return [{"colocation_id": int(group), "owners": list(owners), "tables": int(tables)}
            for group, owners, tables in rows]


def status(cluster: CitusCluster) -> dict[str, object]:
    nodes = [
        {"node": node.what.removeprefix("the Citus "), "port": node.port, "running": node.running(),
         "initialized": node.initialized()}
        for node in cluster.nodes
    ]
    workers: list[tuple[str, int]] = []
    mixed: list[dict[str, object]] = []
    version = installed_version()
    if cluster.coordinator.running():
        try:
            workers = active_workers(cluster)
            if workers:
                with connect(cluster.dsn(cluster.coordinator, cluster.settings.db_name)) as conn:
                    mixed = mixed_owners(conn)
        except (MotovaultError, psycopg.Error):
            workers = []
    return {"citus": version, "nodes": nodes, "active_workers": [f"{h}:{p}" for h, p in workers],
            "mixed_owners": mixed, "url": cluster.url()}


def down(cluster: CitusCluster) -> list[str]:
    """Stop every node (workers first); returns the ones it stopped."""
    return [node.what for node in reversed(cluster.nodes) if node.stop()]


def drop(cluster: CitusCluster) -> list[str]:
    """Stop and delete every node's files."""
    down(cluster)
    return [node.what for node in cluster.nodes if node.destroy()]
