"""The test harness: pgTAP runner and PostgREST process used by tests/conftest.py."""
