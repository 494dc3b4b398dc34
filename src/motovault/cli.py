"""The `motovault` command.

Each subcommand is one module in motovault/commands/ exposing
``register(subparsers)``; it adds its parser and sets ``func`` to a function
taking the parsed arguments and returning an exit status. Adding a command
is adding a module.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import commands
from .core.errors import MotovaultError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motovault", description="motovault: vehicle records on PostgreSQL")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MotovaultError as exc:
        print(f"motovault {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"motovault {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
