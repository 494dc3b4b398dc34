"""Python motovault.vin.rules and the SQL VIN rules agree (hypothesis property tests).

Same normalization, same validity, same check digit and the same first message,
on thousands of random strings and on valid VINs generated with correct check digits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from motovault.vin import rules as pyvin
from support.databases import ClonedDatabase

VIN_CHARS = pyvin.ALPHABET
# characters that exercise every rule: the alphabet, lower case, I/O/Q, whitespace
# (inner and outer, ASCII and not), punctuation, non-ASCII letters whose upper case is ASCII
NEAR_VIN = st.sampled_from(
    list(VIN_CHARS + "abcdefghjklmnprstuvwxyz" + "IOQioq" + " \t\n\r\f\v" + "-.'\\\"_*")
    + ["\u00a0", "\u2003", "\u0131", "\u017f", "\u00e9", "\u00df", "\u212a", "\x01", "\x7f"]
)
near_vins = st.lists(NEAR_VIN, min_size=15, max_size=19).map("".join)
anything = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=25)
vin17 = st.text(st.sampled_from(list(VIN_CHARS)), min_size=17, max_size=17)
valid_vins = vin17.map(pyvin.with_check_digit)
some_strings = st.lists(st.one_of(near_vins, anything, vin17, valid_vins), min_size=50, max_size=100)

SQL = """
select s, app.vin_normalize(s), app.vin_problem(app.vin_normalize(s)), app.vin_check_digit(app.vin_normalize(s))
from unnest(%s::text[]) with ordinality as t (s, n)
order by n
"""


@pytest.fixture(scope="module")
def sql_conn(api_db: ClonedDatabase) -> Iterator[psycopg.Connection[Any]]:
    with api_db.connect() as conn:
        yield conn


def py_view(s: str) -> tuple[str, str | None, str | None]:
    v = pyvin.validate(s)
    first = v.errors[0] if v.errors else None
    expected = v.check_digit_expected
    return v.vin, first, expected


def compare(conn: psycopg.Connection, strings: list[str]) -> None:
    rows = conn.execute(SQL, (strings,)).fetchall()
    for s, norm, problem, digit in rows:
        p_norm, p_first, p_digit = py_view(s)
        assert norm == p_norm, f"normalize({s!r}): SQL {norm!r}, Python {p_norm!r}"
        assert (problem is None) == (p_first is None), f"valid({s!r}): SQL says {problem!r}, Python {p_first!r}"
        assert problem == p_first, f"message for {s!r}: SQL {problem!r}, Python {p_first!r}"
        assert digit == p_digit, f"check digit of {s!r}: SQL {digit!r}, Python {p_digit!r}"


@settings(
    max_examples=60, deadline=None, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(strings=some_strings)
def test_python_and_sql_agree_on_random_strings(sql_conn: psycopg.Connection, strings: list[str]) -> None:
    compare(sql_conn, strings)


@settings(
    max_examples=30, deadline=None, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(vins=st.lists(valid_vins, min_size=100, max_size=100))
def test_python_and_sql_agree_on_valid_vins(sql_conn: psycopg.Connection, vins: list[str]) -> None:
    rows = sql_conn.execute(SQL, (vins,)).fetchall()
    for s, _norm, problem, digit in rows:
        assert digit == s[8] == pyvin.check_digit(s)
        v = pyvin.validate(s)
        assert (problem is None) == v.valid, f"{s}: SQL {problem!r}, Python {v.errors}"


def test_known_differences_are_covered(sql_conn: psycopg.Connection) -> None:
    """The cases where the original SQL rules differed from Python (fixed by change vin_rules_parity)."""
    compare(sql_conn, [
        "\t1M8GDM9AXKP042788\n",        # ASCII whitespace other than spaces is trimmed
        "1M8GDM9AXKP04278\u017f",       # long s: not upper-cased to S
        "1M8GDM9A6UP042788",            # North-American VIN, position 10 U: not a model-year code
        "1M8GDM9A7ZP042788",
        "1M8GDM9A30P042788",
        "WVWZZZ1K5UW000001",            # elsewhere a bad year code is only a warning
        "1M8-DM9AXKIO42788",            # first offending position wins
        "1M8GDM9AXKP04278 ",
        "1M8G M9AXKP042788",
    ])
