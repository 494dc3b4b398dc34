"""`motovault up|down|status|reset`: the local stack (what `make up` and friends call)."""

from __future__ import annotations

import argparse

from ..stack import stack


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("up", help="start PostgreSQL, deploy, load demo data, start PostgREST and the worker").set_defaults(
        func=lambda a: stack.up()
    )
    sub.add_parser("down", help="stop what `up` started; keep the data").set_defaults(func=lambda a: stack.down())
    sub.add_parser("status", help="show what runs where").set_defaults(func=lambda a: stack.status())
    reset = sub.add_parser("reset", help="stop everything and delete the local state (asks first)")
    reset.add_argument("--yes", action="store_true", help="do not ask")
    reset.set_defaults(func=lambda a: stack.reset(a.yes))
