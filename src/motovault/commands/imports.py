"""`motovault import FILE` and `motovault import undo BATCH`: import another app's export through the API.

Upload (rpc/upload_import), wait for the worker to parse it, preview (rpc/preview_import), then,
unless --dry-run, confirm the vehicles and commit (all or nothing; --skip-errors imports the lines
the rules accept). A progress bar on stderr when it is a terminal; a summary table on stdout; exit
status 1 when any line is (or would be) refused. docs/imports.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ..core.errors import MotovaultError

DATE_ORDERS = ("auto", "mdy", "dmy", "ymd")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import",
        help="import an export of another app (LubeLogger, Fuelly, aCar, Drivvo, Fuelio, Spritmonitor, CSV)",
        description="Upload FILE to an import batch of the running API, wait for the worker to parse it, show "
        "the preview (per line: create, duplicate, error, not imported) and commit it: all or nothing, or "
        "--skip-errors. `motovault import undo BATCH` moves everything a batch created to the trash. "
        "Exit status 1 when any line is refused.",
    )
    p.add_argument("file", metavar="FILE", help="the exported file (or `undo`, then the batch id)")
    p.add_argument("batch", metavar="BATCH", nargs="?", help="with `undo`: the batch to undo")
    p.add_argument("--format", default="auto", help="auto (default) or a format name (docs/imports.md)")
    p.add_argument("--vehicle", metavar="VEHICLE",
                   help="put every record in this vehicle of the tenant (id, VIN, plate or name)")
    p.add_argument("--date-order", choices=DATE_ORDERS, default="auto",
                   help="how to read dates such as 5/8/2020 when the file does not settle it")
    p.add_argument("--currency", metavar="CODE", help="ISO 4217 currency of the amounts when the file has none")
    p.add_argument("--mapping", metavar="JSON", help='generic CSV: {"<column>": "<motovault field>", ...}')
    p.add_argument("--dry-run", action="store_true", help="preview only: nothing is imported")
    p.add_argument("--skip-errors", action="store_true", help="commit the lines the rules accept, skip the others")
    p.add_argument("--yes", "-y", action="store_true", help="confirm the vehicles without asking")
    p.add_argument("--api-url", default=None,
                   help="the API (default: $MOTOVAULT_API_URL, else the local stack's)")
    token = p.add_mutually_exclusive_group()
    token.add_argument("--token", default=None, help="a JWT (default: $MOTOVAULT_TOKEN)")
    token.add_argument("--token-env", metavar="VAR", default=None, help="read the JWT from environment variable VAR")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="how long to wait for the worker to parse, preview or commit the file (default 300)")
    p.set_defaults(func=run)


def _api_url(args: argparse.Namespace) -> str:
    if args.api_url:
        return str(args.api_url)
    if os.environ.get("MOTOVAULT_API_URL"):
        return os.environ["MOTOVAULT_API_URL"]
    from ..stack.settings import load_settings

    return load_settings(create_secrets=False).api_url


def _token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    var = args.token_env or "MOTOVAULT_TOKEN"
    value = os.environ.get(var, "").strip()
    if not value:
        raise MotovaultError(f"no token: pass --token or set ${var} (`motovault token` signs one for the local API)")
    return value


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def summary(vehicles: list[dict[str, Any]], rows: list[dict[str, Any]], names: dict[str, str]) -> str:
    """The vehicles (match or create), the count per status, then every line that is not imported."""
    out = [_table([["vehicle in file", "action", "vehicle"]] + [
        [v["key"], v["action"] + (f" (by {v['matched_by']})" if v.get("matched_by") else ""),
         names.get(str(v.get("vehicle_id")), v.get("name") or "") if v["action"] == "match" else (v.get("name") or "")]
        for v in vehicles
    ])]
    counts = Counter(r["status"] for r in rows)
    out.append("")
    out.append(_table([["status", "lines"]] + [[s, str(n)] for s, n in sorted(counts.items())]))
    refused = [r for r in rows if r["status"] in ("error", "skipped", "unsupported")]
    if refused:
        out.append("")
        out.append(_table([["line", "status", "field", "rule", "value"]] + [
            [str(r["line"]), r["status"], r.get("error_field") or "",
             r.get("error_rule") or r.get("error_message") or "",
             "" if r.get("error_value") is None else str(r["error_value"])]
            for r in refused
        ]))
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from ..importing.client import COMMITTING, ImportClient
    from ..importing.progress import Progress

    if args.file == "undo" and args.batch:
        with ImportClient(_api_url(args), _token(args)) as client:
            batch = client.undo(args.batch)
        print(f"import {batch['id']} undone: what it created is in the trash")
        return 0
    if args.batch:
        raise MotovaultError(f"one FILE at a time (got {args.file} and {args.batch}); `import undo BATCH` undoes one")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MotovaultError(f"{path}: {exc.strerror or exc}") from None
    mapping = None
    if args.mapping:
        try:
            mapping = json.loads(args.mapping)
        except ValueError as exc:
            raise MotovaultError(f"--mapping: not JSON ({exc})") from None
        if not isinstance(mapping, dict):
            raise MotovaultError('--mapping: a JSON object {"<column>": "<field>"}')
    progress = Progress()
    with ImportClient(_api_url(args), _token(args)) as client:
        names = {}
        vehicle_id = None
        if args.vehicle:
            found = client.find_vehicle(args.vehicle)
            vehicle_id = str(found["id"])
            names[vehicle_id] = found["display_name"]
        try:
            progress.start("upload", len(data))
            batch = client.upload(data, path.name, format=args.format, date_order=args.date_order,
                                  currency=args.currency, mapping=mapping, vehicle_id=vehicle_id,
                                  on_bytes=progress.advance)
            progress.start("parse")
            batch = client.wait(str(batch["id"]), timeout=args.timeout, on_progress=progress.update)
            if batch["status"] == "failed":
                raise MotovaultError(f"{path.name}: {batch['error']}")
            progress.start("preview")
            rows = client.preview(str(batch["id"]))
            vehicles = client.vehicles(str(batch["id"]))
        finally:
            progress.finish()
        refused = sum(1 for r in rows if r["status"] == "error")
        print(f"import {batch['id']}: {path.name} read as {batch['detected_format']}")
        if args.dry_run:
            print(summary(vehicles, rows, names))
            print(f"dry run: nothing imported{f'; {refused} line(s) would be refused' if refused else ''}")
            return 1 if refused else 0
        if refused and not args.skip_errors:
            print(summary(vehicles, rows, names))
            print(f"nothing imported: {refused} line(s) would be refused (--skip-errors imports the others)")
            return 1
        if not args.yes:
            print(summary(vehicles, rows, names))
            if not sys.stdin.isatty():
                raise MotovaultError("confirm the vehicles above with --yes (or look first with --dry-run)")
            answer = input("Import with these vehicles? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("nothing imported")
                return 1
        try:
            progress.start("commit")
            client.confirm(str(batch["id"]))
            batch = client.commit(str(batch["id"]), skip_errors=args.skip_errors)
            batch = client.wait(str(batch["id"]), timeout=args.timeout, on_progress=progress.update,
                                pending=(COMMITTING,))
            rows = client.rows(str(batch["id"]))
        finally:
            progress.finish()
        if batch["status"] != "committed":
            # the rules refused a line between the preview and the commit: nothing was written
            print(summary(vehicles, rows, names))
            print(f"nothing imported: {batch.get('error') or batch['status']}")
            return 1
        print(summary(vehicles, rows, names))
        created = sum(1 for r in rows if r["status"] == "created")
        skipped = sum(1 for r in rows if r["status"] == "skipped")
        print(f"imported {created} record(s){f', skipped {skipped} refused line(s)' if skipped else ''}; "
              f"undo: motovault import undo {batch['id']}")
        return 1 if skipped else 0
