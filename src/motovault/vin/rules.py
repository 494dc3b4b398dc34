"""VIN validation: normalization, the check digit and model-year candidates.

These are the rules the SQL functions implement too (a property test checks
that both agree), so each one is spelled out exactly here.

Normalization
    Leading and trailing ASCII whitespace (space, tab, CR, LF, FF, VT) is
    removed and ASCII letters a-z are upper-cased. Nothing else changes: inner
    spaces, punctuation and non-ASCII characters stay and make the VIN invalid.

Checks, in the order their messages are listed
    1. Length: exactly 17 characters after normalization, otherwise the error
       ``"17 characters expected, found N"``.
    2. Alphabet: only ``0-9`` and ``A-Z`` without ``I``, ``O`` and ``Q``. One
       error per offending position, in position order:
       ``"contains I at position 5 (I, O and Q are never used)"`` or
       ``"contains '-' at position 4 (only digits and the letters A-Z except I, O and Q are allowed)"``.
       Positions are 1-based.
    3. Check digit (position 9), only when 1 and 2 pass. 49 CFR 565.15(c):
       letters are transliterated A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 J=1 K=2 L=3
       M=4 N=5 P=7 R=9 S=2 T=3 U=4 V=5 W=6 X=7 Y=8 Z=9 (digits are their own
       value), multiplied by the position weights
       ``8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2`` and summed; the sum modulo 11 is
       the check digit, with 10 written ``X``. A mismatch reads
       ``"position 9 should be 3, found 4"``. It is an *error* for
       North-American VINs (first character ``1``-``5``) and a *warning* for
       every other region, where the check digit is not mandatory.
    4. Model year code (position 10), only when 1 and 2 pass. Valid codes are
       ``A-H J-N P R-T V-Y 1-9`` (never I, O, Q, U, Z or 0). Anything else reads
       ``"position 10 is not a model-year code: found Z (I, O, Q, U, Z and 0 are never used)"``,
       an error for North-American VINs and a warning elsewhere (ISO 3779 does
       not require a year code there).

Model-year candidates
    The codes run in a 30-year cycle: A=1980 ... Y=2000, 1=2001 ... 9=2009,
    A=2010 ... 9=2039. For passenger cars, MPVs and trucks/buses up to 10,000 lb
    GVWR (``light=True``), 49 CFR 565.15 fixes the cycle with position 7: a
    digit there means 1980-2009, a letter means 2010-2039. When the vehicle
    kind is unknown (``light=None``, the default) or not light
    (``light=False``), both candidates are listed, ascending. No clock is
    consulted, so the result depends on the VIN alone (an immutable function).

Valid means: no errors. Warnings never make a VIN invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import MotovaultError

VIN_LENGTH = 17

#: Characters a VIN may contain (49 CFR 565.15(b)): digits and A-Z without I, O, Q.
ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_ALPHABET_SET = frozenset(ALPHABET)

#: 49 CFR 565.15(c) transliteration of letters; digits are their own value.
TRANSLITERATION: dict[str, int] = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}

#: 49 CFR 565.15(c) weight of each position, 1 to 17 (position 9 weighs 0).
WEIGHTS: tuple[int, ...] = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

#: Position-10 model-year codes in cycle order; code i means 1980 + i (+ 30 k).
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
_YEAR_BASE = {code: 1980 + i for i, code in enumerate(YEAR_CODES)}

#: First characters of North-American VINs (1-5: United States, Canada, Mexico).
NORTH_AMERICA = frozenset("12345")

_WHITESPACE = " \t\n\r\f\v"
# The weighted sum as one big-integer product: each character becomes a 16-bit
# "digit" (its transliterated value) of A, the weights the reversed digits of W;
# the coefficient of 2**(16*16) in A*W is then sum(value_i * weight_i), and no
# coefficient can carry (at most 17*9*10 = 1530 < 2**16). Same result as
# _check_digit_reference, about twice as fast.
_TO_DIGIT16 = {ord(c): "\x00" + chr(v) for c, v in TRANSLITERATION.items()}
_WEIGHT_POLY = 0
for _w in reversed(WEIGHTS):
    _WEIGHT_POLY = (_WEIGHT_POLY << 16) | _w
_CHECK_CHARS = "0123456789X"
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class InvalidVin(MotovaultError, ValueError):
    """A VIN that a function needing a well-formed one cannot work with."""


@dataclass(frozen=True)
class VinValidation:
    """The outcome of :func:`validate`.

    ``vin`` is the normalized VIN. ``check_digit_expected`` is the computed
    position-9 character (``None`` when length or alphabet are wrong);
    ``model_years`` are the candidates from position 10 (empty when it has no
    year code or the VIN is malformed).
    """

    vin: str
    valid: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    check_digit_expected: str | None
    model_years: tuple[int, ...]

    @property
    def north_american(self) -> bool:
        return self.vin[:1] in NORTH_AMERICA

    @property
    def messages(self) -> tuple[str, ...]:
        """Errors then warnings, for display."""
        return self.errors + self.warnings


_new = object.__new__
_set = object.__setattr__


def _validation(
    vin: str,
    valid: bool,
    errors: tuple[str, ...],
    warnings: tuple[str, ...],
    expected: str | None,
    years: tuple[int, ...],
) -> VinValidation:
    # the generated __init__ of a frozen dataclass calls object.__setattr__ once
    # per field; one __dict__ store is several times faster (validate is hot)
    obj: VinValidation = _new(VinValidation)
    _set(obj, "__dict__", {
        "vin": vin, "valid": valid, "errors": errors, "warnings": warnings,
        "check_digit_expected": expected, "model_years": years,
    })
    return obj


def normalize(vin: str) -> str:
    """Trim ASCII whitespace at both ends and upper-case ASCII letters.

    >>> normalize("  1ftmw1t88mfa00001\\n")
    '1FTMW1T88MFA00001'
    """
    if not isinstance(vin, str):
        raise InvalidVin(f"a VIN is text, not {type(vin).__name__}")
    vin = vin.strip(_WHITESPACE)
    if vin.isascii():
        return vin.upper()
    return vin.translate(_ASCII_UPPER)


def _check_digit_reference(vin: str) -> str:
    """49 CFR 565.15(c) spelled out: sum of transliterated value x weight, modulo 11."""
    total = sum(TRANSLITERATION[c] * w for c, w in zip(vin, WEIGHTS, strict=False)) % 11
    return "X" if total == 10 else str(total)


def _check_digit(vin: str) -> str:
    # vin: 17 characters from ALPHABET (see _TO_DIGIT16 for the arithmetic)
    a = int.from_bytes(vin.translate(_TO_DIGIT16).encode("latin-1"), "big")
    return _CHECK_CHARS[(((a * _WEIGHT_POLY) >> 256) & 0xFFFF) % 11]


def check_digit(vin: str) -> str:
    """The check digit (``0``-``9`` or ``X``) position 9 of ``vin`` should hold.

    ``vin`` is normalized first; raises :class:`InvalidVin` when it is not 17
    characters of the VIN alphabet. Position 9 itself does not count (weight 0).
    """
    v = normalize(vin)
    if len(v) != VIN_LENGTH or not _ALPHABET_SET.issuperset(v):
        problems = _shape_errors(v)
        raise InvalidVin(f"no check digit for {v!r}: {problems[0]}")
    return _check_digit(v)


def model_years(vin: str, light: bool | None = None) -> tuple[int, ...]:
    """Candidate model years from position 10, ascending (see the module docstring).

    ``light=True`` applies the position-7 rule of 49 CFR 565.15 (cars, MPVs,
    trucks and buses up to 10,000 lb GVWR): digit → 1980-2009, letter →
    2010-2039. Otherwise both cycles are listed. Empty when position 10 is not
    a year code or the VIN is shorter than 10 characters.
    """
    v = normalize(vin)
    return _model_years(v, light)


def _model_years(v: str, light: bool | None) -> tuple[int, ...]:
    base = _YEAR_BASE.get(v[9:10])
    if base is None:
        return ()
    if light:
        return (base + 30,) if not v[6].isdigit() else (base,)
    return (base, base + 30)


def _describe(c: str) -> str:
    if c == " ":
        return "a space"
    if c.isprintable() and c.isascii():
        return c if c.isalnum() else repr(c)
    return f"U+{ord(c):04X}"


def _shape_errors(v: str) -> list[str]:
    errors = []
    if len(v) != VIN_LENGTH:
        errors.append(f"{VIN_LENGTH} characters expected, found {len(v)}")
    for i, c in enumerate(v, 1):
        if c in _ALPHABET_SET:
            continue
        if c in "IOQ":
            errors.append(f"contains {c} at position {i} (I, O and Q are never used)")
        else:
            errors.append(
                f"contains {_describe(c)} at position {i} "
                "(only digits and the letters A-Z except I, O and Q are allowed)"
            )
    return errors


def validate(vin: str, light: bool | None = None) -> VinValidation:
    """Normalize and check ``vin``; never raises for bad input, reports it.

    ``light`` is passed to :func:`model_years`. The rules and the exact
    messages are in the module docstring.
    """
    v = normalize(vin)
    if len(v) != VIN_LENGTH or not _ALPHABET_SET.issuperset(v):
        return _validation(v, False, tuple(_shape_errors(v)), (), None, ())
    expected = _check_digit(v)
    years = _model_years(v, light)
    if expected == v[8] and years:
        return _validation(v, True, (), (), expected, years)
    # something is off: build the messages
    na = v[0] in NORTH_AMERICA
    errors: list[str] = []
    warnings: list[str] = []
    if expected != v[8]:
        msg = f"position 9 should be {expected}, found {v[8]}"
        if na:
            errors.append(msg)
        else:
            warnings.append(msg + " (the check digit is only mandatory for North-American VINs)")
    if not years:
        msg = f"position 10 is not a model-year code: found {v[9]} (I, O, Q, U, Z and 0 are never used)"
        (errors if na else warnings).append(msg)
    return _validation(v, not errors, tuple(errors), tuple(warnings), expected, years)


def with_check_digit(vin17: str) -> str:
    """``vin17`` with position 9 replaced by its correct check digit (for tests, generators)."""
    v = normalize(vin17)
    if len(v) != VIN_LENGTH or not _ALPHABET_SET.issuperset(v):
        raise InvalidVin(f"cannot fix {v!r}: {_shape_errors(v)[0]}")
    return v[:8] + _check_digit(v) + v[9:]


__all__ = [
    "ALPHABET",
    "InvalidVin",
    "NORTH_AMERICA",
    "TRANSLITERATION",
    "VinValidation",
    "WEIGHTS",
    "YEAR_CODES",
    "check_digit",
    "model_years",
    "normalize",
    "validate",
    "with_check_digit",
]
