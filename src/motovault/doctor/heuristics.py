"""Names and shapes the lints recognise (tenant columns, owner columns, synonyms, enum-like,
money-like and event-like names) and the catalog helpers several live rules share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .catalog import Catalog, Column, Relation

TENANT_COLUMNS = ("tenant_id", "org_id", "organization_id", "organisation_id")
#: columns that say "this row belongs to a person or an account": user data
OWNER_COLUMNS = ("user_id", "owner_id", "created_by", "updated_by", "customer_id", "account_id", "member_id",
                 "profile_id")
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
ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass
class LiveOptions:
    large_table_rows: int = 1_000_000
    unused_index_min_days: float = 7.0


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
