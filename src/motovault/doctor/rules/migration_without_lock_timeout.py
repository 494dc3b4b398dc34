from __future__ import annotations

from ..events import TableLocked
from ..locks import LockMode
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_locked(ctx: RuleContext, e: TableLocked) -> None:
    w, target, key = ctx.walker, e.target, e.table
    if w.lock_timeout.value is not None or target.mode < LockMode.SHARE:
        return  # a lock weaker than SHARE stops no reads or writes while it waits
    if not ctx.first_in_file(key):
        return
    line = e.line
    set_it = "set local lock_timeout = '5s';" if w.in_transaction else "set lock_timeout = '5s';"
    where = "first statement after begin" if w.in_transaction else "first statement of the script"
    ctx.report(key, line,
               f"Migration {w.file}: {target.what} locks existing table {key} ({target.mode.label}) without a "
               "lock_timeout",
               f"{key} is {e.where}; line {line} waits for its {target.mode.label} lock behind every transaction "
               f"that uses {key} (a long analyst query, an idle-in-transaction session) for as long as they run, "
               f"and meanwhile every new query that needs {key} for {target.mode.stops} queues behind it",
               f"{set_it}  -- before line {line} ({where}); "
               "the deploy then fails fast when the lock is busy, nothing is applied, and it can be retried "
               "(motovault db deploy retries by itself)")


RULE = Rule(
    name="migration_without_lock_timeout",
    level=Level.WARNING,
    category="operations",
    summary="a statement locks an existing table (SHARE or stronger) with no lock_timeout set before it",
    anti_pattern=(
        "A statement that must wait for a lock blocking writes on a table of an earlier migration — ALTER TABLE of "
        "any kind, CREATE INDEX without CONCURRENTLY, CREATE/DROP TRIGGER, CREATE/ALTER/DROP POLICY, renames, "
        "TRUNCATE, LOCK, a new table's foreign key (it locks the table it references) — with no "
        "`set [local] lock_timeout` (or `set_config('lock_timeout', ...)`) earlier in the same file."
    ),
    why=(
        "The statement queues behind every transaction using the table — a long report, a session idle in "
        "transaction — for as long as they run; while it waits, every new query needing the table queues behind "
        "it. One slow reader turns a millisecond migration into an outage."
    ),
    fix="`set local lock_timeout = '5s';` right after `begin;` (`set lock_timeout` in a script without a "
        "transaction), before the first such statement: the deploy then fails fast when the lock is busy, nothing "
        "is applied, and it can be retried.",
    bad=MigrationExample({"001.sql": BASE, "002.sql": "begin;\nalter table vehicles add column label "
                                                      "text;\ncommit;\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "begin;\nset local lock_timeout = '5s';\n"
                                                       "alter table vehicles add column label text;\ncommit;\n"}),
    key="migration_without_lock_timeout:002.sql:vehicles",
    section="Migrations & operations",
    recommendation="Set lock_timeout in every migration that locks a live table",
    on={TableLocked: on_locked},
)
