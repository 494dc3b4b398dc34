"""`motovault worker`: drain the VIN decode queue (see motovault.vin.worker), parse uploaded import
files (motovault.importing.worker, in a thread of its own with its own connection), render the reports asked
for through the API (motovault.reports.worker, a thread of its own too), make the documents'
thumbnails (motovault.documents.thumbnails) and, with --recalls, check NHTSA for recalls
(motovault.vin.recalls)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from contextlib import ExitStack
from typing import Any

from ..core.errors import MotovaultError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "worker",
        help="decode queued VINs, make document thumbnails, check NHTSA recalls (--recalls)",
        description="Drain app.vin_decode_queue: claim batches (FOR UPDATE SKIP LOCKED, with a lease), decode "
        "(offline by default), write the cache and fill empty make/model/year of the vehicles in one transaction. "
        "Without --once it then LISTENs on channel vin_decode. Connects as $MOTOVAULT_WORKER_DSN or the local "
        "owner role, then `set role vin_worker`. Progress lines go to stderr. It also makes the thumbnails of "
        "image documents (LISTEN document_thumbnail), renders the reports asked for with POST /report_requests "
        "(a thread; LISTEN report_render) and, with --recalls, asks NHTSA's recalls API for every "
        "make/model/year that is due (one request at a time, --recall-interval seconds apart; LISTEN recall_check).",
    )
    p.add_argument("--once", action="store_true", help="drain what is due, then exit")
    p.add_argument("--batch", type=int, default=1000, metavar="N", help="VINs per batch (default 1000)")
    p.add_argument("--writers", type=int, default=2, metavar="N",
                   help="connections writing decoded batches in parallel while the next batch is decoded (default 2)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--offline", dest="offline", action="store_true", help="embedded vPIC database (default)")
    mode.add_argument("--online", dest="offline", action="store_false", help="the NHTSA vPIC REST API")
    p.set_defaults(offline=True)
    p.add_argument("--lease", type=int, default=60, metavar="SECONDS", help="lease per batch (default 60)")
    p.add_argument("--poll", type=float, default=5.0, metavar="SECONDS",
                   help="also look for due retries this often when idle (default 5)")
    p.add_argument("--dsn", metavar="URL", default=None,
                   help="connection URL of the database (default: $MOTOVAULT_WORKER_DSN or the local stack)")
    p.add_argument("--no-set-role", dest="set_role", action="store_false",
                   help="do not `set role vin_worker` (the login role already is the worker's)")
    p.add_argument("--quiet", "-q", action="store_true", help="no line per batch")
    p.add_argument("--no-imports", dest="imports", action="store_false",
                   help="do not parse uploaded import files (another worker does)")
    p.add_argument("--no-reports", dest="reports", action="store_false",
                   help="do not render the reports asked for through the API (another worker does)")
    p.add_argument("--no-thumbnails", dest="thumbnails", action="store_false",
                   help="do not make the thumbnails of image documents")
    p.add_argument("--recalls", action="store_true",
                   help="check NHTSA's recalls API (api.nhtsa.gov: online) for the vehicles' make/model/year")
    p.add_argument("--recall-interval", type=float, default=2.0, metavar="SECONDS",
                   help="at least this long between two requests to NHTSA (default 2)")
    p.set_defaults(func=run)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _forever(loop: Any, what: str) -> None:
    """A job loop of the worker process in its own thread (imports, reports); a lost connection is
    reopened after a pause."""
    import time

    from ..vin.worker import log

    while True:
        try:
            loop.run_forever()
        except Exception as exc:  # noqa: BLE001 - logged; the VIN loop keeps running
            log(f"{what} loop stopped ({type(exc).__name__}: {exc}); restarting in 5s")
            loop.close()
            time.sleep(5)


def run(args: argparse.Namespace) -> int:
    from ..documents.thumbnails import CHANNEL as THUMBNAIL_CHANNEL
    from ..documents.thumbnails import ThumbnailWorker
    from ..stack.settings import worker_dsn
    from ..vin.recalls import CHANNEL as RECALL_CHANNEL
    from ..vin.recalls import RecallChecker
    from ..vin.worker import Worker, log, offline_decoder, online_decoder

    if args.batch < 1:
        raise MotovaultError(f"--batch: must be 1 or more, got {args.batch}")
    if args.writers < 1:
        raise MotovaultError(f"--writers: must be 1 or more, got {args.writers}")
    if args.lease < 1:
        raise MotovaultError(f"--lease: must be 1 or more, got {args.lease}")
    if args.recall_interval < 0:
        raise MotovaultError(f"--recall-interval: must be 0 or more, got {args.recall_interval}")
    signal.signal(signal.SIGTERM, _terminate)
    decoder = offline_decoder() if args.offline else online_decoder()
    dsn = args.dsn or worker_dsn()
    role = "vin_worker" if args.set_role else None
    worker = Worker(
        dsn,
        decoder,
        batch_size=args.batch,
        lease_seconds=args.lease,
        poll_seconds=args.poll,
        role=role,
        quiet=args.quiet,
        writers=args.writers,
    )
    importer = None
    if args.imports:
        from ..importing.worker import ImportWorker

        importer = ImportWorker(dsn, poll_seconds=args.poll, role=role, quiet=args.quiet)
    reports = None
    if args.reports:
        from ..reports.worker import ReportWorker

        reports = ReportWorker(dsn, poll_seconds=args.poll, role=role, quiet=args.quiet)
    thumbnails = ThumbnailWorker(dsn, role=role, quiet=args.quiet) if args.thumbnails else None
    recalls = RecallChecker(dsn, interval=args.recall_interval, batch_size=5, role=role, quiet=args.quiet) \
        if args.recalls else None
    try:
        with worker, ExitStack() as stack:
            conn = worker.conn
            assert conn is not None  # opened by `with worker`
            if thumbnails is not None:
                stack.enter_context(thumbnails)
                conn.execute(f"listen {THUMBNAIL_CHANNEL}")
            if recalls is not None:
                stack.enter_context(recalls)
                conn.execute(f"listen {RECALL_CHANNEL}")
            if not args.once:
                log(f"{worker.name} listening (batch {worker.batch_size}, lease {worker.lease_seconds}s)")
                if importer is not None:
                    threading.Thread(target=_forever, args=(importer, "import"), name="imports", daemon=True).start()
                if reports is not None:
                    threading.Thread(target=_forever, args=(reports, "report"), name="reports", daemon=True).start()
            while True:
                worker.drain()
                if importer is not None and args.once:
                    with importer:
                        importer.drain()
                if reports is not None and args.once:
                    with reports:
                        reports.drain()
                if thumbnails is not None:
                    thumbnails.drain()
                if recalls is not None and args.once:
                    recalls.drain()
                elif recalls is not None:
                    recalls.run_batch()  # a few checks per round: VINs and thumbnails never wait long
                if args.once:
                    break
                worker.wait(args.poll)
    except KeyboardInterrupt:
        log(f"stopping (pid {os.getpid()}); leased jobs not finished are retried when their lease expires")
    s = worker.stats
    log(f"{s.done} done, {s.undecodable} undecodable, {s.failed} failed attempts, {s.filled} vehicles filled "
        f"in {s.batches} batches")
    if thumbnails is not None:
        log(f"thumbnails: {thumbnails.done} made, {thumbnails.failed} failed")
    if reports is not None and args.once:
        log(f"reports: {reports.done} rendered, {reports.failed} failed")
    if recalls is not None:
        log(f"recalls: {recalls.checked} checked, {recalls.failed} failed, {recalls.added} new on vehicles")
    sys.stdout.flush()
    return 0
