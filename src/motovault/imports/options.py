"""What the caller tells a parser besides the bytes."""

from __future__ import annotations

from dataclasses import dataclass

from .values import DateOrder


@dataclass(frozen=True)
class Options:
    filename: str
    date_order: DateOrder = "auto"
    mapping: dict[str, str] | None = None
    #: the part after ':' in a format name, e.g. 'repair' in 'lubelogger:repair'
    variant: str | None = None
