"""Tenants, VINs and workers for the VIN worker tests."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from motovault.stack.settings import OWNER_ROLE
from motovault.vin.rules import with_check_digit
from motovault.vin.worker import DecodeBatch, Worker
from support.databases import ClonedDatabase

ACCORD = "1HGCM82633A004352"  # 2003 HONDA Accord EX-V6 (offline decoder)


def make_tenant(conn: psycopg.Connection, role: str = "owner") -> tuple[str, str]:
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    conn.execute("insert into app.tenants (id, name) values (%s, 'Garage')", (tenant,))
    conn.execute("insert into app.users (id, display_name) values (%s, 'Someone')", (user,))
    conn.execute("insert into app.memberships (tenant_id, user_id, role) values (%s, %s, %s)", (tenant, user, role))
    return tenant, user


def random_vins(n: int, seed: int = 1) -> list[str]:
    """n distinct valid North-American-looking VINs (correct check digit, valid year code)."""
    import random

    rnd = random.Random(seed)
    alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    wmis = ["1HG", "1FT", "2HG", "3VW", "4T1", "5YJ", "1G1", "JHM", "WVW", "KMH"]
    years = "ABCDEFGHJKLMNPRSTVWXY123456789"
    out: set[str] = set()
    while len(out) < n:
        body = rnd.choice(wmis) + "".join(rnd.choice(alphabet) for _ in range(5)) + "0" + rnd.choice(years) + \
            "".join(rnd.choice(alphabet) for _ in range(7))
        out.add(with_check_digit(body))
    return sorted(out)


def worker_for(clone: ClonedDatabase, decoder: DecodeBatch | None = None, **kw: Any) -> Worker:
    kw.setdefault("quiet", True)
    return Worker(clone.url(OWNER_ROLE), decoder, **kw)
