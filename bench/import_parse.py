"""Parsing other apps' exports: motovault.imports.parse_file against a bare csv.reader, same run.

    .venv/bin/python bench/import_parse.py [--rows N] [--rounds R] [--output FILE]

For each format with a flat layout (LubeLogger fuel records, the Fuelly web export, Spritmonitor
with decimal commas), N generated fill-ups are parsed R times; the best round is reported as rows/s,
with the rate of `csv.reader` alone over the same text (decode + split, nothing typed) and their
ratio. The figure to keep in mind: ten years of a 500-vehicle fleet is about 250,000 fill-ups.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from motovault.imports.detect import parse_file  # noqa: E402


def lubelogger(n: int) -> bytes:
    lines = ["Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags,ExtraFields"]
    for i in range(n):
        month, day = i % 12 + 1, i % 28 + 1
        lines.append(f"{month}/{day}/{2000 + i % 24},{10000 + 300 * i},{10 + i % 7}.{i % 1000:03d},"
                     f"{35 + i % 20}.{i % 100:02d},0,True,False,note {i},,")  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode()


def fuelly(n: int) -> bytes:
    lines = ["car_name, model, mpg,  odometer, miles, gallons, price, city_percentage, fuelup_date, date_added, "
             "tags, notes, missed_fuelup, partial_fuelup, latitude, longitude"]  # fmt: skip
    for i in range(n):
        car = f"car{i % 50}"
        lines.append(f'"{car}","Model {i % 50}",17.5,{50000 + 300 * (i // 50)}.0,300,17.1,3.{i % 100:02d},50,'
                     f'{2000 + i % 24}-{i % 12 + 1:02d}-{i % 28 + 1:02d},2014-07-07 23:06:53,"","",0,0,,')  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def spritmonitor(n: int) -> bytes:
    lines = ["Datum;Kilometerstand;Strecke;Menge;Gesamtpreis;Währung;Tankart;Kraftstoff;Bemerkung"]
    for i in range(n):
        lines.append(f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.{2000 + i % 24};{10000 + 600 * i:,}".replace(",", ".")
                     + f";600;{40 + i % 9},{i % 100:02d};{70 + i % 9},{i % 100:02d};EUR;1;Super E10;")  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def best(rounds: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "import_parse.json")
    args = ap.parse_args(argv)
    results = {}
    for name, make, delimiter, encoding in (
        ("lubelogger", lubelogger, ",", "utf-8"),
        ("fuelly", fuelly, ",", "utf-8"),
        ("spritmonitor", spritmonitor, ";", "cp1252"),
    ):
        data = make(args.rows)
        parsed = parse_file(data, filename=f"{name}.csv", currency="USD")
        assert len(parsed.rows) == args.rows and not parsed.problems, (name, parsed.problems[:3])
        ours = best(args.rounds, lambda d=data, n=name: parse_file(d, filename=f"{n}.csv", currency="USD"))
        bare = best(
            args.rounds, lambda d=data, e=encoding, s=delimiter: list(csv.reader(io.StringIO(d.decode(e)), delimiter=s))
        )
        results[name] = {
            "rows": args.rows,
            "parse_file_rows_per_s": round(args.rows / ours),
            "csv_reader_rows_per_s": round(args.rows / bare),
            "ratio": round(bare / ours, 3),
        }
        print(f"{name:13} {args.rows / ours:>10,.0f} rows/s parsed   {args.rows / bare:>12,.0f} rows/s csv.reader   "
              f"ratio {bare / ours:.3f}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    summary = {"rounds": args.rounds, "load_average": round(load, 1), "cores": os.cpu_count(), "results": results}
    args.output.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
