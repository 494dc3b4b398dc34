"""Bytes to CSV records: encodings and BOMs, CRLF / CR-only line endings, the delimiter, sections."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import FormatError

#: (line of the record's first physical line, cells stripped of surrounding blanks)
Record = tuple[int, list[str]]

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode(data: bytes) -> str:
    """Text of the file: a BOM decides, else UTF-8, else Windows-1252 (what spreadsheet exports use)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def normalize_newlines(text: str) -> str:
    """CRLF and CR-only (old Mac exports) line endings become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sniff_delimiter(lines: Iterable[str]) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the most, most regular cells."""
    sample = [line for line in lines if line.strip()][:20]
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t"):
        counts = [len(cells) for cells in csv.reader(sample, delimiter=delimiter)]
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        # the most common cell count, weighted by how many lines have it
        common = max(set(wide), key=wide.count)
        score = common * wide.count(common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass(frozen=True)
class Table:
    """A header and its records (a whole file, or one section of a sectioned file)."""

    title: str
    header_line: int
    header: list[str]
    records: list[Record]


def read_records(text: str, delimiter: str) -> list[Record]:
    """Every record with its first line number; blank records are dropped."""
    text = normalize_newlines(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out: list[Record] = []
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            stripped = [c.strip() for c in cells]
            if any(stripped):
                out.append((start, stripped))
    except csv.Error as exc:
        raise FormatError(f"line {previous_end + 1}: not readable as CSV ({exc})") from exc
    return out


def single_table(records: list[Record]) -> Table:
    if not records:
        raise FormatError("the file holds no records")
    (line, header), *rest = records
    return Table("", line, header, rest)


_SECTION = re.compile(r"^#{2}\s*(.*?)\s*$")


def section_title(cells: list[str]) -> str | None:
    """`## Log` (quoted or not) as a lone cell: the section's title."""
    filled = [c for c in cells if c]
    if len(filled) == 1 and cells[0] and (m := _SECTION.match(cells[0])):
        return m.group(1)
    return None


def sections(records: list[Record], title_of: Callable[[list[str]], str | None]) -> list[Table]:
    """Split a sectioned file: a title record, its header record, then its rows, until the next title.

    Records before the first title are refused (they belong to no section).
    """
    tables: list[Table] = []
    title: str | None = None
    header: tuple[int, list[str]] | None = None
    rows: list[Record] = []

    def close() -> None:
        if title is not None and header is not None:
            tables.append(Table(title, header[0], header[1], list(rows)))

    for line, cells in records:
        found = title_of(cells)
        if found is not None:
            close()
            title, header, rows = found, None, []
        elif title is None:
            raise FormatError(f"line {line}: a record before the first section title")
        elif header is None:
            header = (line, cells)
        else:
            rows.append((line, cells))
    close()
    return tables
