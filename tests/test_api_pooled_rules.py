"""tests/test_api_rules.py again, unchanged, with PostgREST behind PgBouncer in transaction mode."""

from __future__ import annotations

from pooling import api, settings_module  # noqa: F401  (overrides conftest's api)
from test_api_rules import *  # noqa: F401,F403
