"""The tenant document through the API: GET /rpc/export_tenant; POST /rpc/import_tenant (202: the worker
writes it), then GET /tenant_imports until it is imported or failed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from motovault.core.errors import MotovaultError

from .api import ApiClient

FORMAT = "motovault.tenant"


def export_tenant(client: ApiClient, output: Path) -> dict[str, int]:
    """Writes the active tenant's document to output, as the API wrote it; returns rows per table."""
    text = client.send("GET", "/rpc/export_tenant")
    doc = json.loads(text)
    output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return {name: len(rows) for name, rows in doc["tables"].items()}


def read_document(path: Path) -> str:
    """The document's text, checked to be a motovault.tenant document."""
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
    except OSError as exc:
        raise MotovaultError(f"{path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise MotovaultError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise MotovaultError(f"{path}: not a {FORMAT} document (motovault export tenant writes one)")
    return text


#: statuses of a tenant import the worker has not finished
PENDING = ("queued", "importing")


def start_import(client: ApiClient, path: Path) -> dict[str, Any]:
    """Sends the document at path for import into the active (empty) tenant: {import_id, status, rows_total}."""
    started: dict[str, Any] = client.post_json_text("/rpc/import_tenant", '{"doc": ' + read_document(path) + "}")
    return started


def tenant_import(client: ApiClient, import_id: str) -> dict[str, Any]:
    rows = client.get("/tenant_imports", {"id": f"eq.{import_id}"})
    if not rows:
        raise MotovaultError(f"no tenant import {import_id} in the active tenant")
    found: dict[str, Any] = rows[0]
    return found


def wait_for_import(client: ApiClient, import_id: str, *, timeout: float = 600.0, interval: float = 0.2,
                    on_progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """The import once the worker is done with it (imported); a failed one is a MotovaultError naming the
    table, row, field and rule."""
    deadline = time.monotonic() + timeout
    while True:
        job = tenant_import(client, import_id)
        if job["status"] == "failed":
            where = ""
            if job.get("error_table") is not None and job.get("error_row") is not None:
                where = f" (tables.{job['error_table']}[{job['error_row']}]"
                where += f", field {job['error_field']}" if job.get("error_field") else ""
                where += f", rule {job['error_rule']})" if job.get("error_rule") else ")"
            raise MotovaultError(f"tenant import {import_id} failed, nothing imported: {job['error']}{where}")
        if job["status"] not in PENDING:
            return job
        if time.monotonic() > deadline:
            raise MotovaultError(f"tenant import {import_id} is still {job['status']} after {timeout:.0f}s; "
                                 "is `motovault worker` running?")
        if on_progress:
            on_progress(str(job["status"]), int(job.get("rows_done") or 0), int(job.get("rows_total") or 0))
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)
