"""Header matching by name, with aliases, never by position."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from .model import FormatError


def norm(name: str) -> str:
    """'Partial Fill-Up?' -> 'partial fill up'; 'Odo (mi)' -> 'odo mi'; 'Preço/L' -> 'preco l'.

    Case, accents, punctuation and spacing do not count (Cyrillic letters are kept).
    """
    text = unicodedata.normalize("NFKD", name.replace("\ufeff", "")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", text).strip()


class Columns:
    """Where each wanted field is in a header: `aliases` maps a field to the header names it may have."""

    def __init__(self, header: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> None:
        self.header = list(header)
        positions: dict[str, int] = {}
        for i, name in enumerate(header):
            positions.setdefault(norm(name), i)
        self.index: dict[str, int] = {}
        for key, names in aliases.items():
            for alias in names:
                found = positions.get(norm(alias))
                if found is not None:
                    self.index[key] = found
                    break

    def __contains__(self, key: str) -> bool:
        return key in self.index

    def get(self, cells: Sequence[str], key: str) -> str:
        """The cell of that field ('' when the column is absent or the row is short)."""
        i = self.index.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    def require(self, *keys: str, what: str) -> None:
        missing = [k for k in keys if k not in self.index]
        if missing:
            shown = ", ".join(self.header)
            raise FormatError(f"{what}: no {' / '.join(missing)} column (the header is: {shown})")


def has_all(header: Sequence[str], *names: str) -> bool:
    """True when every name is in the header (compared with `norm`)."""
    have = {norm(h) for h in header}
    return all(norm(n) in have for n in names)


def has_any(header: Sequence[str], *names: str) -> bool:
    have = {norm(h) for h in header}
    return any(norm(n) in have for n in names)
