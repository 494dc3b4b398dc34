from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import q
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

TABLE = ("create table vehicles (id int primary key, vin text);\ncreate index vehicles_vin on vehicles (vin);\n"
         "insert into vehicles select g, 'VIN' || g from generate_series(1, 100) g;\nanalyze vehicles;\n")


def check(run: LiveRun) -> Iterator[Finding]:
    cat = run.cat
    if cat.stats_age_days is None or cat.stats_age_days < run.opts.unused_index_min_days:
        return
    for rel in cat.tables():
        for ix in rel.indexes:
            if ix.scans == 0 and not ix.unique and not ix.primary and not ix.backs_constraint:
                yield RULE.finding(
                    f"{ix.schema}.{ix.name}", f"index {ix.schema}.{ix.name} on {rel.qualified} was never used",
                    f"pg_stat_user_indexes.idx_scan = 0 over {cat.stats_age_days:.0f} days of statistics",
                    f"drop index concurrently if exists {q(ix.schema)}.{q(ix.name)};  -- check replicas' statistics "
                    "first")


RULE = Rule(
    name="unused_index",
    level=Level.INFO,
    category="performance",
    summary="an index never scanned since statistics were reset (at least 7 days ago)",
    anti_pattern="A non-unique index that backs no constraint with `idx_scan = 0`, when the statistics are at "
                 "least 7 days old (no verdict before).",
    why="It costs on every write and takes space and cache, for nothing — on this server. Replicas keep their own "
        "statistics, and a monthly report may need it: hence info.",
    fix="Check the replicas' statistics and rare jobs, then `drop index concurrently`.",
    bad=LiveExample(TABLE, options={"unused_index_min_days": 0}),
    good=LiveExample(TABLE + "set enable_seqscan = off;\nselect * from vehicles where vin = 'VIN7';\n"
                             "select pg_stat_force_next_flush();", options={"unused_index_min_days": 0}),
    key="unused_index:public.vehicles_vin",
    section="Performance & scalability",
    recommendation="Review indexes never scanned",
    check=check,
)
