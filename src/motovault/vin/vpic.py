"""Online client for the NHTSA vPIC REST API (https://vpic.nhtsa.dot.gov/api/).

Two calls are used:

* ``GET DecodeVinValues/{vin}?format=json[&modelyear=YYYY]`` for one VIN;
* ``POST DecodeVINValuesBatch/`` with the form fields ``format=json`` and
  ``DATA="VIN,year;VIN;…"`` for many — at most :data:`BATCH_LIMIT` VINs per
  request, so longer lists are chunked (chunks run concurrently, at most
  ``concurrency`` requests in flight per client).

Failures: 429 and 5xx answers and transport errors (timeouts, refused
connections) are retried with exponential backoff (``backoff * 2**n``, capped
at ``max_backoff``); a ``Retry-After`` header (seconds or an HTTP date) wins
over the backoff, capped at ``max_retry_after``. Other 4xx answers, non-JSON
bodies, bodies without a ``Results`` list, empty ``Results`` and exhausted
retries raise :class:`~motovault.core.errors.MotovaultError` with a one-line message.

The answers are returned as vPIC sent them (every value a string, ``""`` for
no data); :func:`motovault.vin.decode.from_vpic` normalizes them.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx

from .. import __version__
from ..core.errors import MotovaultError

DEFAULT_BASE_URL = "https://vpic.nhtsa.dot.gov/api/vehicles/"
USER_AGENT = f"motovault/{__version__} (+https://github.com/motovault/motovault)"
BATCH_LIMIT = 50
RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    ``None`` when absent or unparsable; never negative.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        import datetime as _dt

        when = when.replace(tzinfo=_dt.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class VpicClient:
    """A thread-safe vPIC client; use it as a context manager or call :meth:`close`.

    ``transport`` (e.g. ``httpx.MockTransport``) and ``sleep`` / ``clock`` are
    injectable so tests neither touch the network nor wait.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 15.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        concurrency: int = 4,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        user_agent: str = USER_AGENT,
    ) -> None:
        if concurrency < 1:
            raise MotovaultError("vPIC concurrency must be at least 1")
        if retries < 0:
            raise MotovaultError("vPIC retries cannot be negative")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.concurrency = concurrency
        self._sleep = sleep
        self._clock = clock
        self._slots = threading.BoundedSemaphore(concurrency)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=True,
        )

    # -- lifecycle
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VpicClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public calls
    def decode(self, vin: str, model_year: int | None = None) -> dict[str, Any]:
        """``DecodeVinValues`` for one VIN: the single ``Results`` element."""
        params: dict[str, Any] = {"format": "json"}
        if model_year is not None:
            params["modelyear"] = str(int(model_year))
        # '*' marks an unknown position in a partial VIN; everything else odd is escaped
        path = "DecodeVinValues/" + quote(vin.strip(), safe="*")
        body = self._request("GET", path, what=f"VIN {vin}", params=params)
        return self._results(body, f"VIN {vin}")[0]

    def decode_batch(
        self, vins: Sequence[str], years: Sequence[int | None] | None = None
    ) -> list[dict[str, Any]]:
        """``DecodeVINValuesBatch`` for any number of VINs, in input order.

        Chunks of :data:`BATCH_LIMIT`; chunks run on at most ``concurrency``
        threads. ``years`` gives an optional model year per VIN.
        """
        vins = [v.strip() for v in vins]
        for v in vins:
            if not v or "," in v or ";" in v:
                raise MotovaultError(
                    f"cannot send {v!r} in a vPIC batch: VINs there are non-empty and without ',' or ';'"
                )
        if years is not None and len(years) != len(vins):
            raise MotovaultError(f"{len(years)} model years given for {len(vins)} VINs")
        pairs = list(zip(vins, years if years is not None else [None] * len(vins), strict=False))
        chunks = [pairs[i : i + BATCH_LIMIT] for i in range(0, len(pairs), BATCH_LIMIT)]
        if not chunks:
            return []
        if len(chunks) == 1:
            return self._decode_chunk(chunks[0])
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(chunks)), thread_name_prefix="vpic") as pool:
            parts = list(pool.map(self._decode_chunk, chunks))
        return [r for part in parts for r in part]

    # -- internals
    def _decode_chunk(self, pairs: Sequence[tuple[str, int | None]]) -> list[dict[str, Any]]:
        data = ";".join(vin if year is None else f"{vin},{int(year)}" for vin, year in pairs)
        what = f"a batch of {len(pairs)} VIN(s) starting {pairs[0][0]}"
        body = self._request("POST", "DecodeVINValuesBatch/", what=what, data={"format": "json", "DATA": data})
        results = self._results(body, what)
        if len(results) != len(pairs):
            raise MotovaultError(f"vPIC answered {len(results)} result(s) for {what}, expected {len(pairs)}")
        return results

    @staticmethod
    def _results(body: Any, what: str) -> list[dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("Results"), list):
            raise MotovaultError(f"vPIC answer for {what} has no Results list")
        results: list[dict[str, Any]] = body["Results"]
        if not results:
            message = str(body.get("Message") or "").strip()
            raise MotovaultError(f"vPIC returned no results for {what}" + (f" ({message})" if message else ""))
        if not all(isinstance(r, dict) for r in results):
            raise MotovaultError(f"vPIC answer for {what} has Results that are not objects")
        return results

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if retry_after is not None:
                return min(retry_after, self.max_retry_after)
        return float(min(self.backoff * (2 ** attempt), self.max_backoff))

    def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        attempts = self.retries + 1
        last = ""
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                with self._slots:
                    response = self._http.request(method, url, **kwargs)
                    content = response.content
            except httpx.TimeoutException:
                last = f"no answer within {self.timeout:g}s"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})".replace("\n", " ")
            else:
                status = response.status_code
                if status < 300:
                    try:
                        return json.loads(content)
                    except ValueError:
                        snippet = content[:60].decode("utf-8", "replace").replace("\n", " ").strip()
                        raise MotovaultError(
                            f"vPIC answered {what} with something that is not JSON: {snippet!r}"
                        ) from None
                if status not in RETRY_STATUSES:
                    raise MotovaultError(f"vPIC refused {what}: HTTP {status} {response.reason_phrase}".rstrip())
                last = f"HTTP {status} {response.reason_phrase}".rstrip()
            if attempt + 1 < attempts:
                self._sleep(self._delay(attempt, response))
        raise MotovaultError(f"vPIC failed for {what} after {attempts} attempt(s): {last}")


def decode_vins(vins: Iterable[str], **client_options: Any) -> list[dict[str, Any]]:
    """Convenience: one client, one batch decode, closed afterwards."""
    with VpicClient(**client_options) as client:
        return client.decode_batch(list(vins))


__all__ = ["BATCH_LIMIT", "DEFAULT_BASE_URL", "USER_AGENT", "VpicClient", "decode_vins", "parse_retry_after"]
