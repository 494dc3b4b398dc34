"""`motovault report vehicle|fleet`: an HTML and a PDF report with charts (docs/costs.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("report", help="HTML and PDF reports of a vehicle or a fleet, with charts")
    rsub = p.add_subparsers(dest="report_command", required=True)
    vehicle = rsub.add_parser(
        "vehicle",
        help="economy, cost per month, cost of ownership, service history and reminders of one vehicle",
        description="Writes OUT/vehicle-ID.html and .pdf: economy over time per energy source, cost per month by "
        "category in the tenant's reporting currency, cost of ownership per year, energy and cost per distance, "
        "service history, upcoming reminders. Numbers come from the api views.",
    )
    vehicle.add_argument("vehicle_id", metavar="VEHICLE_ID")
    fleet = rsub.add_parser("fleet", help="cost of ownership of a tenant's fleet per month and vehicle",
                            description="Writes OUT/fleet-TENANT.html and .pdf.")
    fleet.add_argument("tenant_id", metavar="TENANT_ID")
    for q in (vehicle, fleet):
        q.add_argument("--dsn", metavar="URL", default=None,
                       help="connection URL of the database, as its owner role (default: the local stack)")
        q.add_argument("--out", metavar="DIR", type=Path, default=Path("."), help="folder to write to (default .)")
    vehicle.set_defaults(func=run_vehicle)
    fleet.set_defaults(func=run_fleet)


def _dsn(args: argparse.Namespace) -> str:
    from ..stack.settings import OWNER_ROLE, load_settings

    return str(args.dsn) if args.dsn else load_settings().dsn(user=OWNER_ROLE)


def run_vehicle(args: argparse.Namespace) -> int:
    from ..core.db import connect
    from ..reports.data import vehicle_report
    from ..reports.render import vehicle_html, write

    with connect(_dsn(args), application_name="motovault report") as conn:
        report = vehicle_report(conn, args.vehicle_id)
    html, pdf = write(vehicle_html(report), args.out, f"vehicle-{args.vehicle_id}")
    print(f"wrote {html} and {pdf}")
    return 0


def run_fleet(args: argparse.Namespace) -> int:
    from ..core.db import connect
    from ..reports.data import fleet_report
    from ..reports.render import fleet_html, write

    with connect(_dsn(args), application_name="motovault report") as conn:
        report = fleet_report(conn, args.tenant_id)
    html, pdf = write(fleet_html(report), args.out, f"fleet-{args.tenant_id}")
    print(f"wrote {html} and {pdf}")
    return 0
