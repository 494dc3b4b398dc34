"""Reading the values of foreign files: numbers, dates and times, flags, units, currencies.

Nothing here guesses silently: a value that cannot be read raises `Unreadable` (the caller turns it
into a `Problem` for its line), and a whole-file question (which date order) is settled from every
date of the file at once, or refused with a `FormatError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from .model import FormatError

DateOrder = Literal["auto", "mdy", "dmy", "ymd"]


class Unreadable(ValueError):
    """A value that does not read as what its column holds; args[0] is the rule name."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


# --- numbers ---------------------------------------------------------------------------------------

#: written before or after an amount: symbols (any Unicode currency sign), and common local spellings
_CURRENCY_WORDS = ("r$", "zł", "zl", "kr", "kč", "ft", "lei", "руб.", "руб", "р.", "₽", "lv", "chf", "fr.")
_ISO = re.compile(r"^[A-Za-z]{3}$")
_BLANKS = str.maketrans("", "", " \u00a0\u202f\u2009'’")
_GROUPED = {",": re.compile(r"^\d{1,3}(,\d{3})+$"), ".": re.compile(r"^\d{1,3}(\.\d{3})+$")}
_PLAIN = re.compile(r"^\d+$")
_FAST = {".": re.compile(r"\d+(?:\.\d+)?"), ",": re.compile(r"\d+(?:,\d+)?")}


def strip_currency(text: str) -> str:
    """'$3.969' -> '3.969', '12,50 €' -> '12,50', 'EUR 5' -> '5'; anything else is left for the number check."""
    s = text.strip()
    if not s or (s[-1].isdigit() and (s[0].isdigit() or s[0] in "+-.,")):
        return s  # the common case: nothing around the number
    changed = True
    while changed and s:
        changed = False
        if unicodedata.category(s[0]) == "Sc":
            s, changed = s[1:].strip(), True
        elif unicodedata.category(s[-1]) == "Sc":
            s, changed = s[:-1].strip(), True
        for word in _CURRENCY_WORDS:
            if s.lower().startswith(word) and len(s) > len(word) and not s[len(word)].isalpha():
                s, changed = s[len(word) :].strip(), True
            if s.lower().endswith(word) and len(s) > len(word) and not s[-len(word) - 1].isalpha():
                s, changed = s[: -len(word)].strip(), True
        head, _, tail = s.partition(" ")
        if tail and _ISO.match(head):
            s, changed = tail.strip(), True
        head, _, tail = s.rpartition(" ")
        if head and _ISO.match(tail):
            s, changed = head.strip(), True
    return s


#: signs and words that name one currency only ('$', 'kr', '¥' name several and are never taken for one)
_SIGNS = {
    "€": "EUR", "£": "GBP", "₽": "RUB", "руб": "RUB", "руб.": "RUB", "р.": "RUB", "zł": "PLN", "zl": "PLN",
    "r$": "BRL", "₹": "INR", "₺": "TRY", "₴": "UAH", "kč": "CZK", "ft": "HUF", "₩": "KRW", "₪": "ILS",
}  # fmt: skip


def sign_currency(text: str) -> str | None:
    """The currency an amount's sign or code names: '12,50 €' -> 'EUR', 'R$ 5' -> 'BRL', '5 USD' -> 'USD';
    '$3.969', '5 kr' and '5' -> None."""
    number = strip_currency(text)
    if not number or number == text.strip():
        return None
    at = text.find(number)
    residue = (text[:at] + text[at + len(number) :]).strip()
    if _ISO.match(residue):
        return residue.upper()
    return _SIGNS.get(residue.casefold())


def decimal_evidence(text: str) -> str | None:
    """',' or '.' when the value proves that mark is a decimal mark ('1,5', '20.10'), else None."""
    s = strip_currency(text).lstrip("+-").translate(_BLANKS)
    for mark in (",", "."):
        other = "." if mark == "," else ","
        if s.count(mark) == 1 and other not in s:
            whole, frac = s.split(mark)
            if whole.isdigit() and frac.isdigit() and len(frac) != 3:
                return mark
    if "," in s and "." in s:
        return "," if s.rfind(",") > s.rfind(".") else "."
    return None


def guess_decimal_mark(values: Iterable[str], delimiter: str) -> str:
    """The file's decimal mark: what its values prove, by majority; else ',' for ';' files, '.' otherwise."""
    votes = {",": 0, ".": 0}
    for v in values:
        mark = decimal_evidence(v)
        if mark:
            votes[mark] += 1
    if votes[","] != votes["."]:
        return "," if votes[","] > votes["."] else "."
    return "," if delimiter == ";" else "."


def parse_number(text: str, decimal_mark: str = ".") -> Decimal | None:
    """A number as people write it: '1,234.5', '1.234,5', '1 234,5', '$3.969', '12,50 €', '-3'.

    A lone mark followed by exactly three digits ('1,234') is read with the file's decimal mark.
    Empty text is None. Raises Unreadable('number_invalid') for anything else.
    """
    plain = text.strip()
    if _FAST[decimal_mark].fullmatch(plain):
        return Decimal(plain.replace(",", "."))  # the common case, read as the slow path would
    s = strip_currency(plain)
    if not s:
        return None
    sign = ""
    if s[0] in "+-":
        sign, s = ("-" if s[0] == "-" else ""), s[1:].strip()
    s = s.translate(_BLANKS) if re.fullmatch(r"[\d\s\u00a0\u202f\u2009'’.,]+", s) else s
    if not s or not re.fullmatch(r"[\d.,]+", s) or not s[0].isdigit() and s[0] not in ".,":
        raise Unreadable("number_invalid")
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        group = "." if decimal == "," else ","
        whole, frac = s.rsplit(decimal, 1)
        if s.count(decimal) != 1 or not (_GROUPED[group].match(whole) or _PLAIN.match(whole)):
            raise Unreadable("number_invalid")
        s = whole.replace(group, "") + "." + frac
    elif commas > 1 or dots > 1:
        mark = "," if commas else "."
        if not _GROUPED[mark].match(s):
            raise Unreadable("number_invalid")
        s = s.replace(mark, "")
    elif commas or dots:
        mark = "," if commas else "."
        whole, frac = s.split(mark)
        if not frac.isdigit() or (whole and not whole.isdigit()):
            raise Unreadable("number_invalid")
        if len(frac) == 3 and whole and mark != decimal_mark and len(whole) <= 3 and whole[0] != "0":
            s = whole + frac  # thousands separator
        else:
            s = (whole or "0") + "." + frac
    try:
        return Decimal(sign + s)
    except InvalidOperation as exc:  # pragma: no cover - the regexes above admit only digits and one point
        raise Unreadable("number_invalid") from exc


def whole_number(value: Decimal) -> int:
    """An odometer reading as motovault stores it: a whole unit (half up)."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# --- dates -----------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(.*))?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,]+(.*))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$")


def parse_time(text: str) -> time | None:
    """'08:11', '16:01:30', '6:01:02 PM' -> time; '' -> None."""
    s = text.strip()
    if not s:
        return None
    m = _TIME.match(s)
    if not m:
        raise Unreadable("time_invalid")
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        if not 1 <= hour <= 12:
            raise Unreadable("time_invalid")
        hour = hour % 12 + (12 if m.group(4).lower() == "pm" else 0)
    try:
        return time(hour, minute, second)
    except ValueError as exc:
        raise Unreadable("time_invalid") from exc


def _year(text: str) -> int:
    y = int(text)
    return y if len(text) == 4 else (2000 + y if y < 70 else 1900 + y)


@dataclass(frozen=True)
class DateReader:
    """Reads the dates of one file with the order settled for the whole file."""

    order: Literal["mdy", "dmy", "ymd"]

    def read(self, text: str) -> tuple[date | None, time | None]:
        """(date, time or None); ('', '') -> (None, None). Raises Unreadable('date_invalid')."""
        s = text.strip()
        if not s:
            return None, None
        try:
            if m := _ISO_DATE.match(s):
                d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                rest = m.group(4)
            elif m := _NUMERIC_DATE.match(s):
                a, b, y = int(m.group(1)), int(m.group(3)), _year(m.group(4))
                order = "dmy" if m.group(2) == "." and self.order == "ymd" else self.order
                if order == "ymd":
                    raise Unreadable("date_invalid")
                d = date(y, a, b) if order == "mdy" else date(y, b, a)
                rest = m.group(5)
            else:
                raise Unreadable("date_invalid")
        except ValueError as exc:
            raise Unreadable("date_invalid") from exc
        if rest:
            try:
                return d, parse_time(rest)
            except Unreadable as exc:
                raise Unreadable("date_invalid") from exc
        return d, None


def settle_date_order(
    values: Iterable[str], requested: DateOrder, hint: Literal["mdy", "dmy", "ymd"] | None = None
) -> DateReader:
    """The date order of a file: the one requested; else what its values settle (a part above 12);
    else the format's own (hint); else, when some value reads two ways, refuse naming those values.

    ISO dates (2024-03-10) read one way only. Dotted dates (10.03.2024) are day-first, as everywhere
    they are written. A value with equal parts (01/01/2020) reads the same either way.
    """
    if requested != "auto":
        return DateReader(requested)
    day_first: list[str] = []
    month_first: list[str] = []
    ambiguous: dict[str, None] = {}  # ordered, and fast to test
    for raw in values:
        m = _NUMERIC_DATE.match(raw.strip())
        if not m or m.group(2) == ".":
            continue
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b:
            day_first.append(raw.strip())
        elif b > 12 >= a:
            month_first.append(raw.strip())
        elif a != b:
            ambiguous.setdefault(raw.strip())
    if day_first and month_first:
        raise FormatError(
            f"dates disagree: {day_first[0]} is day-first but {month_first[0]} is month-first; "
            "pass --date-order mdy or dmy"
        )
    if day_first:
        return DateReader("dmy")
    if month_first:
        return DateReader("mdy")
    if hint is not None or not ambiguous:
        return DateReader(hint or "dmy")
    first = list(ambiguous)[:3]
    shown = ", ".join(first) + (f" and {len(ambiguous) - 3} more" if len(ambiguous) > 3 else "")
    raise FormatError(
        f"dates are ambiguous (month/day or day/month): {shown}; pass --date-order mdy or --date-order dmy"
    )


# --- flags, units, currencies ----------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "y", "x", "t", "sim", "s", "si", "sí", "sì", "да", "vero", "ja", "wahr", "oui", "on", "✓"}
_FALSE = {"0", "false", "no", "n", "f", "não", "nao", "нет", "falso", "nein", "non", "off"}


def parse_flag(text: str) -> bool | None:
    """'True', 'Yes', '1', 'Sim', 'Да', ... -> True; 'No', '0', 'Não', ... -> False; '' -> None."""
    s = text.strip().lower()
    if not s:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise Unreadable("flag_unknown")


_DISTANCE = {
    "mi": "mi", "mile": "mi", "miles": "mi", "mi.": "mi",
    "km": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km", "км": "km",
}  # fmt: skip
_VOLUME = {
    "l": "l", "liter": "l", "liters": "l", "litre": "l", "litres": "l", "lt": "l", "л": "l",
    "gal": "gal_us", "gallon": "gal_us", "gallons": "gal_us", "us_gallon": "gal_us", "gal (us)": "gal_us",
    "us gal": "gal_us", "gal_us": "gal_us",
    "imperial_gallon": "gal_imp", "uk_gallon": "gal_imp", "gal (uk)": "gal_imp", "imp gal": "gal_imp",
    "gal_imp": "gal_imp", "uk gal": "gal_imp",
    "kwh": "kwh", "kg": "kg", "m3": "kg",
}  # fmt: skip


def distance_unit(text: str) -> str | None:
    s = text.strip().lower()
    if not s:
        return None
    if s in _DISTANCE:
        return _DISTANCE[s]
    raise Unreadable("unit_unknown")


def volume_unit(text: str) -> str | None:
    s = text.strip().lower()
    if not s:
        return None
    if s in _VOLUME and s != "m3":
        return _VOLUME[s]
    raise Unreadable("unit_unknown")


def currency_code(text: str) -> str | None:
    """'EUR', 'eur', '€' -> 'EUR'; '' -> None; '$' and other shared signs are Unreadable."""
    s = text.strip()
    if not s:
        return None
    if _ISO.match(s):
        return s.upper()
    if s.casefold() in _SIGNS:
        return _SIGNS[s.casefold()]
    raise Unreadable("currency_unknown")


_FUEL_WORDS = (
    ("biodiesel", "biodiesel"), ("diesel", "diesel"), ("дизел", "diesel"), ("gasóleo", "diesel"), ("gasolio", "diesel"),
    ("e85", "e85"), ("ethanol", "e85"), ("etanol", "e85"), ("álcool", "e85"), ("alcool", "e85"), ("flex", "e85"),
    ("lpg", "lpg"), ("autogas", "lpg"), ("glp", "lpg"), ("gpl", "lpg"), ("propane", "lpg"), ("газ", "lpg"),
    ("cng", "cng"), ("gnv", "cng"), ("gas natural", "cng"), ("natural gas", "cng"), ("metano", "cng"),
    ("erdgas", "cng"),
    ("electric", "electric"), ("elektr", "electric"), ("eletric", "electric"), ("eléctric", "electric"),
    ("hydrogen", "hydrogen"), ("wasserstoff", "hydrogen"),
    ("gasoline", "gasoline"), ("petrol", "gasoline"), ("gasolina", "gasoline"), ("benzin", "gasoline"),
    ("бензин", "gasoline"), ("аи-", "gasoline"), ("аи9", "gasoline"), ("benzina", "gasoline"), ("super", "gasoline"),
    ("unleaded", "gasoline"), ("regular", "gasoline"), ("premium", "gasoline"), ("normal", "gasoline"),
    ("gas", "gasoline"),
)  # fmt: skip


def fuel_type(text: str) -> str | None:
    """An app's fuel name -> motovault's fuel_type ('Gasoline', 'Super E10', 'Diesel', 'Gasolina comum',
    'АИ-95', 'GPL', ...); '' -> None; a name that says nothing known is Unreadable('fuel_type_unknown')."""
    s = text.strip().casefold()
    if not s:
        return None
    for word, kind in _FUEL_WORDS:
        if word in s:
            return kind
    raise Unreadable("fuel_type_unknown")
