"""A small client of the motovault API (PostgREST) for the export commands: bearer token, JSON with
exact decimals, pages of at most `page_size` rows, and one-line errors."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import httpx

from motovault.core.errors import MotovaultError

#: PostgREST answers at most db-max-rows rows per request (postgrest.conf: 1000)
PAGE_SIZE = 1000


class ApiClient:
    def __init__(self, base_url: str, token: str, *, tenant: str | None = None,
                 transport: httpx.BaseTransport | None = None, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if tenant:
            headers["X-Tenant-Id"] = tenant  # for a token that names no tenant (check_request)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            trust_env=False,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def send(self, method: str, path: str, **kwargs: Any) -> str:
        """The answer's text; an error status or an unreachable API is a MotovaultError."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise MotovaultError(f"{self.base_url}{path}: {exc} (is the API running? see --api-url)") from exc
        if response.status_code >= 400:
            raise MotovaultError(f"{method} {path}: HTTP {response.status_code}: {_message(response)}")
        return response.text

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """GET, the JSON answer with numbers as Decimal (exactly as PostgreSQL wrote them)."""
        return json.loads(self.send("GET", path, params=params), parse_float=Decimal)

    def post_json_text(self, path: str, body: str) -> Any:
        """POST a JSON body given as text (so its numbers go as they are written)."""
        text = self.send("POST", path, content=body.encode(), headers={"Content-Type": "application/json"})
        return json.loads(text, parse_float=Decimal) if text else None

    def rows(self, path: str, params: dict[str, str], page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every row of a list view, page by page (params must order by a unique key)."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.get(path, {**params, "limit": str(page_size), "offset": str(len(out))})
            out += page
            if len(page) < page_size:
                return out


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        hint = f" ({body['hint']})" if body.get("hint") else ""
        return f"{body['message']}{hint}"
    return str(body)[:300]


#: the environment variable the export commands read the bearer token from (--token-env changes it)
TOKEN_ENV = "MOTOVAULT_TOKEN"


def default_api_url() -> str:
    """The local stack's API (MOTOVAULT_API_PORT, default 3000), as `make up` serves it."""
    return f"http://127.0.0.1:{os.environ.get('MOTOVAULT_API_PORT') or 3000}"


def client_from_options(api_url: str | None, token_env: str, tenant: str | None = None) -> ApiClient:
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise MotovaultError(
            f"--token-env: ${token_env} is empty; put a token of the tenant in it "
            f"({token_env}=$(motovault token --demo) on the local stack, or an API key's token)"
        )
    return ApiClient(api_url or default_api_url(), token, tenant=tenant)
