"""The tenant document through the API: GET /rpc/export_tenant, POST /rpc/import_tenant."""

from __future__ import annotations

import json
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


def import_tenant(client: ApiClient, path: Path) -> dict[str, Any]:
    """Imports the document at path into the active (empty) tenant; returns the API's summary."""
    result: dict[str, Any] = client.post_json_text("/rpc/import_tenant", '{"doc": ' + read_document(path) + "}")
    return result
