"""Every example analyst query in sql/analyst runs as the analyst role on the demo data and returns rows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.databases import ClonedDatabase

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "sql" / "analyst").glob("*.sql"))


@pytest.fixture(scope="module")
def demo_db(api_db: ClonedDatabase) -> ClonedDatabase:
    """A clone with sql/demo.sql loaded as the owner role (as `make up` does)."""
    result = subprocess.run(
        ["psql", api_db.url(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
         "-c", "set role motovault_owner", "-f", str(ROOT / "sql" / "demo.sql")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return api_db


def test_there_are_example_queries() -> None:
    assert len(QUERIES) >= 3


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_example_query_runs_as_analyst(demo_db: ClonedDatabase, query: Path) -> None:
    result = subprocess.run(
        ["psql", demo_db.url(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-c", "set role analyst", "-f", str(query)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip() and line.strip() != "SET"]
    assert rows, f"{query.name} returned no rows on the demo data"
