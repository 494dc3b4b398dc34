"""Helpers shared by test modules (which never import each other): databases and clones, the tenancy
world, hardening inputs, PostgREST behind PgBouncer, recorded vPIC answers, README example parsing."""
