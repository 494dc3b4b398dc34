from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import TIME_TYPES, is_event_like, q, qn
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

TABLE = "create table vehicle_events (id int primary key, created_at timestamptz not null);\n"
ROWS = "insert into vehicle_events select g, now() from generate_series(1, 100) g;\nanalyze vehicle_events;"


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        rows = rel.rows
        if rel.kind == "p" or rows is None or rows < run.opts.large_table_rows or not is_event_like(rel):
            continue
        by_num = {c.num: c for c in rel.columns}
        time_indexed = any(ix.valid and ix.keys and ix.keys[0] in by_num and by_num[ix.keys[0]].base_type in TIME_TYPES
                           for ix in rel.indexes)
        if time_indexed:
            continue
        tcol = next((c.name for c in rel.columns if c.base_type in TIME_TYPES), "created_at")
        large = run.opts.large_table_rows
        yield RULE.finding(
            rel.qualified, f"{rel.qualified}: event-like table with {rows:,} rows, neither partitioned nor "
                           "time-indexed",
            f"{'exact' if rel.exact_rows is not None else 'estimated'} rows {rows:,} >= {large:,}; "
            "no partitioning, no index led by a time column",
            f"create index concurrently if not exists {q(rel.name + '_' + tcol + '_brin')} on {qn(rel)} using brin "
            f"({q(tcol)});"
            "  -- or move it to a table partitioned by range on time")


RULE = Rule(
    name="large_event_table",
    level=Level.WARNING,
    category="performance",
    summary="a large event-like table neither partitioned nor indexed on time",
    anti_pattern="An event-like table (its name says event, log, audit, history, metric, ...) with at least "
                 "`--large-table-rows` rows (1,000,000 by default) that is not partitioned and has no index led by "
                 "a time column.",
    why="Such tables only grow, and almost every query reads a recent time window: without partitions or a time "
        "index, each one scans everything, and retention means a DELETE of millions of rows instead of dropping a "
        "partition.",
    fix="Partition by range on time (and drop old partitions for retention), or at least a BRIN index on the time "
        "column (tiny, built concurrently).",
    bad=LiveExample(TABLE + ROWS, options={"large_table_rows": 50}),
    good=LiveExample(TABLE + "create index vehicle_events_created_at_brin on vehicle_events using brin (created_at);\n"
                     + ROWS, options={"large_table_rows": 50}),
    key="large_event_table:public.vehicle_events",
    section="Performance & scalability",
    recommendation="Partition large event tables by time or index them on time (BRIN)",
    check=check,
)
