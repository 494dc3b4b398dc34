"""`motovault maintain`: the periodic database job (run it daily, e.g. from cron or a systemd timer).

Creates the monthly partitions of app.vehicle_events that are due (``--months-ahead``, default 6)
and moves rows that waited in the default partition into them. Runs as the owner role.
"""

from __future__ import annotations

import argparse

import psycopg

from ..core.db import connect, one_row
from ..core.errors import MotovaultError
from ..stack.settings import OWNER_ROLE, load_settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("maintain", help="periodic job: create the event partitions ahead")
    p.add_argument("--months-ahead", type=int, default=6, help="months of partitions to keep ahead (default 6)")
    p.add_argument("--dsn", metavar="URL", default=None,
                   help="connection URL of the database (default: the local motovault database as the owner role)")
    p.set_defaults(func=run)


def maintain(dsn: str, months_ahead: int = 6) -> list[str]:
    """Create the missing event partitions; returns the partitions created."""
    try:
        with connect(dsn, application_name="motovault maintain") as conn:
            rows = conn.execute(
                "select p from app.ensure_vehicle_event_partitions(months_ahead => %s) as p", (months_ahead,)
            ).fetchall()
            default_rows = one_row(conn, "select count(*) from app.vehicle_events_default")[0]
    except psycopg.Error as exc:
        raise MotovaultError(str(exc).strip()) from None
    created = [r[0] for r in rows]
    if default_rows:
        created.append(
            f"(note: {default_rows} events remain in app.vehicle_events_default: dates outside the partitions)"
        )
    return created


def run(args: argparse.Namespace) -> int:
    dsn = args.dsn or load_settings().dsn(user=OWNER_ROLE)
    created = maintain(dsn, args.months_ahead)
    print("\n".join(created) if created else "event partitions: nothing to create")
    return 0
