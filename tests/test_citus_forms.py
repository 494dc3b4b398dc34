"""The @v1.0 schema is written in forms Citus accepts, checked on plain PostgreSQL (the Citus cluster
itself is `make test-citus`, where Citus is installed):

* no policy contains a sub-select (Citus refuses them on distributed and reference tables);
* no foreign key whose columns include tenant_id sets columns to NULL or DEFAULT on delete (Citus refuses
  actions that would change the distribution column; app.tg_clear_references() does what
  ON DELETE SET NULL (column) did);
* every primary key and unique index of a tenant table includes tenant_id (Citus enforces uniqueness
  within a shard), the audit log of tenant tables included (tables placed 'local' stay on the
  coordinator: audit.auth_events, auth_private);
* no trigger function reads a transition table in a query with a table, except the known ones
  (JOINS_A_TRANSITION_TABLE_YET: every such query is refused on a shard);
* every CREATE TABLE of a deploy script carries no foreign key and is followed by app.distribute_table()
  of that table (a table is distributed before anything references it; its foreign keys come after)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pglast
import psycopg
import pytest
from pglast import ast
from pglast.enums import ConstrType
from pglast.stream import RawStream
from pglast.visitors import Visitor

from motovault.core.plan import load_plan
from motovault.doctor.migrations import parse_statements
from support.databases import ClonedDatabase

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ("app", "audit", "auth_private")


def local_tables() -> set[str]:
    """Tables the deploy scripts place 'local' (they stay on the coordinator, so Citus's rule for the
    unique keys of distributed tables does not apply to them)."""
    plan = load_plan(ROOT)
    found: set[str] = set()
    for change in plan.entries:
        text = plan.script("deploy", change).read_text()
        found.update(re.findall(r"app\.distribute_table\('([a-z_]+\.[a-z_]+)',\s*'local'\)", text))
    return found


def policies_with_a_sub_select(conn: psycopg.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            """
            select format('%s on %s', p.polname, p.polrelid::regclass)
            from pg_policy as p
            where coalesce(p.polqual::text, '') like '%{SUBLINK%'
               or coalesce(p.polwithcheck::text, '') like '%{SUBLINK%'
            order by 1
            """
        ).fetchall()
    ]


def set_null_through_the_tenant_key(conn: psycopg.Connection) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            """
            select format('%s on %s', k.conname, k.conrelid::regclass)
            from pg_constraint as k
            join pg_attribute as a on a.attrelid = k.conrelid and a.attnum = any (k.conkey)
            where k.contype = 'f'
              and k.confdeltype in ('n', 'd')
              and a.attname = 'tenant_id'
            order by 1
            """
        ).fetchall()
    ]


def unique_keys_without_tenant_id(conn: psycopg.Connection, exempt: frozenset[str] | None = None) -> list[str]:
    exempt = frozenset(local_tables()) if exempt is None else exempt
    return [
        row[0]
        for row in conn.execute(
            """
            select i.indexrelid::regclass::text, c.oid::regclass::text
            from pg_index as i
            join pg_class as c on c.oid = i.indrelid
            join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = any (%s)
              and i.indisunique
              and not c.relispartition
              and exists (select from pg_attribute where attrelid = c.oid and attname = 'tenant_id')
              and not exists (
                  select from pg_attribute as a
                  where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum = any (i.indkey::int2[]))
            order by 1
            """,
            (list(SCHEMAS),),
        ).fetchall()
        if row[1] not in exempt
    ]


TRANSITION_TABLES = frozenset({"new_rows", "old_rows"})


def _static_statements(plpgsql: object, found: list[str]) -> list[str]:
    """The SQL text of every static statement of a parsed PL/pgSQL function (pglast.parse_plpgsql)."""
    if isinstance(plpgsql, dict):
        for key, value in plpgsql.items():
            if key == "PLpgSQL_stmt_execsql":
                found.append(value["sqlstmt"]["PLpgSQL_expr"]["query"])
            _static_statements(value, found)
    elif isinstance(plpgsql, list):
        for value in plpgsql:
            _static_statements(value, found)
    return found


class _Relations(Visitor):
    """The names of the relations a statement reads or writes."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        if node.relname:
            self.names.add(node.relname)


def writes_from_a_transition_table(definition: str) -> bool:
    """Whether a trigger function writes (INSERT, UPDATE, DELETE, MERGE, or a CTE that does) in a
    statement that reads a transition table: Citus cannot plan that on a shard. Reading them alone
    into a variable is the way (CONVENTIONS.md, "Triggers")."""
    writes = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)
    for query in _static_statements(pglast.parse_plpgsql(definition), []):
        for raw in pglast.parse_sql(query):
            statement = raw.stmt
            if statement is None or not (isinstance(statement, writes) or _has_modifying_cte(statement)):
                continue
            seen = _Relations()
            seen(statement)
            if seen.names & TRANSITION_TABLES:
                return True
    return False


def _has_modifying_cte(statement: object) -> bool:
    clause = getattr(statement, "withClause", None)
    return clause is not None and any(
        isinstance(cte.ctequery, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)) for cte in clause.ctes or ()
    )


def triggers_writing_from_a_transition_table(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        """
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid)
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        join pg_language as l on l.oid = p.prolang
        where n.nspname = any (%s)
          and p.prorettype = 'trigger'::regtype
          and l.lanname = 'plpgsql'
        order by 1
        """,
        (list(SCHEMAS),),
    ).fetchall()
    return [name for name, definition in rows if writes_from_a_transition_table(definition)]


class _Names(Visitor):
    """The relations a statement names, and the names of its CTEs (which also appear as relations)."""

    def __init__(self) -> None:
        self.relations: set[str] = set()
        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        if node.relname:
            self.relations.add(f"{node.schemaname}.{node.relname}" if node.schemaname else node.relname)

    def visit_CommonTableExpr(self, ancestors: object, node: ast.CommonTableExpr) -> None:
        if node.ctename:
            self.ctes.add(node.ctename)


def _every_query(plpgsql: object, found: list[str]) -> list[str]:
    """The text of every SQL expression of a parsed PL/pgSQL function: statements, FOR loops' queries,
    PERFORM, assignments, conditions."""
    if isinstance(plpgsql, dict):
        for key, value in plpgsql.items():
            if key == "PLpgSQL_expr" and value.get("query"):
                found.append(value["query"])
            _every_query(value, found)
    elif isinstance(plpgsql, list):
        for value in plpgsql:
            _every_query(value, found)
    return found


def _parsed(query: str) -> list[ast.RawStmt]:
    """A PL/pgSQL expression as SQL: as it is, or as the SELECT PL/pgSQL runs it (`x := ...`, `a > b`)."""
    candidates = [query, "select " + query]
    if ":=" in query:
        candidates.append("select " + query.split(":=", 1)[1])
    for text in candidates:
        try:
            return list(pglast.parse_sql(text))
        except pglast.parser.ParseError:
            continue
    return []


def tables_read_with_a_transition_table(definition: str) -> set[str]:
    """The tables a trigger function reads in the same query as one of its transition tables: Citus
    cannot plan such a query on a shard ("executor could not find named tuplestore", or "could not run
    distributed query with complex table expressions"). Empty when every query reads its transition
    tables alone (CONVENTIONS.md, "Triggers")."""
    found: set[str] = set()
    for query in _every_query(pglast.parse_plpgsql(definition), []):
        for raw in _parsed(query):
            names = _Names()
            names(raw)
            if names.relations & TRANSITION_TABLES:
                found |= names.relations - TRANSITION_TABLES - names.ctes
    return found


def triggers_reading_a_transition_table_with_a_table(conn: psycopg.Connection) -> dict[str, list[str]]:
    rows = conn.execute(
        """
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid)
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        join pg_language as l on l.oid = p.prolang
        where n.nspname = any (%s)
          and p.prorettype = 'trigger'::regtype
          and l.lanname = 'plpgsql'
        order by 1
        """,
        (list(SCHEMAS),),
    ).fetchall()
    found = {name: sorted(tables_read_with_a_transition_table(definition)) for name, definition in rows}
    return {name: tables for name, tables in found.items() if tables}


#: trigger functions that still read a transition table in a query with a table (docs/citus.md, "The
#: API on Citus", item 7): on Citus their statements are refused on the shard. A function fixed leaves
#: the list; a new one may not join it.
JOINS_A_TRANSITION_TABLE_YET = {
    "app.tg_energy_sources_keep_fuels()": ["app.fuel_logs"],
    "app.tg_fuel_logs_source_fuel()": ["app.energy_sources"],
}


def test_the_triggers_that_still_join_a_transition_table_with_a_table_are_the_known_ones(
    clone_db: ClonedDatabase,
) -> None:
    with clone_db.connect() as conn:
        assert triggers_reading_a_transition_table_with_a_table(conn) == JOINS_A_TRANSITION_TABLE_YET


def test_the_transition_table_check_reads_loops_performs_assignments_and_conditions() -> None:
    definition = """create function app.tg_probe() returns trigger language plpgsql as $$
        declare t uuid; n int;
        begin
            for t in select o.tenant_id from old_rows as o join app.tenants as k on k.id = o.tenant_id loop
                delete from app.outbox_events where tenant_id = t;
            end loop;
            n := (select count(*) from new_rows as r join app.vehicles as v on v.id = r.vehicle_id);
            perform 1 from new_rows as r join app.stations as s on s.id = r.station_id;
            if exists (select from new_rows as r, app.garages as g where g.id = r.garage_id) then null; end if;
            with mine as (select * from new_rows) select count(*) into n from mine;
            return null;
        end $$"""
    assert tables_read_with_a_transition_table(definition) == {
        "app.tenants", "app.vehicles", "app.stations", "app.garages"}


def test_the_deployed_schema_has_no_form_citus_refuses(clone_db) -> None:  # type: ignore[no-untyped-def]
    with clone_db.connect() as conn:
        assert policies_with_a_sub_select(conn) == []
        assert set_null_through_the_tenant_key(conn) == []
        assert unique_keys_without_tenant_id(conn) == []
        assert triggers_writing_from_a_transition_table(conn) == []
        assert conn.execute(
            "select a.attname "
            "from pg_index as i "
            "join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0] "
            "where i.indrelid = 'audit.record_version'::regclass and i.indisprimary"
        ).fetchone() == ("tenant_id",)


@pytest.mark.parametrize(
    "breakage, finder, expected",
    [
        ("create policy leaky on app.garages for select to app_user "
         "using (tenant_id in (select m.tenant_id from app.memberships as m))",
         policies_with_a_sub_select, ["leaky on app.garages"]),
        ("alter table app.vehicles drop constraint vehicles_garage_fk, add constraint vehicles_garage_fk "
         "foreign key (tenant_id, garage_id) references app.garages (tenant_id, id) on delete set null (garage_id)",
         set_null_through_the_tenant_key, ["vehicles_garage_fk on app.vehicles"]),
        ("create unique index garages_name_everywhere on app.garages (name)",
         unique_keys_without_tenant_id, ["app.garages_name_everywhere"]),
        ("create function app.tg_copy_names() returns trigger language plpgsql as $$ begin "
         "insert into app.garages (tenant_id, name) select n.tenant_id, n.name || ' 2' from new_rows as n; "
         "return null; end $$",
         triggers_writing_from_a_transition_table, ["app.tg_copy_names()"]),
        ("create function app.tg_copy_names() returns trigger language plpgsql as $$ begin "
         "with made as (insert into app.garages (tenant_id, name) select o.tenant_id, o.name from old_rows as o "
         "returning 1) select count(*) from made; return null; end $$",
         triggers_writing_from_a_transition_table, ["app.tg_copy_names()"]),
    ],
)
def test_each_check_sees_the_form_it_is_about(
    clone_db: ClonedDatabase, breakage: str, finder: Callable[[psycopg.Connection], list[str]], expected: list[str]
) -> None:
    with clone_db.connect() as conn:
        assert finder(conn) == []
        conn.execute(breakage)
        assert finder(conn) == expected


def _table_forms(script: Path) -> list[str]:
    """Problems with the CREATE TABLE statements of one deploy script."""
    problems: list[str] = []
    statements = parse_statements(script.read_text())
    for index, st in enumerate(statements):
        node = st.node
        if not isinstance(node, ast.CreateStmt) or node.relation is None or node.partbound is not None:
            continue
        schema = node.relation.schemaname or ""
        if schema not in SCHEMAS:
            continue
        table = f"{schema}.{node.relation.relname}"
        inline_fks = [
            c for element in node.tableElts or ()
            for c in (
                [element] if isinstance(element, ast.Constraint) else list(getattr(element, "constraints", None) or ())
            )
            if isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_FOREIGN
        ]
        if inline_fks:
            problems.append(f"{script.name}:{st.line}: CREATE TABLE {table} declares a foreign key")
        distributed = False
        for later in statements[index + 1:]:
            text = RawStream()(later.node).lower() if later.node is not None else ""
            if isinstance(later.node, ast.SelectStmt) and f"app.distribute_table('{table}'" in text:
                distributed = True
                break
            if isinstance(later.node, (ast.AlterTableStmt, ast.CreateStmt)) and table in text and "foreign key" in text:
                break
        if not distributed:
            problems.append(f"{script.name}:{st.line}: CREATE TABLE {table} is not followed by "
                            f"app.distribute_table('{table}', ...) before a foreign key names it")
    return problems


def test_every_table_is_created_without_foreign_keys_and_distributed_before_they_are_added() -> None:
    plan = load_plan(ROOT)
    problems = [p for change in plan.entries for p in _table_forms(plan.script("deploy", change))]
    assert problems == []


def test_the_script_check_sees_a_table_with_an_inline_foreign_key(tmp_path: Path) -> None:
    script = tmp_path / "bad.sql"
    script.write_text(
        "begin;\ncreate table app.bad (tenant_id uuid not null references app.tenants (id), id uuid not null);\n"
        "create table app.undistributed (tenant_id uuid not null, id uuid not null);\n"
        "alter table app.undistributed add constraint undistributed_tenant_fk foreign key (tenant_id) "
        "references app.tenants (id);\n"
        "commit;\n")
    problems = _table_forms(script)
    assert any("app.bad declares a foreign key" in p for p in problems), problems
    assert any("app.undistributed is not followed by app.distribute_table" in p for p in problems), problems
