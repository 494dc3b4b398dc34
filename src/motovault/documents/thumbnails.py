"""Thumbnails of image documents, made with Pillow outside any request.

Why the worker and not the database or the request: PostgreSQL has no image decoder (and an
untrusted-language extension to add one would run foreign code in the server), and PostgREST calls
only SQL. Uploads therefore store the bytes and mark images ``pending``; this worker, the same job
model as the VIN decoder (a lease per file, ``FOR UPDATE SKIP LOCKED``, woken by ``LISTEN
document_thumbnail``), decodes them with Pillow under a pixel limit (decompression bombs), turns them
upright by their EXIF orientation, and writes a WebP of at most :data:`SIZE` pixels on its longer side
together with the image's width and height. An image Pillow cannot decode is marked ``failed`` at once;
other errors are retried after a pause and fail after the third attempt (app.document_thumbnail_finish).
"""

from __future__ import annotations

import io
import os
import socket
import sys
import warnings
from dataclasses import dataclass

import psycopg
from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.db import connect

CHANNEL = "document_thumbnail"
WORKER_ROLE = "vin_worker"
SIZE = 320
#: larger images are refused before they are decoded (Pillow's decompression-bomb guard)
MAX_PIXELS = 80_000_000
THUMBNAIL_TYPE = "image/webp"


def log(message: str) -> None:
    print(f"thumbnails: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int
    height: int


class Undecodable(Exception):
    """The bytes are not an image Pillow can read (or it is too large to read safely)."""


def make_thumbnail(content: bytes, size: int = SIZE) -> Thumbnail:
    """A WebP of the image at most ``size`` pixels on its longer side, and the image's upright size."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                width, height = img.size
                orientation = img.getexif().get(0x0112, 1)
                img.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, never below size
                upright = ImageOps.exif_transpose(img)
                small = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
                small.thumbnail((size, size), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                small.save(out, format="WEBP", quality=80, method=4)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError) as exc:
        raise Undecodable(f"{type(exc).__name__}: {exc}".replace("\n", " ")) from None
    if orientation in (5, 6, 7, 8):  # EXIF says the image is stored turned by 90 degrees
        width, height = height, width
    return Thumbnail(out.getvalue(), width, height)


class ThumbnailWorker:
    """Claims pending files, makes their thumbnails, writes them back; one connection."""

    def __init__(
        self,
        dsn: str,
        *,
        batch_size: int = 8,
        lease_seconds: int = 120,
        role: str | None = WORKER_ROLE,
        name: str | None = None,
        quiet: bool = False,
    ) -> None:
        self.dsn = dsn
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.role = role
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.quiet = quiet
        self.conn: psycopg.Connection | None = None
        self.done = 0
        self.failed = 0

    def connect(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="motovault thumbnails", what="the database")
        if self.role:
            conn.execute(f'set role "{self.role}"')
        self.conn = conn
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> ThumbnailWorker:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def listen(self) -> None:
        conn = self.conn or self.connect()
        conn.execute(f"listen {CHANNEL}")

    def run_batch(self) -> int:
        """Claim one batch and finish every file of it; returns how many were claimed."""
        conn = self.conn or self.connect()
        rows = conn.execute(
            "select tenant_id, id, content_type, content from app.document_thumbnail_claim(%s, %s, %s)",
            (self.batch_size, self.name, self.lease_seconds),
        ).fetchall()
        for tenant_id, file_id, content_type, content in rows:
            try:
                thumb = make_thumbnail(bytes(content))
            except Undecodable as exc:
                self._finish(conn, tenant_id, file_id, None, None, None, f"undecodable: {exc}"[:500])
                self.failed += 1
                if not self.quiet:
                    log(f"{content_type} file {file_id}: cannot decode ({exc})")
                continue
            except Exception as exc:  # retried later by the database's rule
                self._finish(conn, tenant_id, file_id, None, None, None, f"{type(exc).__name__}: {exc}"[:500])
                self.failed += 1
                continue
            self._finish(conn, tenant_id, file_id, thumb.data, thumb.width, thumb.height, None)
            self.done += 1
        if rows and not self.quiet:
            log(f"batch of {len(rows)}: {self.done} done, {self.failed} failed in total")
        return len(rows)

    @staticmethod
    def _finish(
        conn: psycopg.Connection,
        tenant_id: object,
        file_id: object,
        data: bytes | None,
        width: int | None,
        height: int | None,
        error: str | None,
    ) -> None:
        conn.execute(
            "select app.document_thumbnail_finish(%s, %s, %s, %s, %s, %s, %s)",
            (tenant_id, file_id, data, THUMBNAIL_TYPE, width, height, error),
        )

    def drain(self) -> int:
        """Run batches until nothing is due; returns how many files were claimed."""
        total = 0
        while n := self.run_batch():
            total += n
        return total


__all__ = ["CHANNEL", "SIZE", "Thumbnail", "ThumbnailWorker", "Undecodable", "make_thumbnail"]
