"""The HTTP side of `motovault import`: the import RPCs of PostgREST, with one-line errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ..core.errors import MotovaultError

#: batch states the worker has not finished with (parse, then its dry run)
PENDING = ("queued", "parsing", "previewing")
#: what a commit the worker has not finished is
COMMITTING = "committing"
CHUNK = 64 * 1024
#: rows per request when reading a batch's rows (below PostgREST's max-rows of 1000)
PAGE = 1000


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text.strip()[:300]}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    text = str(body.get("message") or f"HTTP {response.status_code}")
    if body.get("hint"):
        text += f" ({body['hint']})"
    return f"HTTP {response.status_code}: {text}"


class ImportClient:
    def __init__(self, api_url: str, token: str, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 120.0) -> None:
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ImportClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise MotovaultError(f"{self.http.base_url}: the API does not answer ({exc}); is it running (--api-url)?") \
                from exc
        if response.status_code >= 400:
            raise MotovaultError(_problem(response))
        return response.json() if response.content else None

    # -- the steps
    def upload(self, data: bytes, filename: str, *, format: str = "auto", date_order: str = "auto",
               currency: str | None = None, mapping: dict[str, str] | None = None, vehicle_id: str | None = None,
               on_bytes: Callable[[int], None] | None = None) -> dict[str, Any]:
        """A new batch from the file's bytes (rpc/upload_import, the raw body; options as headers)."""
        headers = {
            "Content-Type": "application/octet-stream",
            "Accept": "application/vnd.pgrst.object+json",
            "X-Import-Filename": filename,
            "X-Import-Format": format,
            "X-Import-Date-Order": date_order,
        }
        if currency:
            headers["X-Import-Currency"] = currency
        if mapping:
            headers["X-Import-Mapping"] = json.dumps(mapping)
        if vehicle_id:
            headers["X-Import-Vehicle-Id"] = vehicle_id

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), CHUNK):
                chunk = data[start:start + CHUNK]
                yield chunk
                if on_bytes:
                    on_bytes(len(chunk))

        headers["Content-Length"] = str(len(data))
        batch: dict[str, Any] = self._call("POST", "/rpc/upload_import", content=chunks(), headers=headers)
        return batch

    def batch(self, batch_id: str) -> dict[str, Any]:
        rows = self._call("GET", "/import_batches", params={"id": f"eq.{batch_id}"})
        if not rows:
            raise MotovaultError(f"no import batch {batch_id} in the active tenant")
        found: dict[str, Any] = rows[0]
        return found

    def progress(self, batch_id: str) -> dict[str, Any]:
        """status, rows_done and rows_total of a batch (GET /import_batch_progress)."""
        rows = self._call("GET", "/import_batch_progress", params={"batch_id": f"eq.{batch_id}"})
        if not rows:
            raise MotovaultError(f"no import batch {batch_id} in the active tenant")
        found: dict[str, Any] = rows[0]
        return found

    def wait(self, batch_id: str, *, timeout: float = 300.0, interval: float = 0.2,
             on_progress: Callable[[str, int, int], None] | None = None,
             pending: tuple[str, ...] = PENDING) -> dict[str, Any]:
        """The batch once the worker is done with it: parsed and previewed (or failed), or, with
        ``pending=(COMMITTING,)``, committed (or refused). ``on_progress(status, rows_done, rows_total)``
        is called while it waits."""
        deadline = time.monotonic() + timeout
        while True:
            step = self.progress(batch_id)
            if step["status"] not in pending:
                return self.batch(batch_id)
            if time.monotonic() > deadline:
                raise MotovaultError(
                    f"import batch {batch_id} is still {step['status']} after {timeout:.0f}s; is `motovault worker` "
                    "running?"
                )
            if on_progress:
                on_progress(str(step["status"]), int(step.get("rows_done") or 0), int(step.get("rows_total") or 0))
            time.sleep(interval)
            interval = min(interval * 1.5, 1.0)

    def vehicles(self, batch_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call(
            "GET", "/import_vehicles", params={"batch_id": f"eq.{batch_id}", "order": "key"}
        )
        return found

    def _pages(self, method: str, path: str, **kw: Any) -> list[dict[str, Any]]:
        """Every row of a list, a page at a time (the API answers at most its max-rows per request)."""
        found: list[dict[str, Any]] = []
        params = dict(kw.pop("params", None) or {})
        while True:
            page = self._call(method, path, params={**params, "limit": PAGE, "offset": len(found)}, **kw)
            found.extend(page)
            if len(page) < PAGE:
                return found

    def preview(self, batch_id: str) -> list[dict[str, Any]]:
        return self._pages("POST", "/rpc/preview_import", json={"batch_id": batch_id})

    def confirm(self, batch_id: str, choices: dict[str, str] | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call(
            "POST", "/rpc/confirm_import_vehicles", json={"batch_id": batch_id, "choices": choices or {}}
        )
        return found

    def commit(self, batch_id: str, *, skip_errors: bool = False) -> dict[str, Any]:
        """Ask the worker for the commit (202, status committing); wait() with pending=(COMMITTING,) for it."""
        found: dict[str, Any] = self._call(
            "POST", "/rpc/commit_import", json={"batch_id": batch_id, "skip_errors": skip_errors},
            headers={"Accept": "application/vnd.pgrst.object+json"},
        )
        return found

    def rows(self, batch_id: str) -> list[dict[str, Any]]:
        return self._pages("GET", "/import_rows", params={"batch_id": f"eq.{batch_id}", "order": "line,id"})

    def undo(self, batch_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call(
            "POST", "/rpc/undo_import", json={"batch_id": batch_id},
            headers={"Accept": "application/vnd.pgrst.object+json"},
        )
        return found

    def find_vehicle(self, wanted: str) -> dict[str, Any]:
        """A vehicle of the tenant by id, VIN, plate or name (exactly one)."""
        vehicles: list[dict[str, Any]] = self._call(
            "GET", "/vehicles", params={"select": "id,display_name,vin,license_plate"}
        )
        w = wanted.strip().lower()
        for attr in ("id", "vin", "license_plate", "display_name"):
            hits = [v for v in vehicles if str(v.get(attr) or "").lower() == w]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise MotovaultError(f"--vehicle {wanted}: {len(hits)} vehicles have that {attr}; give the id")
        raise MotovaultError(f"--vehicle {wanted}: no vehicle of the tenant has that id, VIN, plate or name")
