"""Recorded vPIC responses for the tests.

They live in ../shared/fixtures/vpic beside the clone (the shared recordings);
tests/fixtures/vpic holds a copy for clones that have no shared/ beside them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "vpic"
LOCAL_DIR = REPO_ROOT / "tests" / "fixtures" / "vpic"
FIXTURE_DIR = SHARED_DIR if SHARED_DIR.is_dir() else LOCAL_DIR
NAMES = (
    "decode-vin.json",
    "decode-vin-with-modelyear.json",
    "decode-vin-extended.json",
    "decode-partial-vin.json",
    "decode-vin-batch.json",
)


def load(name: str) -> dict[str, Any]:
    """One recorded exchange: url, method, status, content (the JSON body), …"""
    exchange: dict[str, Any] = json.loads((FIXTURE_DIR / name).read_text(encoding="utf-8"))
    return exchange


def body(name: str) -> dict[str, Any]:
    content = load(name)["content"]
    parsed: dict[str, Any] = json.loads(content) if isinstance(content, str) else content
    return parsed


def response(name: str) -> httpx.Response:
    rec = load(name)
    return httpx.Response(
        rec.get("status", 200),
        content=json.dumps(body(name)).encode(),
        headers={"Content-Type": rec.get("content_type", "application/json")},
    )
