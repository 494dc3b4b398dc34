from __future__ import annotations

from pglast import ast

from ..events import TableCreated
from ..heuristics import OWNER_COLUMNS
from ..model import Level
from ..rule import MigrationExample, Rule
from ..walker import RuleContext

BASE = "create table vehicles (id uuid primary key, tenant_id uuid not null, vin text);\n"


def on_table_created(ctx: RuleContext, e: TableCreated) -> None:
    t, node, w = e.table, e.node, ctx.walker
    temporary = node.relation is not None and node.relation.relpersistence == "t"
    if t.has_tenant or node.partbound is not None or temporary:
        return  # a partition inherits its parent's columns; temp tables are not schema
    tenant_refs = []
    for ref in e.references:
        schema, _, name = ref.rpartition(".")
        target = w.lookup(ast.RangeVar(relname=name, schemaname=schema or None))
        if target is not None and target.has_tenant:
            tenant_refs.append(ref)
    owners = sorted(t.columns & set(OWNER_COLUMNS))
    if tenant_refs or owners:
        why = (f"references tenant table(s) {', '.join(tenant_refs)}" if tenant_refs
               else f"owner-like column(s) {', '.join(owners)}")
        level = Level.WARNING
    else:
        why, level = "no tenant_id column (fine for a shared/reference table)", Level.INFO
    ctx.report(t.key, e.line, f"Migration {w.file}: Table created without tenant_id for multi-tenancy ({t.key})", why,
               f"create table {t.key} (tenant_id uuid not null, ...);  -- lead its primary and foreign keys with "
               "tenant_id",
               level=level)


RULE = Rule(
    name="migration_table_without_tenant_id",
    level=Level.WARNING,
    also_levels=(Level.INFO,),
    level_note="info for a table that neither references a tenant table nor has an owner-like column "
               "(a shared or reference table, most likely)",
    category="multi-tenancy",
    summary="a migration creates a table without tenant_id",
    anti_pattern="`CREATE TABLE` (also `CREATE TABLE IF NOT EXISTS` of a table the set creates for the first time) "
                 "without a tenant column (`tenant_id`, `org_id`, ...), for a table that references a tenant table "
                 "or has an owner-like column (`user_id`, `owner_id`, `created_by`, ...).",
    why=(
        "Rows of user data that do not carry their tenant cannot be isolated by a row level security policy "
        "comparing `tenant_id`, cannot lead their keys with it (a foreign key may then point into another "
        "tenant), and cannot be distributed by tenant later. Adding the column afterwards means a backfill of "
        "every row."
    ),
    fix="`tenant_id uuid not null` in the table, leading its primary key and every foreign key to another tenant "
        "table: `primary key (tenant_id, id)`, `foreign key (tenant_id, vehicle_id) references vehicles (tenant_id, "
        "id)`.",
    bad=MigrationExample({"001.sql": BASE,
                          "002.sql": "create table reminders (id uuid primary key, vehicle_id uuid references "
                                     "vehicles (id));\n"}),
    good=MigrationExample({"001.sql": BASE, "002.sql": "create table reminders (tenant_id uuid not null, id uuid,"
                                                       " vehicle_id uuid, primary key (tenant_id, id));\n"}),
    key="migration_table_without_tenant_id:002.sql:reminders",
    section="Immediate priorities",
    recommendation="Implement multi-tenancy: add tenant_id to every user-data table and lead keys with it",
    on={TableCreated: on_table_created},
)
