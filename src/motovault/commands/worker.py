"""`motovault worker`: drain the VIN decode queue (see motovault.vin.worker) and parse uploaded import
files (motovault.importing.worker, in a thread of its own with its own connection)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

from ..core.errors import MotovaultError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "worker",
        help="decode queued VINs into the cache and the vehicles",
        description="Drain app.vin_decode_queue: claim batches (FOR UPDATE SKIP LOCKED, with a lease), decode "
        "(offline by default), write the cache and fill empty make/model/year of the vehicles in one transaction. "
        "Without --once it then LISTENs on channel vin_decode. Connects as $MOTOVAULT_WORKER_DSN or the local "
        "owner role, then `set role vin_worker`. Progress lines go to stderr.",
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
    p.set_defaults(func=run)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _imports_forever(importer: Any) -> None:
    """The import loop of the worker process; a lost connection is reopened after a pause."""
    import time

    from ..importing.worker import log

    while True:
        try:
            importer.run_forever()
        except Exception as exc:  # noqa: BLE001 - logged; the VIN loop keeps running
            log(f"import loop stopped ({type(exc).__name__}: {exc}); restarting in 5s")
            importer.close()
            time.sleep(5)


def run(args: argparse.Namespace) -> int:
    from ..stack.settings import worker_dsn
    from ..vin.worker import Worker, log, offline_decoder, online_decoder

    if args.batch < 1:
        raise MotovaultError(f"--batch: must be 1 or more, got {args.batch}")
    if args.writers < 1:
        raise MotovaultError(f"--writers: must be 1 or more, got {args.writers}")
    if args.lease < 1:
        raise MotovaultError(f"--lease: must be 1 or more, got {args.lease}")
    signal.signal(signal.SIGTERM, _terminate)
    decoder = offline_decoder() if args.offline else online_decoder()
    worker = Worker(
        args.dsn or worker_dsn(),
        decoder,
        batch_size=args.batch,
        lease_seconds=args.lease,
        poll_seconds=args.poll,
        role="vin_worker" if args.set_role else None,
        quiet=args.quiet,
        writers=args.writers,
    )
    importer = None
    if args.imports:
        from ..importing.worker import ImportWorker

        importer = ImportWorker(args.dsn or worker_dsn(), poll_seconds=args.poll,
                                role="vin_worker" if args.set_role else None, quiet=args.quiet)
    try:
        with worker:
            if args.once:
                worker.drain()
                if importer is not None:
                    with importer:
                        importer.drain()
            else:
                if importer is not None:
                    threading.Thread(target=_imports_forever, args=(importer,), name="imports", daemon=True).start()
                worker.run_forever()
    except KeyboardInterrupt:
        log(f"stopping (pid {os.getpid()}); leased jobs not finished are retried when their lease expires")
    s = worker.stats
    log(f"{s.done} done, {s.undecodable} undecodable, {s.failed} failed attempts, {s.filled} vehicles filled "
        f"in {s.batches} batches")
    sys.stdout.flush()
    return 0
