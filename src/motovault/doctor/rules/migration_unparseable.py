from __future__ import annotations

from ..events import StatementUnparseable
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_unparseable(ctx: RuleContext, e: StatementUnparseable) -> None:
    st, w = e.statement, ctx.walker
    ctx.report(f"line {st.line}", st.line, f"Migration {w.file}: statement the parser cannot read (line {st.line})",
               f"{st.error}: {st.text}", "fix the syntax; the doctor reads PostgreSQL's own grammar (pglast)")


RULE = Rule(
    name="migration_unparseable",
    level=Level.ERROR,
    category="operations",
    summary="a statement PostgreSQL's parser rejects",
    anti_pattern="A statement of a migration file that PostgreSQL's own grammar (pglast) cannot parse "
                 "(psql meta-commands are stripped first).",
    why="PostgreSQL will reject it too: the migration fails when it is deployed. The doctor cannot lint what it "
        "cannot read either; it goes on with the next statement.",
    fix="Fix the syntax: the finding quotes the parser's error and the statement. Run the file against a "
        "scratch database (`psql -v ON_ERROR_STOP=1 -f file.sql`) to see it fail the same way.",
    bad=MigrationExample({"001.sql": BASE + "create tabel oops (id int);\n"}),
    good=MigrationExample({"001.sql": BASE + "create table oops (id int primary key, tenant_id uuid not null);\n"}),
    key="migration_unparseable:001.sql:line 2",
    section="Migrations & operations",
    recommendation="Fix migration statements PostgreSQL cannot parse",
    on={StatementUnparseable: on_unparseable},
)
