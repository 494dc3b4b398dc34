from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import MONEY_LIKE, q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        for c in rel.columns:
            if (c.base_type in ("float4", "float8") and MONEY_LIKE.search(c.name)) or c.base_type == "money":
                yield RULE.finding(
                    f"{rel.qualified}.{c.name}", f"{rel.qualified}.{c.name}: money stored as {c.type}",
                    f"{c.name} {c.type}: binary floating point (or locale-dependent money) cannot hold cents exactly",
                    f"alter table {qn(rel)} alter column {q(c.name)} type numeric(12,2);  -- with a currency column")


RULE = Rule(
    name="money_in_float",
    level=Level.WARNING,
    category="integrity",
    summary="an amount of money in real/double precision or the money type",
    anti_pattern="A `real`/`double precision` column named like money (price, cost, amount, total, fee, ...), or "
                 "any column of type `money`.",
    why="Binary floating point cannot represent 0.10 exactly: sums drift by cents. `money` depends on the "
        "server's lc_monetary and holds no currency.",
    fix="`numeric(12,2)` (or an integer of minor units) next to an ISO 4217 `currency` column.",
    bad=LiveExample("create table fuel_logs (id int primary key, total_cost double precision);"),
    good=LiveExample("create table fuel_logs (id int primary key, total_cost numeric(12, 2), currency text not null"
                     " check (currency ~ '^[A-Z]{3}$'));"),
    key="money_in_float:public.fuel_logs.total_cost",
    section="Data integrity",
    recommendation="Store money as numeric with a currency",
    check=check,
)
