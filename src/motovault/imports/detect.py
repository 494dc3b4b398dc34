"""The entry point: `parse_file` (which format, then that format's parser) and `detect_format`."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from . import acar, drivvo, fuelio, fuelly, generic, lubelogger, spritmonitor
from .columns import has_any
from .draft import MONEY
from .model import FormatError, ParsedFile
from .options import Options
from .text import decode, normalize_newlines, read_records, section_title, sniff_delimiter
from .values import DateOrder

__all__ = ["FORMATS", "FormatError", "detect_format", "parse_file"]

Parser = Callable[[str, Options], ParsedFile]

#: format name -> parser of the file's text
FORMATS: dict[str, Parser] = {
    "acar": acar.parse,
    "drivvo": drivvo.parse,
    "fuelio": fuelio.parse,
    "fuelly": fuelly.parse,
    "generic": generic.parse,
    "lubelogger": lubelogger.parse,
    "spritmonitor": spritmonitor.parse,
}


def _text_of(data: bytes, filename: str) -> tuple[str, str]:
    """(text, name) of the file, or of the one CSV inside a zip (Fuelio backups come zipped)."""
    if not data.startswith(b"PK\x03\x04"):
        return decode(data), filename
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if n.lower().endswith(".csv") and not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{filename}: a damaged zip file ({exc})") from exc
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise FormatError(f"{filename}: a zip must hold exactly one CSV file (it holds: {found})")
    return decode(archive.read(names[0])), names[0]


def _detect_text(text: str, filename: str) -> str:
    lines = [line for line in normalize_newlines(text).split("\n") if line.strip()][:40]
    if not lines:
        raise FormatError(f"{filename}: the file is empty")
    delimiter = sniff_delimiter([line for line in lines if not line.lstrip('"').startswith("#")])
    records = read_records("\n".join(lines), delimiter)
    header = records[0][1]
    if section_title(header) is not None:
        fuelio_like = any(has_any(cells, "DistUnit", "TankNumber", "CostTypeID") for _line, cells in records)
        return "fuelio" if fuelio_like else "drivvo"
    if acar.looks_like(header):
        return "acar"
    if fuelly.looks_like(header):
        return "fuelly"
    if delimiter == ";" and spritmonitor.looks_like(header):
        return "spritmonitor"
    if lubelogger.looks_like(header):
        return "lubelogger"
    shown = ", ".join(h for h in header if h)[:200]
    raise FormatError(
        f"{filename}: not a format motovault knows (first line: {shown}); pass --format "
        f"({', '.join(sorted(set(FORMATS) - {'generic'}))}) or a column mapping"
    )


def detect_format(data: bytes, filename: str) -> str:
    """The format name of the file (a key of FORMATS); FormatError when no format fits."""
    text, inner = _text_of(data, filename)
    return _detect_text(text, inner)


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _with_currency(parsed: ParsedFile, currency: str | None, filename: str) -> ParsedFile:
    """Rows with money and no currency take the one given; without one given, the file is refused."""
    needs = [
        r for r in parsed.rows if r.fields.get("currency") is None and any(r.fields.get(k) is not None for k in MONEY)
    ]
    if not needs:
        return parsed
    if currency is None:
        raise FormatError(
            f"{filename}: the file has costs but does not say their currency; pass --currency (e.g. --currency USD)"
        )
    for row in needs:
        row.fields["currency"] = currency  # the rows' dicts are ours until the file is returned
    return parsed


def parse_file(
    data: bytes,
    *,
    filename: str,
    format: str = "auto",
    date_order: DateOrder = "auto",
    currency: str | None = None,
    mapping: dict[str, str] | None = None,
) -> ParsedFile:
    """Parse an export of another app into motovault rows (see the package docstring).

    format: 'auto' (detected; a mapping means 'generic'), or a key of FORMATS, optionally with a
    variant after ':' ('lubelogger:repair'). Raises FormatError (one line) when the whole file is refused.
    """
    if currency is not None:
        currency = currency.strip().upper()
        if not _CURRENCY.match(currency):
            raise FormatError(f"--currency {currency}: not an ISO 4217 code (three letters, e.g. EUR)")
    if date_order not in ("auto", "mdy", "dmy", "ymd"):
        raise FormatError(f"--date-order {date_order}: one of auto, mdy, dmy, ymd")
    text, inner = _text_of(data, filename)
    name, _, variant = format.partition(":")
    if name == "auto":
        name = "generic" if mapping else _detect_text(text, inner)
    if name not in FORMATS:
        raise FormatError(f"--format {format}: unknown format (one of auto, {', '.join(sorted(FORMATS))})")
    if mapping and name != "generic":
        raise FormatError(f"a column mapping is for the generic format, not {name}")
    parsed = FORMATS[name](text, Options(inner, date_order, mapping, variant or None))
    return _with_currency(parsed, currency, filename)
