"""motovault.vin.rules: normalization, the 49 CFR 565 check digit, model-year candidates, messages."""

from __future__ import annotations

import dataclasses
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motovault.core.errors import MotovaultError
from motovault.vin import rules as V

# real VINs with correct check digits (the first from the recorded vPIC answers)
REAL_VALID = [
    "1FTMW1T88MFA00001",  # Ford F-150 2021 (fixtures)
    "1HGCM82633A004352",  # Honda Accord 2003
    "JH4KA7561PC008269",  # Acura Legend 1993
    "2T1BURHE0JC074723",  # Toyota Corolla 2018 (Canada)
    "1M8GDM9AXKP042788",  # MCI coach 1989, check digit X
    "11111111111111111",
]


@pytest.mark.parametrize("vin", REAL_VALID)
def test_real_vins_are_valid(vin: str) -> None:
    r = V.validate(vin)
    assert r.valid and r.errors == () and r.warnings == ()
    assert r.vin == vin
    assert r.check_digit_expected == vin[8]
    assert V.check_digit(vin) == vin[8]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1ftmw1t88mfa00001", "1FTMW1T88MFA00001"),
        ("  1FTMW1T88MFA00001\n", "1FTMW1T88MFA00001"),
        ("\t1ftMW1t88MFa00001 \r\n", "1FTMW1T88MFA00001"),
        ("1ftmw1t88mfaé0001", "1FTMW1T88MFAé0001"),  # only ASCII letters change case
        ("ß", "ß"),  # str.upper would make this "SS" and change the length
    ],
)
def test_normalize_trims_and_upper_cases(raw: str, expected: str) -> None:
    assert V.normalize(raw) == expected


def test_lower_case_and_spaces_validate_as_the_normalized_vin() -> None:
    r = V.validate("  1ftmw1t88mfa00001  ")
    assert r.valid and r.vin == "1FTMW1T88MFA00001"


@pytest.mark.parametrize(
    "vin, message",
    [
        ("1FTMW1T88MFA0000", "17 characters expected, found 16"),
        ("1FTMW1T88MFA000011", "17 characters expected, found 18"),
        ("", "17 characters expected, found 0"),
        ("1FTMI1T88MFA00001", "contains I at position 5 (I, O and Q are never used)"),
        ("OFTMW1T88MFA00001", "contains O at position 1 (I, O and Q are never used)"),
        ("1FTMW1T88MFA0000Q", "contains Q at position 17 (I, O and Q are never used)"),
        ("1FT-W1T88MFA00001",
         "contains '-' at position 4 (only digits and the letters A-Z except I, O and Q are allowed)"),
        ("1FT W1T88MFA00001",
         "contains a space at position 4 (only digits and the letters A-Z except I, O and Q are allowed)"),
        ("1FTMW1T88MFAé0001",
         "contains U+00E9 at position 13 (only digits and the letters A-Z except I, O and Q are allowed)"),
        ("1FTMW1T84MFA00001", "position 9 should be 8, found 4"),
        ("1M8GDM9A1KP042788", "position 9 should be X, found 1"),
        ("1FTMW1T88UFA00001", "position 10 is not a model-year code: found U (I, O, Q, U, Z and 0 are never used)"),
    ],
)
def test_each_kind_of_invalid_vin_has_its_message(vin: str, message: str) -> None:
    r = V.validate(vin)
    assert not r.valid
    assert message in r.errors


def test_a_short_vin_with_a_bad_character_lists_both_problems_in_order() -> None:
    r = V.validate("5UXWX7C5*BA")
    assert r.errors == (
        "17 characters expected, found 11",
        "contains '*' at position 9 (only digits and the letters A-Z except I, O and Q are allowed)",
    )
    assert r.check_digit_expected is None and r.model_years == ()


def test_wrong_check_digit_is_only_a_warning_outside_north_america() -> None:
    # WVW: Volkswagen, Germany; ISO 3779 VINs need not carry a check digit
    r = V.validate("WVWZZZ1JZXW000001")
    assert r.valid
    assert r.errors == ()
    assert r.warnings == (
        "position 9 should be 0, found Z (the check digit is only mandatory for North-American VINs)",
    )


@pytest.mark.parametrize("first", list("12345"))
def test_wrong_check_digit_is_an_error_in_north_america(first: str) -> None:
    vin = V.with_check_digit(first + "FTMW1T88MFA00001")
    wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
    r = V.validate(wrong)
    assert not r.valid and r.errors[0].startswith(f"position 9 should be {vin[8]}, found")


def test_bad_model_year_code_is_a_warning_outside_north_america() -> None:
    vin = V.with_check_digit("WVWZZZ1JZZW000001")  # Z at position 10
    r = V.validate(vin)
    assert r.valid and r.model_years == ()
    assert r.warnings == ("position 10 is not a model-year code: found Z (I, O, Q, U, Z and 0 are never used)",)


@pytest.mark.parametrize(
    "vin, light, years",
    [
        ("1FTMW1T88MFA00001", None, (1991, 2021)),  # M, unknown kind: both cycles
        ("1FTMW1T88MFA00001", True, (2021,)),  # position 7 'T' is a letter: 2010-2039
        ("1FTMW1T88MFA00001", False, (1991, 2021)),
        ("1M8GDM9AXKP042788", True, (1989,)),  # position 7 '9' is a digit: 1980-2009
        ("1M8GDM9AXKP042788", None, (1989, 2019)),
        ("1HGCM82633A004352", None, (2003, 2033)),
        ("JH4KA7561PC008269", True, (1993,)),
    ],
)
def test_model_year_candidates(vin: str, light: bool | None, years: tuple[int, ...]) -> None:
    assert V.model_years(vin, light) == years
    assert V.validate(vin, light).model_years == years


@pytest.mark.parametrize("code, first", list(zip("ABCDEFGHJKLMNPRSTVWXY123456789", range(1980, 2010), strict=False)))
def test_every_year_code_maps_to_its_two_cycles(code: str, first: int) -> None:
    vin = V.with_check_digit("1FTMW1T8" + "0" + code + "FA00001")
    assert V.validate(vin).model_years == (first, first + 30)


def test_check_digit_refuses_malformed_vins_with_a_clear_error() -> None:
    with pytest.raises(MotovaultError, match="17 characters expected, found 3"):
        V.check_digit("ABC")
    with pytest.raises(ValueError, match="contains I at position 1"):
        V.check_digit("I" * 17)


def test_validation_is_a_frozen_dataclass() -> None:
    r = V.validate("1FTMW1T88MFA00001")
    assert dataclasses.is_dataclass(r)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.valid = False  # type: ignore[misc]
    assert r == V.VinValidation("1FTMW1T88MFA00001", True, (), (), "8", (1991, 2021))


def test_transliteration_and_weights_are_those_of_49_cfr_565() -> None:
    assert V.WEIGHTS == (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    assert {c: V.TRANSLITERATION[c] for c in "AJ"} == {"A": 1, "J": 1}
    assert [V.TRANSLITERATION[c] for c in "ABCDEFGH"] == list(range(1, 9))
    assert [V.TRANSLITERATION[c] for c in "JKLMNPR"] == [1, 2, 3, 4, 5, 7, 9]
    assert [V.TRANSLITERATION[c] for c in "STUVWXYZ"] == list(range(2, 10))
    assert not set("IOQ") & set(V.TRANSLITERATION)


vin_chars = st.text(alphabet=V.ALPHABET, min_size=17, max_size=17)


@settings(max_examples=500, deadline=None)
@given(vin_chars)
def test_fast_check_digit_equals_the_textbook_sum(vin: str) -> None:
    assert V.check_digit(vin) == V._check_digit_reference(vin)


@settings(max_examples=300, deadline=None)
@given(vin_chars.map(lambda s: "1" + s[1:9] + "A" + s[10:]))
def test_with_check_digit_gives_valid_north_american_vins(vin: str) -> None:
    fixed = V.with_check_digit(vin)
    assert V.validate(fixed).valid
    assert V.validate(fixed.lower()).valid


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=string.printable + "IOQéß\u00a0", max_size=25))
def test_validate_never_raises_and_valid_means_no_errors(text: str) -> None:
    r = V.validate(text)
    assert r.valid == (r.errors == ())
    if r.valid:
        assert len(r.vin) == 17 and set(r.vin) <= set(V.ALPHABET)
