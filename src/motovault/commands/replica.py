"""`motovault replica up | status | url | down | drop`: a streaming read replica for analysts."""

from __future__ import annotations

import argparse
import dataclasses
import json

from ..core.errors import MotovaultError
from ..stack import replica as rep
from ..stack import replication
from ..stack.settings import load_settings
from ..stack.stack import say, shown


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replica",
        help="a streaming read replica of the local cluster, for analysts",
        description="A hot standby cloned from the local cluster with pg_basebackup, streaming through a "
        "replication slot, in .state/replica (MOTOVAULT_REPLICA_DIR) on the primary's port + 10 "
        "(MOTOVAULT_REPLICA_PORT). Analysts log in as motovault_analyst; every write is refused.",
    )
    rsub = p.add_subparsers(dest="replica_command", metavar="SUBCOMMAND")
    rsub.required = True
    rsub.add_parser(
        "up", help="create the replica if missing, start it, wait until it streams"
    ).set_defaults(func=run_up)
    st = rsub.add_parser("status", help="is it streaming, and how far behind (exit 0 only when streaming)")
    st.add_argument("--json", action="store_true", help="one JSON object")
    st.set_defaults(func=run_status)
    rsub.add_parser("url", help="print the analysts' connection URL of the replica").set_defaults(func=run_url)
    rsub.add_parser("down", help="stop the replica; keep its data and slot").set_defaults(func=run_down)
    rsub.add_parser("drop", help="stop the replica, delete its folder, drop its slot on the primary").set_defaults(
        func=run_drop
    )


def _replica() -> rep.Replica:
    return rep.local_replica(load_settings())


def _missing(replica: rep.Replica) -> MotovaultError:
    return MotovaultError(f"no replica in {shown(replica.home)} (motovault replica up creates one)")


def run_up(args: argparse.Namespace) -> int:
    replica = _replica()
    print(f"motovault: read replica of 127.0.0.1:{replica.primary.pg_port} in {shown(replica.home)}")
    changed = rep.up(replica, say)
    st = rep.status(replica)
    if st.lag_bytes is not None:
        say("lag", f"{rep.human_bytes(st.lag_bytes)} behind the primary")
    if not changed:
        print("nothing changed: the replica was already up")
    print()
    print(f"analysts   psql \"{replica.analyst_url()}\"")
    print("           read-only: the analytics views; `motovault replica status` shows the lag")
    return 0


def _lag_text(st: rep.ReplicaStatus) -> str:
    parts = []
    if st.lag_bytes is not None:
        parts.append(f"{rep.human_bytes(st.lag_bytes)} behind the primary")
    if st.lag_seconds is not None:
        parts.append(f"{st.lag_seconds:.1f} s")
    text = ", ".join(parts) or "unknown (the primary is not running)"
    text += f" (replayed {st.replayed_lsn}, received {st.received_lsn or 'nothing yet'})"
    if st.replay_paused:
        text += ", replay paused (select pg_wal_replay_resume() on the replica)"
    return text


def run_status(args: argparse.Namespace) -> int:
    replica = _replica()
    if not replica.exists():
        raise _missing(replica)
    st = rep.status(replica)
    if args.json:
        print(json.dumps(dataclasses.asdict(st)))
        return 0 if st.streaming else 1
    print(f"motovault: read replica in {shown(replica.home)} (data {st.data_dir})")
    if st.running:
        standby = "hot standby" if st.in_recovery else "NOT a standby"
        say("replica", f"running on 127.0.0.1:{st.port} (pid {st.pid}), {standby}")
        say(
            "streaming",
            f"yes, from {st.upstream}" if st.streaming
            else f"no (WAL receiver: {st.receiver_status or 'none'}; see {replica.log_file})",
        )
        say("lag", _lag_text(st))
    else:
        say("replica", "stopped (data kept; motovault replica up starts it)")
        say("streaming", "no")
    if not st.primary_running:
        say("slot", f"{st.slot}: unknown (the primary on 127.0.0.1:{replica.primary.pg_port} is not running)")
    elif not st.slot_exists:
        say(
            "slot",
            f"{st.slot} is missing on the primary: the replica cannot catch up (motovault replica drop, then up)",
        )
    else:
        kept = rep.human_bytes(st.slot_retained_bytes or 0)
        if st.slot_active:
            say("slot", f"{st.slot}, active; holds {kept} of WAL on the primary")
        else:
            say(
                "slot",
                f"{st.slot}, inactive; holds {kept} of WAL on the primary, "
                "growing until the replica runs again or is dropped",
            )
    if st.analyst_url:
        say("analysts", f"psql \"{st.analyst_url}\"")
    return 0 if st.streaming else 1


def run_url(args: argparse.Namespace) -> int:
    replica = _replica()
    if not replica.exists():
        raise _missing(replica)
    print(replica.analyst_url())
    return 0


def run_down(args: argparse.Namespace) -> int:
    replica = _replica()
    if not replica.exists():
        print(f"motovault: nothing to stop (no replica in {shown(replica.home)})")
        return 0
    print("motovault: stopping the read replica (data and slot kept)")
    say("replica", "stopped" if rep.stop(replica) else "was not running")
    return 0


def run_drop(args: argparse.Namespace) -> int:
    replica = _replica()
    if not replica.exists() and not replica.home.exists() and not replica.home.is_symlink():
        # a slot may outlive a folder deleted by hand: drop it when the primary runs
        try:
            with replication.primary_connect(replica.primary) as conn:
                dropped = replication.drop_slot(conn, replica.slot)
        except MotovaultError:
            dropped = False
        if not dropped:
            print(f"motovault: nothing to drop (no replica in {shown(replica.home)})")
            return 0
        print(f"motovault: dropped the replication slot {replica.slot} (its replica folder was gone)")
        return 0
    print(f"motovault: dropping the read replica in {shown(replica.home)}")
    return 0 if rep.drop(replica, say) else 1
