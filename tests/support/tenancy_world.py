"""Two tenants with an owner, an admin, a member and a viewer each, plus an outsider, with garages
and vehicles, seeded as superuser. Shared by the API tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import psycopg

VALID_VINS = ["1HGCM82633A004352", "1FTMW1T88MFA00001", "JTDKN3DU0A0123456", "WVWZZZ1KZAW000001"]


@dataclass
class Tenant:
    id: str
    users: dict[str, str] = field(default_factory=dict)  # role -> user id
    garage_id: str = ""
    vehicle_ids: list[str] = field(default_factory=list)


@dataclass
class World:
    a: Tenant
    b: Tenant
    outsider: str

    def tenants(self) -> list[Tenant]:
        return [self.a, self.b]


def seed(conn: psycopg.Connection, vehicles_per_tenant: int = 3) -> World:
    tenants = []
    for label in ("A", "B"):
        tenant = Tenant(id=str(uuid.uuid4()))
        conn.execute(
            "insert into app.tenants (id, name, kind) values (%s, %s, 'household')", (tenant.id, f"Tenant {label}")
        )
        for role in ("owner", "admin", "member", "viewer"):
            user_id = str(uuid.uuid4())
            conn.execute("insert into app.users (id, display_name) values (%s, %s)", (user_id, f"{label} {role}"))
            conn.execute(
                "insert into app.memberships (tenant_id, user_id, role) values (%s, %s, %s)", (tenant.id, user_id, role)
            )
            tenant.users[role] = user_id
        tenant.garage_id = str(uuid.uuid4())
        conn.execute(
            "insert into app.garages (tenant_id, id, name) values (%s, %s, %s)",
            (tenant.id, tenant.garage_id, f"Garage {label}"),
        )
        for i in range(vehicles_per_tenant):
            vehicle_id = str(uuid.uuid4())
            conn.execute(
                "insert into app.vehicles (tenant_id, id, garage_id, vin, make, model, year) "
                "values (%s, %s, %s, %s, 'Make', %s, 2015)",
                (
                    tenant.id, vehicle_id, tenant.garage_id,
                    VALID_VINS[i % len(VALID_VINS)] if i < len(VALID_VINS) else None, f"Model {label}{i}",
                ),
            )
            tenant.vehicle_ids.append(vehicle_id)
        tenants.append(tenant)
    outsider = str(uuid.uuid4())
    conn.execute("insert into app.users (id, display_name) values (%s, 'Outsider')", (outsider,))
    return World(a=tenants[0], b=tenants[1], outsider=outsider)
