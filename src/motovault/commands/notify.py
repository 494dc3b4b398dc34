"""`motovault notify`: run the notification delivery worker (see motovault.notify.worker)."""

from __future__ import annotations

import argparse
import os
import signal

from ..core.errors import MotovaultError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "notify",
        help="deliver notifications: webhooks, email, push",
        description="Drain the outbox: write due reminder events (every --evaluate seconds), fan events out into "
        "deliveries, claim batches (FOR UPDATE SKIP LOCKED, with a lease), send them (webhooks signed the Standard "
        "Webhooks way, email over SMTP, push through Apprise) and record the outcome (retry with backoff, "
        "dead letter). "
        "Without --once it then LISTENs on channel notify_outbox. Connects as $MOTOVAULT_WORKER_DSN or the local "
        "owner role, then `set role notify_worker`. SMTP: $MOTOVAULT_SMTP_HOST, _PORT, _FROM, _USER, _PASSWORD, "
        "_STARTTLS. docs/notifications.md.",
    )
    p.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    p.add_argument("--batch", type=int, default=200, metavar="N", help="deliveries per batch (default 200)")
    p.add_argument("--concurrency", type=int, default=16, metavar="N", help="sends in parallel (default 16)")
    p.add_argument("--lease", type=int, default=60, metavar="SECONDS", help="lease per batch (default 60)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)")
    p.add_argument("--poll", type=float, default=5.0, metavar="SECONDS",
                   help="also look for due retries this often when idle (default 5)")
    p.add_argument("--evaluate", type=float, default=60.0, metavar="SECONDS",
                   help="evaluate due reminders this often (default 60)")
    p.add_argument("--dsn", metavar="URL", default=None,
                   help="connection URL of the database (default: $MOTOVAULT_WORKER_DSN or the local stack)")
    p.add_argument("--no-set-role", dest="set_role", action="store_false",
                   help="do not `set role notify_worker` (the login role already is the worker's)")
    p.add_argument("--quiet", "-q", action="store_true", help="no line per batch")
    p.set_defaults(func=run)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..notify.worker import NotifyWorker, log
    from ..stack.settings import worker_dsn

    for name in ("batch", "concurrency", "lease"):
        if getattr(args, name) < 1:
            raise MotovaultError(f"--{name}: must be 1 or more, got {getattr(args, name)}")
    signal.signal(signal.SIGTERM, _terminate)
    worker = NotifyWorker(
        args.dsn or worker_dsn(),
        batch_size=args.batch,
        lease_seconds=args.lease,
        poll_seconds=args.poll,
        evaluate_seconds=args.evaluate,
        concurrency=args.concurrency,
        timeout_seconds=args.timeout,
        role="notify_worker" if args.set_role else None,
        quiet=args.quiet,
    )
    try:
        with worker:
            if args.once:
                worker.evaluate_reminders(force=True)
                worker.drain()
            else:
                worker.run_forever()
    except KeyboardInterrupt:
        log(f"stopping (pid {os.getpid()}); leased deliveries not finished are sent again when their lease expires")
    s = worker.stats
    log(f"{s.delivered} delivered, {s.retrying} to retry, {s.dead} dead in {s.batches} batches")
    return 0
