"""`motovault citus build | up | deploy | distribute | move | isolate | status | url | down | drop`: a local
Citus cluster (a coordinator and two workers on loopback) for development and `make test-citus`, and the
steps that grow a deployment onto Citus and move its tenants."""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from ..core.db import connect
from ..core.errors import MotovaultError
from ..stack import citus
from ..stack import citus_rebalance as rebalance
from ..stack.citus_build import build
from ..stack.citus_distribute import Report, distribute
from ..stack.settings import load_settings
from ..stack.stack import say, shown


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "citus",
        help="a local Citus cluster: a coordinator and two workers on loopback",
        description="Citus from its source in .tools/citus (`make citus CITUS_SRC=DIR`), and a coordinator "
        "with two workers in .state/citus on MOTOVAULT_CITUS_PORT (default 9700) and the next two ports.",
    )
    csub = p.add_subparsers(dest="citus_command", metavar="SUBCOMMAND")
    csub.required = True
    b = csub.add_parser("build", help="build Citus from a checkout of its source into .tools/citus")
    b.add_argument("--source", required=True, type=Path, help="the Citus checkout (at the release tag)")
    b.add_argument("--jobs", type=int, default=None, help="make -j (default: the number of cores)")
    b.set_defaults(func=run_build)
    csub.add_parser("up", help="create and start the coordinator and the workers").set_defaults(func=run_up)
    csub.add_parser(
        "deploy", help="deploy the plan on the coordinator, then add Citus and distribute the tables"
    ).set_defaults(func=run_deploy)
    d = csub.add_parser(
        "distribute",
        help="distribute a deployed database's tables and functions (after sqitch deploy; docs/citus.md)",
    )
    d.add_argument("--dsn", default=None,
                   help="a superuser's URL of the coordinator's database (default: the local cluster's)")
    d.set_defaults(func=run_distribute)
    for verb, text in (("move", "move a tenant's shards (every co-located table) to another worker"),
                       ("isolate", "give a tenant shards of its own (every co-located table)")):
        m = csub.add_parser(verb, help=text + ", while the API keeps answering (docs/citus.md)")
        m.add_argument("tenant", help="the tenant's id")
        if verb == "move":
            m.add_argument("--to", default=None, metavar="HOST:PORT",
                           help="the worker (default: the other active worker with the fewest shards)")
        m.add_argument("--dsn", default=None,
                       help="a superuser's URL of the coordinator's database (default: the local cluster's); "
                            "the workers are reached with the same credentials")
        m.set_defaults(func=run_move)
    st = csub.add_parser("status", help="the nodes and the active workers (exit 0 only when all run)")
    st.add_argument("--json", action="store_true", help="one JSON object")
    st.set_defaults(func=run_status)
    csub.add_parser("url", help="print the coordinator's URL (the owner role)").set_defaults(func=run_url)
    csub.add_parser("down", help="stop every node; keep the data").set_defaults(func=run_down)
    csub.add_parser("drop", help="stop every node and delete its files").set_defaults(func=run_drop)


def run_build(args: argparse.Namespace) -> int:
    build(args.source, say, jobs=args.jobs)
    return 0


def run_up(args: argparse.Namespace) -> int:
    cluster = citus.local_citus(load_settings())
    print(f"motovault: Citus cluster in {shown(cluster.home)}")
    changed = citus.up(cluster, say)
    if not changed:
        print("nothing changed: the cluster was already up")
    print()
    print(f"coordinator   psql \"{cluster.url()}\"")
    if not citus.has_citus(cluster, cluster.settings.db_name):
        print("next          motovault citus deploy   (the plan, then its tables distributed)")
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    cluster = citus.local_citus(load_settings())
    print(f"motovault: the plan on the Citus coordinator 127.0.0.1:{cluster.coordinator.port}")
    report = citus.deploy(cluster, cluster.settings.db_name, say)
    _print_report(report)
    workers = citus.active_workers(cluster)
    say("citus", f"{len(workers)} active workers: {', '.join(f'{h}:{p}' for h, p in workers)}")
    return 0


def _print_report(report: Report) -> None:
    for line in report.skipped:
        say("left out", line)
    print(f"distributed {len(report.distributed)} tables by tenant and {len(report.reference)} reference tables, "
          f"{report.foreign_keys} foreign keys, {report.functions} functions in {report.seconds:.1f} s")


def run_distribute(args: argparse.Namespace) -> int:
    if args.dsn is None:
        cluster = citus.local_citus(load_settings())
        dsn = cluster.dsn(cluster.coordinator, cluster.settings.db_name)
    else:
        dsn = args.dsn
    with connect(dsn, what="the Citus coordinator") as conn:
        conn.autocommit = True
        report = distribute(conn, say)
    _print_report(report)
    return 0


def _worker_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise MotovaultError(f"--to: {text!r} is not HOST:PORT")
    return host, int(port)


def run_move(args: argparse.Namespace) -> int:
    try:
        tenant = str(uuid.UUID(args.tenant))
    except ValueError:
        raise MotovaultError(f"tenant: {args.tenant!r} is not a uuid") from None
    to = _worker_address(args.to) if getattr(args, "to", None) else None
    if args.dsn is None:
        cluster = citus.local_citus(load_settings())
        dsn = cluster.dsn(cluster.coordinator, cluster.settings.db_name)
    else:
        dsn = args.dsn

    def node_connect(host: str, port: int) -> psycopg.Connection:
        conn = connect(make_conninfo(dsn, host=host, port=str(port)), what=f"the Citus node {host}:{port}")
        conn.autocommit = True
        return conn

    with connect(dsn, what="the Citus coordinator") as conn:
        conn.autocommit = True
        try:
            if args.citus_command == "move":
                moved = rebalance.move_tenant(conn, node_connect, tenant, to, say)
            else:
                moved = rebalance.isolate_tenant(conn, node_connect, tenant, say)
        except psycopg.Error as exc:
            raise MotovaultError(f"citus {args.citus_command}: {str(exc).splitlines()[0]}") from None
    print(f"tenant {moved.tenant}: shard group {moved.shard_before} on {moved.node_before} -> "
          f"{moved.shard_after} on {moved.node_after} in {moved.seconds:.1f} s")
    return 0


def run_status(args: argparse.Namespace) -> int:
    cluster = citus.local_citus(load_settings(create_secrets=False))
    st = citus.status(cluster)
    nodes = st["nodes"]
    assert isinstance(nodes, list)
    ok = all(n["running"] for n in nodes)
    if args.json:
        print(json.dumps(st))
    else:
        print(f"citus     {st['citus']}")
        for n in nodes:
            state = "running" if n["running"] else ("stopped" if n["initialized"] else "not created")
            print(f"{n['node']:<13} 127.0.0.1:{n['port']}  {state}")
        print(f"workers   {', '.join(st['active_workers']) or 'none active'}")  # type: ignore[arg-type]
        for group in st["mixed_owners"]:  # type: ignore[attr-defined]
            print(f"warning   co-location group {group['colocation_id']} has tables of {len(group['owners'])} "
                  f"owners ({', '.join(group['owners'])}): a shard move can lose the rows written during it; "
                  "give its tables one owner (docs/citus.md)")
    return 0 if ok else 1


def run_url(args: argparse.Namespace) -> int:
    print(citus.local_citus(load_settings()).url())
    return 0


def run_down(args: argparse.Namespace) -> int:
    stopped = citus.down(citus.local_citus(load_settings(create_secrets=False)))
    print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def run_drop(args: argparse.Namespace) -> int:
    removed = citus.drop(citus.local_citus(load_settings(create_secrets=False)))
    print(f"removed {', '.join(removed)}" if removed else "nothing to remove")
    return 0
