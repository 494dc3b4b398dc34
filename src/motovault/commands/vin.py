"""`motovault vin decode`: validate and decode VINs, offline (default) or through vPIC."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO

from ..core.errors import MotovaultError
from ..vin.decode import CLEAN_CODES, ERROR_CODES, DecodeResult, decode_many

OFFLINE_CHUNK = 1000
ONLINE_CHUNK = 200  # four vPIC batch requests of 50
PROGRESS_INTERVAL = 2.0  # seconds between progress lines when stderr is not a terminal
MAX_LISTED_FAILURES = 20

_COLUMNS = (("VIN", 17), ("VALID", 5), ("YEAR", 4), ("MAKE", 14), ("MODEL", 18), ("TRIM", 14), ("BODY", 24))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("vin", help="validate and decode VINs")
    vsub = p.add_subparsers(dest="vin_command", metavar="SUBCOMMAND")
    vsub.required = True
    d = vsub.add_parser(
        "decode",
        help="decode VINs (offline by default)",
        description="Validate and decode VINs: offline with the embedded vPIC database (default), "
        "or online through the NHTSA vPIC API with --online. Exit status 1 when a VIN is invalid.",
    )
    d.add_argument("vins", nargs="*", metavar="VIN", help="VINs to decode")
    d.add_argument(
        "--file", "-f", metavar="PATH", help="read VINs from a file, one per line ('-' for stdin; # comments)"
    )
    mode = d.add_mutually_exclusive_group()
    mode.add_argument("--online", dest="offline", action="store_false", help="ask the vPIC REST API")
    mode.add_argument("--offline", dest="offline", action="store_true", help="use the embedded database (default)")
    d.set_defaults(offline=True)
    d.add_argument("--json", action="store_true", help="one JSON object per VIN per line")
    d.add_argument("--raw", action="store_true", help="with --json: include every decoded attribute")
    d.add_argument(
        "--base-url",
        default=os.environ.get("MOTOVAULT_VPIC_URL"),
        help="vPIC API base URL (default $MOTOVAULT_VPIC_URL or https://vpic.nhtsa.dot.gov/api/vehicles/)",
    )
    d.add_argument("--timeout", type=float, default=15.0, help="seconds per vPIC request (default 15)")
    d.set_defaults(func=run_decode)

    from .vin_cache import add_purge_parser

    add_purge_parser(vsub)


# -- output
def _cell(value: object, width: int) -> str:
    text = "" if value is None else str(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.ljust(width)


def _notes(r: DecodeResult) -> str:
    notes = list(r.errors) + list(r.warnings)
    if r.error_codes and not CLEAN_CODES.issuperset(r.error_codes):
        # code 1 (check digit) repeats what the validation already said
        said = {1} if r.warnings or r.errors else set()
        notes += [
            f"vPIC {c}: {ERROR_CODES.get(c, 'see error_texts')}"
            for c in r.error_codes
            if c not in CLEAN_CODES and c not in said
        ]
    return "; ".join(notes)


def _header() -> str:
    return "  ".join(_cell(name, width) for name, width in _COLUMNS) + "  NOTES"


def _row(r: DecodeResult) -> str:
    values = (r.vin, "yes" if r.valid else "NO", r.model_year, r.make, r.model, r.trim, r.body_class)
    cells = [_cell(v, w) for v, (_, w) in zip(values, _COLUMNS, strict=False)]
    return ("  ".join(cells) + "  " + _notes(r)).rstrip()


def _json_line(r: DecodeResult, raw: bool) -> str:
    return json.dumps(r.to_dict(raw=raw), ensure_ascii=False)


# -- progress
class Progress:
    """A bar on a terminal, otherwise a line every PROGRESS_INTERVAL seconds."""

    def __init__(self, stream: IO[str], total: int | None) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.last = self.started

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty:
            self._bar(now)
        elif now - self.last >= PROGRESS_INTERVAL:
            self.stream.write(f"progress: {self._count()} VINs{self._rate(now)}\n")
            self.stream.flush()
            self.last = now

    def _count(self) -> str:
        if self.total:
            return f"{self.done}/{self.total} ({100 * self.done // self.total}%)"
        return str(self.done)

    def _rate(self, now: float) -> str:
        elapsed = now - self.started
        return f", {self.done / elapsed:,.0f}/s" if elapsed > 0 else ""

    def _bar(self, now: float) -> None:
        width = 30
        if self.total:
            filled = min(width, width * self.done // self.total)
            bar = "#" * filled + "-" * (width - filled)
        else:
            bar = ("#" * (self.done // OFFLINE_CHUNK % (width + 1))).ljust(width, "-")
        self.stream.write(f"\r[{bar}] {self._count()} VINs{self._rate(now)}")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# -- input
def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, 1):
        text = line.split("#", 1)[0].strip()
        if text:
            yield number, text


def _count_vins(path: str) -> int | None:
    if path == "-":
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return sum(1 for _ in _lines(fh))
    except OSError:
        return None


def _chunks(items: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_decode(args: argparse.Namespace) -> int:
    if not args.vins and not args.file:
        raise MotovaultError("give VINs as arguments or --file PATH")
    if args.raw and not args.json:
        raise MotovaultError("--raw goes with --json")
    client = None
    if not args.offline:
        from ..vin.vpic import DEFAULT_BASE_URL, VpicClient

        client = VpicClient(args.base_url or DEFAULT_BASE_URL, timeout=args.timeout)
    try:
        if args.file:
            return _decode_file(args, client)
        results = decode_many(args.vins, args.offline, client=client)
        _print(results, args, header=True)
        return 1 if any(not r.valid for r in results) else 0
    except BrokenPipeError:  # `motovault vin decode … | head`: the reader left, stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if client is not None:
            client.close()


def _print(results: list[DecodeResult], args: argparse.Namespace, header: bool) -> None:
    out = sys.stdout
    if args.json:
        out.write("".join(_json_line(r, args.raw) + "\n" for r in results))
    else:
        if header:
            out.write(_header() + "\n")
        out.write("".join(_row(r) + "\n" for r in results))
    out.flush()


def _decode_file(args: argparse.Namespace, client: object) -> int:
    path = args.file
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MotovaultError(f"cannot read {path}: {exc.strerror or exc}") from None
    total = _count_vins(path)
    progress = Progress(sys.stderr, total)
    failures: list[tuple[int, DecodeResult]] = []
    count = 0
    try:
        first = True
        for chunk in _chunks(_lines(stream), OFFLINE_CHUNK if args.offline else ONLINE_CHUNK):
            results = decode_many([vin for _, vin in chunk], args.offline, client=client)
            _print(results, args, header=first)
            first = False
            for (number, _), r in zip(chunk, results, strict=False):
                if not r.valid:
                    failures.append((number, r))
            count += len(results)
            progress.advance(len(results))
    finally:
        progress.finish()
        if stream is not sys.stdin:
            stream.close()
    err = sys.stderr
    source = "offline" if args.offline else "vPIC"
    err.write(f"decoded {count} VIN(s) ({source}): {count - len(failures)} valid, {len(failures)} invalid\n")
    for number, r in failures[:MAX_LISTED_FAILURES]:
        err.write(f"  line {number}: {r.vin}: {'; '.join(r.errors)}\n")
    if len(failures) > MAX_LISTED_FAILURES:
        err.write(f"  … and {len(failures) - MAX_LISTED_FAILURES} more\n")
    return 1 if failures else 0
