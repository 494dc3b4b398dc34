"""One decoded-VIN shape for both decoders.

``decode_many(vins)`` validates (``motovault.vin.rules``), decodes offline with the
``ultravin`` wheel (the embedded vPIC database, no network) or online with the
vPIC REST API (``offline=False``), and normalizes each answer into a
:class:`DecodeResult`.

Normalization rules (the same for both sources):

* every text value is stripped; ``""`` and ``"Not Applicable"`` mean no data
  (``None``);
* numbers are parsed (``model_year``, ``engine.cylinders`` as int,
  displacement and power as float); unparsable ones become ``None``;
* when only one of engine power in kW / hp is known, the other is derived
  (1 hp = 0.745699872 kW);
* ``fuel_types`` lists the primary then the secondary fuel, without duplicates;
* ``error_codes`` are vPIC's codes as ints (``"5,6,14"`` → ``(5, 6, 14)``),
  ``error_texts`` the matching texts;
* ``raw`` is the decoder's own attribute mapping, unchanged: vPIC variable
  names (``"Model Year"``) offline, DecodeVinValues codes (``"ModelYear"``)
  online. :func:`raw_by_code` gives the offline one under the online keys.

A VIN whose length or alphabet is wrong is not sent to any decoder: its result
carries the validation errors and no vehicle data. A VIN with a wrong check
digit is still decoded (the decoder reports code 1 too), but ``valid`` is false
for North-American VINs.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..core.errors import MotovaultError
from .rules import (
    _ALPHABET_SET,
    _ASCII_UPPER,
    _CHECK_CHARS,
    _TO_DIGIT16,
    _WEIGHT_POLY,
    _WHITESPACE,
    _YEAR_BASE,
    normalize,
    validate,
)

HP_TO_KW = 0.745699872

#: What vPIC's error codes mean, in short (the full texts come with each answer).
ERROR_CODES: dict[int, str] = {
    0: "decoded clean, check digit correct",
    1: "check digit (position 9) does not calculate properly",
    2: "VIN corrected, error in one position",
    3: "VIN corrected, error in one position (assuming the check digit is correct)",
    4: "VIN corrected, error in one position only, multiple matches found",
    5: "VIN has errors in a few positions",
    6: "incomplete VIN",
    7: "manufacturer not registered with NHTSA for the U.S. market",
    8: "no detailed data available currently",
    9: "glider warning: not a motor vehicle",
    10: "off-road vehicle warning: not a VIN for a motor vehicle",
    11: "position 10 is not a valid model-year code",
    12: "the model year given does not match the decoded one",
    14: "some characters could not be decoded from the manufacturer's submission",
    400: "invalid characters present",
}
#: Codes after which the decoded data can be trusted as is (clean, or flags about the vehicle kind).
CLEAN_CODES = frozenset({0, 9, 10})

_ERROR_SPLIT = re.compile(r";\s*(?=\d+ - )")


@dataclass(frozen=True)
class Engine:
    cylinders: int | None = None
    displacement_l: float | None = None
    power_kw: float | None = None
    power_hp: float | None = None


@dataclass(frozen=True)
class DecodeResult:
    """A validated and decoded VIN (see the module docstring for the rules)."""

    vin: str
    valid: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    make: str | None
    model: str | None
    model_year: int | None
    trim: str | None
    body_class: str | None
    vehicle_type: str | None
    fuel_types: tuple[str, ...]
    engine: Engine
    drive_type: str | None
    manufacturer: str | None
    plant_country: str | None
    error_codes: tuple[int, ...]
    error_texts: tuple[str, ...]
    raw: Mapping[str, Any]
    source: str
    data_version: str | None

    @property
    def decoded(self) -> bool:
        """The decoder found the vehicle (at least its make)."""
        return self.make is not None

    @property
    def clean(self) -> bool:
        """Valid, and the decoder raised no error code beyond 0 (or the 9/10 vehicle-kind flags)."""
        return self.valid and bool(self.error_codes) and CLEAN_CODES.issuperset(self.error_codes)

    def to_dict(self, raw: bool = True) -> dict[str, Any]:
        """Plain JSON-ready mapping (tuples become lists)."""
        d = dict(self.__dict__)  # field order; asdict's deep copy is ~10x slower
        for key in ("errors", "warnings", "fuel_types", "error_codes", "error_texts"):
            d[key] = list(d[key])
        d["engine"] = dict(self.engine.__dict__)
        if raw:
            d["raw"] = dict(self.raw)
        else:
            del d["raw"]
        return d


# Fast construction of the frozen dataclasses: one __dict__ store instead of
# one object.__setattr__ per field (the generated __init__ of a frozen class).
_new = object.__new__
_set = object.__setattr__
_FIELDS = tuple(DecodeResult.__dataclass_fields__)
_NO_ENGINE = Engine()


def _result(values: tuple[Any, ...]) -> DecodeResult:
    obj = _new(DecodeResult)
    _set(obj, "__dict__", dict(zip(_FIELDS, values, strict=False)))
    return obj


def _engine(cyl: int | None, disp: float | None, kw: float | None, hp: float | None) -> Engine:
    if cyl is None and disp is None and kw is None and hp is None:
        return _NO_ENGINE
    obj = _new(Engine)
    _set(obj, "__dict__", {"cylinders": cyl, "displacement_l": disp, "power_kw": kw, "power_hp": hp})
    return obj


def _text(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, (list, tuple)):  # ultravin's multi-valued notes
        value = "; ".join(str(v) for v in value if v)
    elif not isinstance(value, str):
        value = str(value)
    text: str = value.strip()
    if not text or text == "Not Applicable":
        return None
    return text


def _int(value: Any) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


def _float(value: Any) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_error_codes(value: Any) -> tuple[int, ...]:
    """vPIC's ``ErrorCode``: ``"5,6,14"`` → ``(5, 6, 14)``; blanks and junk are skipped."""
    if not value:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    out = []
    for part in str(value).split(","):
        part = part.strip()
        if part.isdigit():
            out.append(int(part))
    return tuple(out)


def parse_error_texts(value: Any) -> tuple[str, ...]:
    """vPIC's ``ErrorText``: ``"5 - …; 6 - Incomplete VIN"`` → one text per code.

    Splits only before ``"<digits> - "``, since a text may itself contain "; ".
    """
    if not value:
        return ()
    return tuple(t.strip() for t in _ERROR_SPLIT.split(str(value).strip()) if t.strip())


# key of each normalized field, offline (ultravin variable names) and online (vPIC codes)
_OFFLINE_KEYS = (
    "Make", "Model", "Trim", "Body Class", "Vehicle Type", "Drive Type", "Manufacturer Name",
    "Plant Country", "Fuel Type - Primary", "Fuel Type - Secondary", "Engine Number of Cylinders",
    "Displacement (L)", "Engine Power (KW)", "Engine Brake (hp) From", "Error Text",
)
_ONLINE_KEYS = (
    "Make", "Model", "Trim", "BodyClass", "VehicleType", "DriveType", "Manufacturer",
    "PlantCountry", "FuelTypePrimary", "FuelTypeSecondary", "EngineCylinders",
    "DisplacementL", "EngineKW", "EngineHP", "ErrorText",
)


class _Memo(dict[Any, Any]):
    """A bounded memo of a pure one-argument function, looked up with ``memo[arg]``.

    Decoded values repeat a lot (makes, body classes, engines, error texts), so
    a dict hit replaces a Python call. Cleared when it grows past ``limit``.
    """

    def __init__(self, fn: Callable[[Any], Any], limit: int = 65536) -> None:
        super().__init__()
        self.fn = fn
        self.limit = limit

    def __missing__(self, key: Any) -> Any:
        value = self.fn(key)
        if len(self) >= self.limit:
            self.clear()
        try:
            self[key] = value
        except TypeError:  # unhashable (a list of notes): just computed
            pass
        return value


def _engine_of(key: tuple[Any, ...]) -> Engine:
    cyl, disp, kw, hp = key
    cyl, disp, kw, hp = _int(_text(cyl)), _float(_text(disp)), _float(_text(kw)), _float(_text(hp))
    if kw is None and hp is not None:
        kw = round(hp * HP_TO_KW, 4)
    elif hp is None and kw is not None:
        hp = round(kw / HP_TO_KW, 1)
    return _engine(cyl, disp, kw, hp)


def _fuels_of(key: tuple[Any, ...]) -> tuple[str, ...]:
    fuel1, fuel2 = _text(key[0]), _text(key[1])
    if fuel1:
        return (fuel1, fuel2) if fuel2 and fuel2 != fuel1 else (fuel1,)
    return (fuel2,) if fuel2 else ()


_TEXT = _Memo(_text)
_ENGINE = _Memo(_engine_of)
_FUELS = _Memo(_fuels_of)
_ERROR_TEXTS = _Memo(parse_error_texts, 4096)
_ERROR_CODES = _Memo(parse_error_codes, 4096)


def _normalize(
    vin: str, valid: bool, errors: tuple[str, ...], warnings: tuple[str, ...], attrs: Mapping[str, Any],
    keys: tuple[str, ...],
    model_year: int | None, error_codes: tuple[int, ...], source: str, data_version: str | None,
) -> DecodeResult:
    make, model, trim, body, vtype, drive, manu, country, fuel1, fuel2, cyl, disp, kw, hp, etext = map(
        attrs.get, keys
    )
    t = _TEXT
    try:
        fields = {
            "vin": vin, "valid": valid, "errors": errors, "warnings": warnings,
            "make": t[make], "model": t[model], "model_year": model_year, "trim": t[trim],
            "body_class": t[body], "vehicle_type": t[vtype], "fuel_types": _FUELS[fuel1, fuel2],
            "engine": _ENGINE[cyl, disp, kw, hp], "drive_type": t[drive], "manufacturer": t[manu],
            "plant_country": t[country], "error_codes": error_codes, "error_texts": _ERROR_TEXTS[etext],
            "raw": attrs, "source": source, "data_version": data_version,
        }
    except TypeError:  # an unhashable value (a list) where text was expected: flatten to text
        plain = {k: _text(attrs.get(k)) for k in keys}
        result = _normalize(vin, valid, errors, warnings, plain, keys, model_year, error_codes, source, data_version)
        _set(result, "raw", attrs)
        return result
    obj = _new(DecodeResult)
    _set(obj, "__dict__", fields)
    return obj


@lru_cache(maxsize=1)
def offline_data_version() -> str:
    """The offline decoder and its embedded vPIC release, e.g. ``ultravin 3.0.2, vPIC 2026_10``."""
    import ultravin

    p = ultravin.provenance()
    return f"ultravin {p.get('decoder_version', ultravin.__version__)}, vPIC {p.get('data_month', 'unknown')}"


def from_ultravin(decoded: Mapping[str, Any], vin: str | None = None, validation: Any = None) -> DecodeResult:
    """Normalize one ``ultravin.decode`` result (validating its VIN unless ``validation`` is given)."""
    val = validation or validate(vin if vin is not None else decoded["vin"])
    return _normalize(
        val.vin, val.valid, val.errors, val.warnings, decoded.get("attributes") or {}, _OFFLINE_KEYS,
        decoded.get("model_year"), tuple(decoded.get("error_codes") or ()), "offline", offline_data_version(),
    )


def from_vpic(result: Mapping[str, Any], vin: str | None = None, validation: Any = None) -> DecodeResult:
    """Normalize one element of a vPIC DecodeVinValues / DecodeVINValuesBatch ``Results`` list."""
    if validation is None:
        validation = validate(vin if vin is not None else str(result.get("VIN", "")))
    return _normalize(
        validation.vin, validation.valid, validation.errors, validation.warnings, result, _ONLINE_KEYS,
        _int(_text(result.get("ModelYear"))), parse_error_codes(result.get("ErrorCode")), "vpic", None,
    )


def undecoded(validation: Any, source: str, data_version: str | None) -> DecodeResult:
    """The result for a VIN no decoder was asked about (its length or alphabet is wrong)."""
    return _result((
        validation.vin, validation.valid, validation.errors, validation.warnings,
        None, None, None, None, None, None, (), _NO_ENGINE, None, None, None, (), (), {}, source, data_version,
    ))


def raw_by_code(result: DecodeResult) -> dict[str, Any]:
    """``result.raw`` keyed by vPIC's DecodeVinValues codes whatever the source."""
    if result.source != "offline":
        return dict(result.raw)
    import ultravin

    elements = ultravin.ELEMENTS
    return {elements[k]["code"] if k in elements else k: v for k, v in result.raw.items()}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built.

    A batch allocates a few objects per VIN and keeps them all alive (nothing
    here makes reference cycles), so every collection would only rescan the
    growing batch — about a third of the Python time. Restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def decode_many(
    vins: Iterable[str],
    offline: bool = True,
    *,
    years: Sequence[int | None] | None = None,
    client: Any = None,
) -> list[DecodeResult]:
    """Validate, decode and normalize many VINs, results in input order.

    Offline (the default) uses ``ultravin.decode_batch`` in one call; online
    uses ``client`` (a :class:`motovault.vin.vpic.VpicClient`, one is created and
    closed when omitted), 50 VINs per request. ``years`` optionally gives a
    model-year hint per VIN.
    """
    with _gc_paused():
        return _decode_many(list(vins), offline, years, client)


def _decode_offline(vins: list[str], years: Sequence[int | None] | None) -> list[DecodeResult]:
    """The hot path of :func:`decode_many` (benchmarked in bench/vin_decode.py).

    The common case — a VIN that is already clean, 17 characters, right check
    digit, a year code at position 10 — is recognized inline with the same
    arithmetic as :func:`motovault.vin.rules.validate`; anything else goes through
    ``validate`` itself for its messages, so the rules live in one place.
    """
    import ultravin

    version = offline_data_version()
    n = len(vins)
    todo: list[str] = []
    checks: list[tuple[Any, ...]] = []
    idx: list[int] = []
    failed: dict[int, DecodeResult] = {}
    alphabet, to16, poly, chars, year_codes = _ALPHABET_SET, _TO_DIGIT16, _WEIGHT_POLY, _CHECK_CHARS, _YEAR_BASE
    ok: tuple[Any, ...] = (True, (), ())
    for i, raw in enumerate(vins):
        try:
            v = raw.strip(_WHITESPACE)
        except AttributeError:
            v = normalize(raw)  # raises InvalidVin with a clear message
        v = v.upper() if v.isascii() else v.translate(_ASCII_UPPER)
        if len(v) == 17 and alphabet.issuperset(v):
            a = int.from_bytes(v.translate(to16).encode("latin-1"), "big")
            if chars[(((a * poly) >> 256) & 0xFFFF) % 11] == v[8] and v[9] in year_codes:
                checks.append(ok)
            else:
                val = validate(v)
                checks.append((val.valid, val.errors, val.warnings))
            todo.append(v)
            idx.append(i)
        else:
            failed[i] = undecoded(validate(v), "offline", version)
    if years is not None:
        hints = [years[i] for i in idx]
        decoded = ultravin.decode_batch(todo, years=hints)
    else:
        decoded = ultravin.decode_batch(todo) if todo else []
    t, fuels, engines, etexts = _TEXT, _FUELS, _ENGINE, _ERROR_TEXTS
    (
        make_k, model_k, trim_k, body_k, vtype_k, drive_k, manu_k, country_k,
        f1_k, f2_k, cyl_k, disp_k, kw_k, hp_k, et_k,
    ) = _OFFLINE_KEYS
    out: list[DecodeResult] = []
    append = out.append
    for v, (valid, errors, warnings), d in zip(todo, checks, decoded, strict=False):
        attrs = d["attributes"]
        get = attrs.get
        try:
            fields = {
                "vin": v, "valid": valid, "errors": errors, "warnings": warnings,
                "make": t[get(make_k)], "model": t[get(model_k)], "model_year": d["model_year"],
                "trim": t[get(trim_k)], "body_class": t[get(body_k)], "vehicle_type": t[get(vtype_k)],
                "fuel_types": fuels[get(f1_k), get(f2_k)],
                "engine": engines[get(cyl_k), get(disp_k), get(kw_k), get(hp_k)],
                "drive_type": t[get(drive_k)], "manufacturer": t[get(manu_k)],
                "plant_country": t[get(country_k)], "error_codes": tuple(d["error_codes"]),
                "error_texts": etexts[get(et_k)], "raw": attrs, "source": "offline", "data_version": version,
            }
        except TypeError:  # an unexpected unhashable value: the general path
            append(_normalize(v, valid, errors, warnings, attrs, _OFFLINE_KEYS, d["model_year"],
                              tuple(d["error_codes"]), "offline", version))
            continue
        obj = _new(DecodeResult)
        _set(obj, "__dict__", fields)
        append(obj)
    if not failed:
        return out
    merged: list[DecodeResult] = [None] * n  # type: ignore[list-item]
    for i, r in zip(idx, out, strict=False):
        merged[i] = r
    for i, r in failed.items():
        merged[i] = r
    return merged


def _decode_many(
    vins: list[str], offline: bool, years: Sequence[int | None] | None, client: Any
) -> list[DecodeResult]:
    if years is not None and len(years) != len(vins):
        raise MotovaultError(f"{len(years)} model years given for {len(vins)} VINs")
    if offline:
        return _decode_offline(vins, years)
    validations = [validate(v) for v in vins]
    idx = [i for i, val in enumerate(validations) if val.check_digit_expected is not None]
    todo = [validations[i].vin for i in idx]
    hints = [years[i] for i in idx] if years is not None else None
    from .vpic import VpicClient

    out = [undecoded(val, "vpic", None) for val in validations]
    if not todo:
        return out
    own = client is None
    client = client or VpicClient()
    try:
        if len(todo) == 1:  # one VIN: the plain DecodeVinValues call
            results = [client.decode(todo[0], hints[0] if hints else None)]
        else:
            results = client.decode_batch(todo, years=hints)
    finally:
        if own:
            client.close()
    for i, r in zip(idx, results, strict=False):
        out[i] = from_vpic(r, validation=validations[i])
    return out


def decode(vin: str, offline: bool = True, *, year: int | None = None, client: Any = None) -> DecodeResult:
    """One VIN; see :func:`decode_many`."""
    return decode_many([vin], offline, years=[year] if year is not None else None, client=client)[0]


def iter_decode(
    vins: Iterable[str],
    offline: bool = True,
    *,
    chunk_size: int = 1000,
    client: Any = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Iterator[DecodeResult]:
    """Stream :func:`decode_many` over an iterable, ``chunk_size`` VINs at a time."""
    chunk: list[str] = []
    for v in vins:
        chunk.append(v)
        if len(chunk) >= chunk_size:
            yield from decode_many(chunk, offline, client=client)
            if on_chunk:
                on_chunk(len(chunk))
            chunk = []
    if chunk:
        yield from decode_many(chunk, offline, client=client)
        if on_chunk:
            on_chunk(len(chunk))


__all__ = [
    "CLEAN_CODES",
    "ERROR_CODES",
    "DecodeResult",
    "Engine",
    "decode",
    "decode_many",
    "from_ultravin",
    "from_vpic",
    "iter_decode",
    "normalize",
    "offline_data_version",
    "parse_error_codes",
    "parse_error_texts",
    "raw_by_code",
]
