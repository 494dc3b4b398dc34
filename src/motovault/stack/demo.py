"""Fixed identities of the demo data in sql/demo.sql, so tokens can be minted for them."""

DEMO_TENANT_ID = "d0000000-0000-4000-8000-000000000001"
DEMO_USERS = {
    "owner": "d0000000-0000-4000-8000-0000000000a1",
    "member": "d0000000-0000-4000-8000-0000000000a2",
    "viewer": "d0000000-0000-4000-8000-0000000000a3",
}
