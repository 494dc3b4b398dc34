"""Lints on the live catalog. Each lint is a function Catalog -> findings."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import psycopg

from .catalog import Catalog, Column, Function, Relation, builtin_volatility
from .model import Finding, Level
from .policies import analyse_predicate, sql_function_inlinable

TENANT_COLUMNS = ("tenant_id", "org_id", "organization_id", "organisation_id")
#: columns that say "this row belongs to a person or an account": user data
OWNER_COLUMNS = ("user_id", "owner_id", "created_by", "updated_by", "customer_id", "account_id", "member_id", "profile_id")
#: synonyms: the first present is the canonical one, every other present member is a twin
TWIN_GROUPS: tuple[tuple[str, ...], ...] = (
    ("display_name", "label", "nickname", "alias", "friendly_name"),
    ("created_at", "created_on", "creation_date", "date_created", "inserted_at"),
    ("updated_at", "modified_at", "updated_on", "last_modified", "modified_on", "date_modified"),
    ("deleted_at", "is_deleted", "deleted", "removed_at"),
    ("email", "email_address", "e_mail"),
    ("phone", "phone_number", "telephone", "tel", "mobile"),
    ("odometer", "mileage", "odometer_reading", "current_mileage"),
    ("postal_code", "zip", "zip_code", "postcode"),
    ("description", "desc", "descr"),
)
ENUM_LIKE = re.compile(
    r"^(status|state|type|kind|category|role|level|priority|stage|mode|gender|currency|unit|fuel|fuel_type|interval_unit)$"
    r"|_(status|state|type|kind|category|role|level|priority|stage|mode|unit|currency)$"
)
MONEY_LIKE = re.compile(r"(price|cost|amount|total|fee|balance|charge|tax|paid|salary|money|budget|spend|refund)")
EVENT_LIKE = re.compile(r"(event|log|audit|history|activit|metric|telemetr|reading|tracking|message|notification|ping)")
TIME_TYPES = {"timestamptz", "timestamp", "date"}
TEXT_TYPES = {"text", "varchar", "bpchar", "citext", "name"}


@dataclass
class LiveOptions:
    large_table_rows: int = 1_000_000
    unused_index_min_days: float = 7.0


def _f(lint: str, level: Level, category: str, obj: str, message: str, evidence: str, remediation: str) -> Finding:
    return Finding(lint=lint, level=level, category=category, object=obj, message=message, evidence=evidence,
                   remediation=remediation)


def q(ident: str) -> str:
    return ident if re.fullmatch(r"[a-z_][a-z0-9_]*", ident) else '"' + ident.replace('"', '""') + '"'


def qn(rel: Relation) -> str:
    return f"{q(rel.schema)}.{q(rel.name)}"


def tenant_column(rel: Relation) -> Column | None:
    for name in TENANT_COLUMNS:
        c = rel.column(name)
        if c:
            return c
    return None


def is_event_like(rel: Relation) -> bool:
    return bool(EVENT_LIKE.search(rel.name)) or rel.schema == "audit"


def is_user_data(rel: Relation, cat: Catalog) -> tuple[bool, str]:
    """Heuristic: a table holds user data when it points at a tenant table or has owner-like columns."""
    for con in rel.constraints:
        if con.type == "f" and con.ref_table in cat.relations:
            target = cat.relations[con.ref_table]
            if target.oid != rel.oid and tenant_column(target):
                return True, f"foreign key {con.name} references tenant table {target.qualified}"
    owners = [c.name for c in rel.columns if c.name in OWNER_COLUMNS]
    if owners:
        return True, f"owner-like column(s): {', '.join(owners)}"
    return False, ""


# --- the report's own checks ------------------------------------------------------------------


def lint_timestamps(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        names = {c.name for c in rel.columns}
        if is_event_like(rel):
            # append-only: one not-null timestamptz saying when it happened is enough
            if any(c.base_type == "timestamptz" and c.not_null for c in rel.columns):
                continue
            missing = ["created_at"]
        else:
            missing = [n for n in ("created_at", "updated_at") if n not in names]
        if missing:
            cols = ", ".join(f"add column {m} timestamptz not null default now()" for m in missing)
            yield _f("missing_timestamps", Level.WARNING, "operations", rel.qualified,
                     f"{rel.qualified}: missing {'/'.join(missing)} timestamps",
                     f"columns: {', '.join(sorted(names)) or '(none)'}",
                     f"alter table {qn(rel)} {cols};" + ("" if missing == ["created_at"] else "  -- and a BEFORE UPDATE trigger setting updated_at = now()"))


def lint_tenant_id(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        if tenant_column(rel):
            continue
        user_data, why = is_user_data(rel, cat)
        if user_data:
            yield _f("missing_tenant_id", Level.WARNING, "multi-tenancy", rel.qualified,
                     f"{rel.qualified}: user data without tenant_id for multi-tenancy isolation", why,
                     f"alter table {qn(rel)} add column tenant_id uuid;  -- backfill from the parent row, then:\n"
                     f"alter table {qn(rel)} alter column tenant_id set not null;  -- and lead its primary and foreign keys with tenant_id")


def lint_soft_delete(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        if rel.column("deleted_at") or is_event_like(rel):
            continue
        user_data = tenant_column(rel) is not None or is_user_data(rel, cat)[0]
        if user_data:
            yield _f("missing_soft_delete", Level.INFO, "operations", rel.qualified,
                     f"{rel.qualified}: no soft delete capability (deleted_at)",
                     "user-data table without a deleted_at column",
                     f"alter table {qn(rel)} add column deleted_at timestamptz;  -- views filter deleted_at is null")


def lint_twin_columns(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.relations.values():
        if not rel.is_table or rel.is_partition:
            continue
        names = {c.name for c in rel.columns}
        for group in TWIN_GROUPS:
            present = [n for n in group if n in names]
            if len(present) < 2:
                continue
            canonical = present[0]
            for twin in present[1:]:
                yield _f("twin_columns", Level.WARNING, "naming", f"{rel.qualified}.{twin}",
                         f"{rel.qualified}: inconsistent naming - both '{twin}' and '{canonical}' columns exist",
                         f"synonyms present: {', '.join(present)}",
                         f"update {qn(rel)} set {q(canonical)} = coalesce({q(canonical)}, {q(twin)});\n"
                         f"alter table {qn(rel)} drop column {q(twin)};  -- after clients stop using it")


# --- integrity --------------------------------------------------------------------------------


def lint_primary_key(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        if not any(c.type == "p" for c in rel.constraints):
            uniques = [c.name for c in rel.constraints if c.type == "u"]
            yield _f("no_primary_key", Level.WARNING, "integrity", rel.qualified,
                     f"{rel.qualified} has no primary key",
                     "no PRIMARY KEY constraint" + (f" (unique: {', '.join(uniques)})" if uniques else ""),
                     f"alter table {qn(rel)} add primary key (...);  -- logical replication and updatable views need one")


_NOT_NULL_TERM = re.compile(r"^\(*\s*\"?([a-z_][a-z0-9_$]*)\"?\s+IS\s+NOT\s+NULL\s*\)*$", re.I)


def _serves_fk_lookups(predicate: str | None, names: set[str]) -> bool:
    """A partial index serves the lookups of a foreign key when its predicate only says that some
    of the key's columns are not null: a lookup `col = $1` implies it."""
    if predicate is None:
        return True
    terms = re.split(r"\s+AND\s+", predicate.strip(), flags=re.I)
    for term in terms:
        m = _NOT_NULL_TERM.match(term.strip())
        if not m or m.group(1) not in names:
            return False
    return True


def _fk_indexed(rel: Relation, cols: list[int]) -> bool:
    want = set(cols)
    names = set(rel.column_names(cols))
    for ix in rel.indexes:
        if (ix.valid and len(ix.keys) >= len(cols) and set(ix.keys[: len(cols)]) == want
                and _serves_fk_lookups(ix.predicate, names)):
            return True
    return False


ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def lint_foreign_keys(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        for con in rel.constraints:
            if con.type != "f":
                continue
            cols = rel.column_names(con.columns)
            obj = f"{rel.qualified}.{con.name}"
            target = cat.relations.get(con.ref_table) if con.ref_table else None
            tname = target.qualified if target else str(con.ref_table)
            if not _fk_indexed(rel, con.columns):
                yield _f("fk_without_index", Level.WARNING, "performance", obj,
                         f"{rel.qualified}: foreign key {con.name} ({', '.join(cols)}) has no index",
                         f"{con.definition}; no valid, non-partial index leads with ({', '.join(cols)})",
                         f"create index concurrently if not exists {q(rel.name + '_' + '_'.join(cols) + '_idx')} "
                         f"on {qn(rel)} ({', '.join(q(c) for c in cols)});")
            by_num = {c.num: c for c in rel.columns}
            nullable = [by_num[n].name for n in con.columns if n in by_num and not by_num[n].not_null]
            if nullable:
                yield _f("nullable_fk", Level.INFO, "integrity", obj,
                         f"{rel.qualified}: foreign key {con.name} is optional ({', '.join(nullable)} nullable)",
                         f"{con.definition}; nullable: {', '.join(nullable)}"
                         + ("; MATCH SIMPLE: the key is not checked when any column is null" if len(con.columns) > 1 else ""),
                         f"alter table {qn(rel)} alter column {q(nullable[0])} set not null;  -- if the relation is mandatory")
            if con.on_delete == "a":
                yield _f("fk_default_on_delete", Level.INFO, "integrity", obj,
                         f"{rel.qualified}: foreign key {con.name} to {tname} has no explicit ON DELETE",
                         f"{con.definition} (ON DELETE NO ACTION, the default)",
                         f"alter table {qn(rel)} drop constraint {q(con.name)}, add constraint {q(con.name)} "
                         f"foreign key (...) references ... on delete restrict;  -- or cascade / set null, on purpose")


def _checked_columns(rel: Relation) -> set[int]:
    out: set[int] = set()
    for con in rel.constraints:
        if con.type in ("c", "f"):
            out.update(con.columns)
    return out


def lint_enum_like(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        checked = _checked_columns(rel)
        for c in rel.columns:
            if c.base_type in TEXT_TYPES and not c.domain_checked and ENUM_LIKE.search(c.name) and c.num not in checked:
                yield _f("enum_without_check", Level.WARNING, "integrity", f"{rel.qualified}.{c.name}",
                         f"{rel.qualified}.{c.name}: enum-like {c.type} column without CHECK or foreign key",
                         f"{c.name} {c.type}; no CHECK or FOREIGN KEY constraint covers it",
                         f"alter table {qn(rel)} add constraint {q(rel.name + '_' + c.name + '_valid')} "
                         f"check ({q(c.name)} in (...)) not valid;  -- then VALIDATE CONSTRAINT")


def lint_jsonb(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        checked = {n for con in rel.constraints if con.type == "c" for n in con.columns}
        validating = [t.name for t in rel.triggers if t.row and t.before_or_instead and (t.on_insert or t.on_update)]
        for c in rel.columns:
            if c.base_type in ("jsonb", "json") and not c.domain_checked and c.num not in checked and not validating:
                yield _f("jsonb_without_validation", Level.WARNING, "integrity", f"{rel.qualified}.{c.name}",
                         f"{rel.qualified}.{c.name}: {c.type} column without any validation",
                         "no CHECK constraint on the column, no validating domain, no BEFORE INSERT/UPDATE row trigger",
                         f"alter table {qn(rel)} add constraint {q(rel.name + '_' + c.name + '_shape')} "
                         f"check (jsonb_typeof({q(c.name)}) = 'object' and {q(c.name)} ? '...') not valid;")


def lint_timestamp_tz(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        for c in rel.columns:
            if c.base_type == "timestamp":
                yield _f("timestamp_without_time_zone", Level.WARNING, "integrity", f"{rel.qualified}.{c.name}",
                         f"{rel.qualified}.{c.name} is timestamp without time zone",
                         f"{c.name} {c.type}: the instant depends on the writer's TimeZone",
                         f"alter table {qn(rel)} alter column {q(c.name)} type timestamptz using {q(c.name)} at time zone 'UTC';")


def lint_money_float(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        for c in rel.columns:
            if (c.base_type in ("float4", "float8") and MONEY_LIKE.search(c.name)) or c.base_type == "money":
                yield _f("money_in_float", Level.WARNING, "integrity", f"{rel.qualified}.{c.name}",
                         f"{rel.qualified}.{c.name}: money stored as {c.type}",
                         f"{c.name} {c.type}: binary floating point (or locale-dependent money) cannot hold cents exactly",
                         f"alter table {qn(rel)} alter column {q(c.name)} type numeric(12,2);  -- with a currency column")


# --- security ---------------------------------------------------------------------------------


def lint_rls(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        tc = tenant_column(rel)
        if tc and not rel.rls:
            yield _f("rls_disabled", Level.ERROR, "security", rel.qualified,
                     f"{rel.qualified} has {tc.name} but row level security is disabled",
                     "relrowsecurity = false: every role with a grant sees every tenant's rows",
                     f"alter table {qn(rel)} enable row level security, force row level security;")
        elif tc and not rel.rls_forced:
            yield _f("rls_not_forced", Level.WARNING, "security", rel.qualified,
                     f"{rel.qualified}: row level security is not forced (the owner bypasses it)",
                     "relforcerowsecurity = false",
                     f"alter table {qn(rel)} force row level security;")
        if rel.rls and not rel.policies:
            yield _f("rls_no_policy", Level.WARNING, "security", rel.qualified,
                     f"{rel.qualified}: row level security enabled but no policy (nobody but the owner reads it)",
                     "relrowsecurity = true, 0 policies",
                     f"create policy tenant_isolation on {qn(rel)} using (tenant_id = app.current_tenant_id());")


def _policy_obj(rel: Relation, pol_name: str) -> str:
    return f"{rel.qualified}/{pol_name}"


def lint_policy_predicates(cat: Catalog, opts: LiveOptions, conn: psycopg.Connection | None = None) -> Iterator[Finding]:
    by_name: dict[tuple[str | None, str], list[Function]] = defaultdict(list)
    builtin_cache: dict[str, str | None] = {}
    inline_cache: dict[int, tuple[bool, str]] = {}
    for rel in cat.tables():
        tc = tenant_column(rel)
        if not tc or not rel.policies:
            continue
        for pol in rel.policies:
            if not pol.permissive:
                continue
            obj = _policy_obj(rel, pol.name)
            local = {cat.functions[o].name: cat.functions[o] for o in pol.functions if o in cat.functions}
            exprs = [("using", pol.using), ("with check", pol.with_check)]
            exprs = [(k, e) for k, e in exprs if e is not None]
            if not exprs:
                continue
            for clause, expr in exprs:
                shape = analyse_predicate(expr, (tc.name,))
                if not shape.parsed:
                    continue
                if not shape.comparisons:
                    yield _f("rls_policy_without_tenant_predicate", Level.WARNING, "security", f"{obj}/{clause}",
                             f"policy {pol.name} on {rel.qualified}: {clause} does not compare {tc.name} directly",
                             f"{clause} ({expr})",
                             f"alter policy {q(pol.name)} on {qn(rel)} {clause} ({tc.name} = app.current_tenant_id());")
                    continue
                cmp = shape.comparisons[0]
                problems: list[str] = []
                if cmp.column_wrapped:
                    problems.append(f"{tc.name} is cast, so no index on it applies")
                if cmp.subquery_kind == "set":
                    problems.append("compares with a set sub-select (IN/ANY/EXISTS): a join per scan, and Citus refuses sub-selects in policies")
                elif cmp.subquery_kind == "scalar":
                    problems.append("uses a scalar sub-select: an InitPlan in PostgreSQL, but Citus refuses sub-selects in policies")
                for schema, fname in cmp.functions:
                    fn = local.get(fname)
                    if fn is None:
                        vol = builtin_volatility(conn, fname, builtin_cache) if conn is not None else None
                        if vol == "v":
                            problems.append(f"{fname}() is VOLATILE: evaluated per row, never an index condition")
                        continue
                    if fn.volatility == "v":
                        problems.append(f"{fn.schema}.{fn.signature} is VOLATILE: evaluated per row, never an index condition")
                        continue
                    if fn.language != "sql":
                        problems.append(f"{fn.schema}.{fn.signature} is LANGUAGE {fn.language}, not an inlinable SQL function")
                        continue
                    if fn.security_definer or fn.config or fn.returns_set:
                        why = "SECURITY DEFINER" if fn.security_definer else ("has SET options" if fn.config else "returns a set")
                        problems.append(f"{fn.schema}.{fn.signature} {why}: PostgreSQL does not inline it")
                        continue
                    if not fn.sql_body:
                        if fn.oid not in inline_cache:
                            inline_cache[fn.oid] = sql_function_inlinable(fn.source)
                        ok, why = inline_cache[fn.oid]
                        if not ok:
                            problems.append(f"{fn.schema}.{fn.signature} is not inlinable: {why}")
                if problems:
                    level = Level.INFO if problems and all("scalar sub-select" in p for p in problems) else Level.WARNING
                    yield _f("rls_predicate_not_indexable", level, "security", f"{obj}/{clause}",
                             f"policy {pol.name} on {rel.qualified}: tenant predicate cannot become an index condition",
                             f"{clause} ({expr}): " + "; ".join(problems),
                             f"alter policy {q(pol.name)} on {qn(rel)} {clause} ({tc.name} = app.current_tenant_id());"
                             "  -- a LANGUAGE sql STABLE helper whose body is one 'select <expression>'")
                elif not any(ix.valid and not ix.partial and ix.keys and ix.keys[0] == tc.num for ix in rel.indexes):
                    yield _f("rls_predicate_no_index", Level.WARNING, "performance", f"{obj}/{clause}",
                             f"policy {pol.name} on {rel.qualified}: no index is led by {tc.name}",
                             f"{clause} ({expr}); indexes: {', '.join(ix.name for ix in rel.indexes) or 'none'}",
                             f"create index concurrently if not exists {q(rel.name + '_' + tc.name + '_idx')} on {qn(rel)} ({q(tc.name)});"
                             "  -- better: lead the primary key with it")


def lint_multiple_permissive(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    expand = {"*": "rawd", "r": "r", "a": "a", "w": "w", "d": "d"}
    names = {"r": "select", "a": "insert", "w": "update", "d": "delete"}
    for rel in cat.tables():
        seen: dict[tuple[str, str], list[str]] = defaultdict(list)
        named = {r for pol in rel.policies for r in pol.roles if r != "public"}
        for pol in rel.policies:
            if pol.permissive:
                # a policy TO public applies to every role as well
                roles = set(pol.roles) | (named if "public" in pol.roles else set())
                for role in roles:
                    for cmd in expand[pol.command]:
                        seen[(role, cmd)].append(pol.name)
        for (role, cmd), pols in sorted(seen.items()):
            if len(pols) > 1:
                yield _f("multiple_permissive_policies", Level.WARNING, "performance",
                         f"{rel.qualified}/{role}/{names[cmd]}",
                         f"{rel.qualified}: {len(pols)} permissive policies for role {role} and {names[cmd]}",
                         f"policies {', '.join(sorted(pols))}: every one is evaluated and OR-ed for each row",
                         "merge them into one policy per role and command (or make the extra ones AS RESTRICTIVE)")


def _rls_behind(cat: Catalog, oid: int, seen: set[int]) -> set[str]:
    """RLS tables a view reads, through other views too (an inner invoker view runs as the outer's owner)."""
    out: set[str] = set()
    for dep in cat.relations[oid].depends_on:
        if dep in seen or dep not in cat.relations:
            continue
        seen.add(dep)
        rel = cat.relations[dep]
        if rel.rls:
            out.add(rel.qualified)
        if rel.kind in ("v", "m"):
            out |= _rls_behind(cat, dep, seen)
    return out


def lint_views(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for view in cat.views():
        if view.kind != "v":
            continue
        invoker = any(o.lower() in ("security_invoker=true", "security_invoker=on", "security_invoker=1") for o in view.options)
        if invoker:
            continue
        rls_tables = sorted(_rls_behind(cat, view.oid, set()))
        if rls_tables:
            yield _f("view_bypasses_rls", Level.ERROR, "security", view.qualified,
                     f"view {view.qualified} reads RLS tables with its owner's rights (not security_invoker)",
                     f"reads {', '.join(rls_tables)}; owner {view.owner}",
                     f"alter view {qn(view)} set (security_invoker = true);")


def lint_functions(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for fn in sorted(cat.functions.values(), key=lambda f: (f.schema, f.signature)):
        if fn.schema not in cat.schemas:
            continue
        obj = f"{fn.schema}.{fn.signature}"
        if fn.security_definer and not any(c.startswith("search_path=") for c in fn.config):
            yield _f("security_definer_search_path", Level.ERROR, "security", obj,
                     f"SECURITY DEFINER function {obj} has no fixed search_path",
                     "prosecdef = true, proconfig has no search_path: a caller can shadow any object it names",
                     f"alter function {q(fn.schema)}.{fn.signature} set search_path = pg_catalog, pg_temp;")
        if fn.public_execute and fn.return_type not in ("trigger", "event_trigger"):
            yield _f("function_public_execute", Level.ERROR if fn.security_definer else Level.WARNING, "security", obj,
                     f"function {obj} is executable by PUBLIC",
                     "EXECUTE granted to PUBLIC (the default for new functions)" + (" on a SECURITY DEFINER function" if fn.security_definer else ""),
                     f"revoke execute on function {q(fn.schema)}.{fn.signature} from public;  -- then grant to the roles that need it;\n"
                     "alter default privileges revoke execute on functions from public;")


def lint_extensions(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for ext in cat.extensions:
        if ext.schema == "public" and "public" in cat.schemas:
            yield _f("extension_in_public", Level.WARNING, "security", ext.name,
                     f"extension {ext.name} is installed in schema public",
                     f"{ext.name} {ext.version} in public: its objects mix with user objects and PUBLIC's search path",
                     f"create schema if not exists extensions; alter extension {q(ext.name)} set schema extensions;")


# --- performance ------------------------------------------------------------------------------


def lint_duplicate_indexes(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        groups: dict[tuple[object, ...], list] = defaultdict(list)
        for ix in rel.indexes:
            groups[ix.signature].append(ix)
        for ixs in groups.values():
            if len(ixs) > 1:
                ixs.sort(key=lambda i: (not i.primary, not i.backs_constraint, not i.unique, i.name))
                keep, drops = ixs[0], ixs[1:]
                names = ", ".join(i.name for i in ixs)
                yield _f("duplicate_index", Level.WARNING, "performance", f"{keep.schema}.{','.join(sorted(i.name for i in ixs))}",
                         f"{rel.qualified}: duplicate indexes {names}",
                         "; ".join(i.definition for i in ixs),
                         "\n".join(f"drop index concurrently if exists {q(i.schema)}.{q(i.name)};" for i in drops if not i.backs_constraint)
                         or "drop the redundant constraint")


def lint_unused_indexes(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    if cat.stats_age_days is None or cat.stats_age_days < opts.unused_index_min_days:
        return
    for rel in cat.tables():
        for ix in rel.indexes:
            if ix.scans == 0 and not ix.unique and not ix.primary and not ix.backs_constraint:
                yield _f("unused_index", Level.INFO, "performance", f"{ix.schema}.{ix.name}",
                         f"index {ix.schema}.{ix.name} on {rel.qualified} was never used",
                         f"pg_stat_user_indexes.idx_scan = 0 over {cat.stats_age_days:.0f} days of statistics",
                         f"drop index concurrently if exists {q(ix.schema)}.{q(ix.name)};  -- check replicas' statistics first")


def lint_large_event_tables(cat: Catalog, opts: LiveOptions) -> Iterator[Finding]:
    for rel in cat.tables():
        rows = rel.rows
        if rel.kind == "p" or rows is None or rows < opts.large_table_rows or not is_event_like(rel):
            continue
        by_num = {c.num: c for c in rel.columns}
        time_indexed = any(
            ix.valid and ix.keys and ix.keys[0] in by_num and by_num[ix.keys[0]].base_type in TIME_TYPES
            for ix in rel.indexes
        )
        if not time_indexed:
            tcol = next((c.name for c in rel.columns if c.base_type in TIME_TYPES), "created_at")
            yield _f("large_event_table", Level.WARNING, "performance", rel.qualified,
                     f"{rel.qualified}: event-like table with {rows:,} rows, neither partitioned nor time-indexed",
                     f"{'exact' if rel.exact_rows is not None else 'estimated'} rows {rows:,} >= {opts.large_table_rows:,}; "
                     "no partitioning, no index led by a time column",
                     f"create index concurrently if not exists {q(rel.name + '_' + tcol + '_brin')} on {qn(rel)} using brin ({q(tcol)});"
                     "  -- or move it to a table partitioned by range on time")


LINTS: tuple[Callable[..., Iterable[Finding]], ...] = (
    lint_timestamps, lint_tenant_id, lint_soft_delete, lint_twin_columns,
    lint_primary_key, lint_foreign_keys, lint_enum_like, lint_jsonb, lint_timestamp_tz, lint_money_float,
    lint_rls, lint_policy_predicates, lint_multiple_permissive, lint_views, lint_functions, lint_extensions,
    lint_duplicate_indexes, lint_unused_indexes, lint_large_event_tables,
)


def run_live_lints(cat: Catalog, opts: LiveOptions | None = None, conn: psycopg.Connection | None = None) -> list[Finding]:
    opts = opts or LiveOptions()
    out: list[Finding] = []
    for lint in LINTS:
        if lint is lint_policy_predicates:
            out.extend(lint(cat, opts, conn))
        else:
            out.extend(lint(cat, opts))
    return out
