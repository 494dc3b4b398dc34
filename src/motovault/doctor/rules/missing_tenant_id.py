from __future__ import annotations

from collections.abc import Iterator

from ..heuristics import is_user_data, qn, tenant_column
from ..model import Finding, Level
from ..rule import LiveExample, LiveRun, Rule

TENANTS = "create table tenants (id uuid primary key, name text not null);\n"
VEHICLES = ("create table vehicles (tenant_id uuid not null references tenants, id uuid, vin text,"
            " primary key (tenant_id, id));\n")


def check(run: LiveRun) -> Iterator[Finding]:
    for rel in run.cat.tables():
        if tenant_column(rel):
            continue
        user_data, why = is_user_data(rel, run.cat)
        if user_data:
            yield RULE.finding(
                rel.qualified, f"{rel.qualified}: user data without tenant_id for multi-tenancy isolation", why,
                f"alter table {qn(rel)} add column tenant_id uuid;  -- backfill from the parent row, then:\n"
                f"alter table {qn(rel)} alter column tenant_id set not null;  -- and lead its primary and foreign keys "
                "with tenant_id")


RULE = Rule(
    name="missing_tenant_id",
    level=Level.WARNING,
    category="multi-tenancy",
    summary="a user-data table (it references a tenant table or has an owner-like column) without tenant_id",
    anti_pattern="A table without a tenant column (`tenant_id`, `org_id`, ...) that has a foreign key to a table "
                 "with one, or an owner-like column (`user_id`, `owner_id`, `created_by`, ...).",
    why="Its rows belong to a tenant, but nothing on the row says which: row level security cannot filter them "
        "directly, keys cannot lead with the tenant (a reference may cross tenants), and the table cannot be "
        "distributed by tenant.",
    fix="Add `tenant_id`, backfill it from the parent row, set it NOT NULL, lead the primary key and every foreign "
        "key with it.",
    bad=LiveExample(TENANTS + VEHICLES.replace("primary key (tenant_id, "
                                               "id)", "primary key (tenant_id, id), unique (id)")
                    + "create table reminders (id uuid primary key, vehicle_id uuid references vehicles (id), title "
                      "text);"),
    good=LiveExample(TENANTS + VEHICLES + "create table reminders (tenant_id uuid not null, id uuid, vehicle_id uuid,"
                                          " title text, primary key (tenant_id, id),"
                                          " foreign key (tenant_id, vehicle_id) references vehicles);"),
    key="missing_tenant_id:public.reminders",
    section="Immediate priorities",
    recommendation="Implement multi-tenancy: add tenant_id to every user-data table and lead keys with it",
    check=check,
)
