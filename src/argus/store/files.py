"""Blob storage: the files of jobs (inputs the client sent, outputs the workers made).

Every blob is addressed by a *key* ``<job_id>/<area>/<name>`` where ``area`` is ``input`` or
``output``; the job tables keep keys, never absolute paths, so the blob root can move and another
backend (an S3-compatible bucket, where keys map to object names) can implement
:class:`BlobStore` without touching callers. :class:`LocalBlobStore` keeps them under
``<blobs_dir>/<job_id>/<area>/<name>`` on disk. Names clients send are sanitised (no directory
parts, no traversal, no control characters) and never overwrite each other: the second
``photo.jpg`` of a job becomes ``photo-1.jpg``. :func:`cleanup_expired` removes finished jobs
past their TTL, rows and files together, and folders no job row refers to any more.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import re
import shutil
import unicodedata
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from argus.errors import InvalidInput, NotFound
from argus.store import jobs as job_store

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.store.db import Database

log = logging.getLogger(__name__)

Area = Literal["input", "output"]
AREAS: tuple[Area, ...] = ("input", "output")

#: Longest stored name in bytes (UTF-8): fits file systems (255) and ``job_items.input_name``.
MAX_NAME_BYTES = 200
_JOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FORBIDDEN = set('/\\:*?"<>|')


def safe_name(name: str | None, *, default: str = "file") -> str:
    """A file name that is safe to store: the last path part of ``name``, without control or
    reserved characters, leading dots or surrounding spaces, at most ``MAX_NAME_BYTES`` long
    (the extension is kept when it has to be shortened); ``default`` when nothing is left.
    ``"../../etc/passwd"`` gives ``"passwd"``, a Windows path its last part.
    """
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    text = text.rsplit("/", 1)[-1]
    text = "".join(c for c in text if c.isprintable() and c not in _FORBIDDEN)
    text = text.strip().lstrip(".").strip()
    if not text:
        return default
    if len(text.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        if not dot or len(ext.encode()) > 16:
            stem, ext = text, ""
        suffix = f".{ext}" if ext else ""
        budget = MAX_NAME_BYTES - len(suffix.encode())
        stem = stem.encode()[:budget].decode(errors="ignore").rstrip()
        text = (stem or default) + suffix
    return text


def numbered(name: str, n: int) -> str:
    """``photo.jpg`` -> ``photo-2.jpg`` (``n`` = 2); a name without extension gets ``-2``."""
    if n == 0:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name}-{n}"
    return f"{stem}-{n}.{ext}"


def check_job_id(job_id: str) -> str:
    if not _JOB_ID_RE.match(job_id):
        raise InvalidInput(f"invalid job id {job_id!r}")
    return job_id


def make_key(job_id: str, area: Area, name: str) -> str:
    return f"{check_job_id(job_id)}/{area}/{name}"


def split_key(key: str) -> tuple[str, Area, str]:
    """``(job_id, area, name)`` of a key; raises InvalidInput for anything malformed."""
    parts = key.split("/")
    if len(parts) != 3 or parts[1] not in AREAS or safe_name(parts[2], default="") != parts[2]:
        raise InvalidInput(f"invalid blob key {key!r}")
    area: Area = "input" if parts[1] == "input" else "output"
    return check_job_id(parts[0]), area, parts[2]


def media_type(name: str) -> str:
    """The MIME type a name suggests (``application/octet-stream`` when unknown)."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class BlobStore(ABC):
    """Where job files live. Keys are ``<job_id>/<area>/<name>``; implementations must never
    overwrite an existing blob on :meth:`put` and must keep every key inside their root."""

    @abstractmethod
    async def put(self, job_id: str, area: Area, name: str | None, data: bytes) -> str:
        """Store ``data`` under a safe, not yet used name derived from ``name``; the key."""

    @abstractmethod
    async def read(self, key: str) -> bytes:
        """The blob's bytes; NotFound when there is none."""

    @abstractmethod
    async def names(self, job_id: str, area: Area) -> list[str]:
        """Names stored in that area of the job, sorted."""

    @abstractmethod
    async def delete_job(self, job_id: str) -> bool:
        """Remove every blob of the job; False when it had none."""

    @abstractmethod
    async def stored_jobs(self) -> dict[str, datetime]:
        """Every job id that has blobs, with the time its newest blob was written (UTC)."""

    def local_path(self, key: str) -> Path | None:
        """A file on this machine holding the blob, when the backend has one (served directly);
        None for remote backends."""
        return None


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root``: ``<root>/<job_id>/<area>/<name>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBlobStore:
        return cls(settings.blobs_dir)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        job_id, area, name = split_key(key)
        return self.root / job_id / area / name

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    async def put(self, job_id: str, area: Area, name: str | None, data: bytes) -> str:
        return await asyncio.to_thread(self._put, job_id, area, safe_name(name), data)

    def _put(self, job_id: str, area: Area, name: str, data: bytes) -> str:
        folder = self.root / check_job_id(job_id) / area
        folder.mkdir(parents=True, exist_ok=True)
        n = 0
        while True:
            candidate = numbered(name, n)
            try:
                # "x": create, never replace; atomic even against another process.
                with (folder / candidate).open("xb") as f:
                    f.write(data)
            except FileExistsError:
                n += 1
                continue
            return make_key(job_id, area, candidate)

    async def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"no stored file {key!r}") from None

    async def names(self, job_id: str, area: Area) -> list[str]:
        folder = self.root / check_job_id(job_id) / area

        def scan() -> list[str]:
            if not folder.is_dir():
                return []
            return sorted(p.name for p in folder.iterdir() if p.is_file())

        return await asyncio.to_thread(scan)

    async def delete_job(self, job_id: str) -> bool:
        folder = self.root / check_job_id(job_id)

        def remove() -> bool:
            if not folder.exists():
                return False
            try:
                shutil.rmtree(folder)
            except FileNotFoundError:  # another server process removed it meanwhile
                return False
            return True

        return await asyncio.to_thread(remove)

    async def stored_jobs(self) -> dict[str, datetime]:
        def scan() -> dict[str, datetime]:
            found: dict[str, datetime] = {}
            if not self.root.is_dir():
                return found
            for folder in self.root.iterdir():
                if not folder.is_dir() or not _JOB_ID_RE.match(folder.name):
                    continue
                newest = folder.stat().st_mtime
                for path in folder.rglob("*"):
                    newest = max(newest, path.stat().st_mtime)
                found[folder.name] = datetime.fromtimestamp(newest, UTC)
            return found

        return await asyncio.to_thread(scan)


async def cleanup_expired(
    db: Database, blobs: BlobStore, *, ttl_s: float, now: datetime | None = None
) -> list[str]:
    """Delete finished jobs that ended more than ``ttl_s`` ago, their rows and their files, and
    the files of jobs that have no row (left by a failed upload or an earlier clean-up) once
    they are that old. Unfinished jobs are never touched. Returns the job ids removed."""
    now = now or datetime.now(UTC)
    removed = await job_store.prune(db, max_age_s=ttl_s, now=now)
    for job_id in removed:
        await blobs.delete_job(job_id)
    cutoff = now - timedelta(seconds=ttl_s)
    stored = await blobs.stored_jobs()
    old = [job_id for job_id, written in stored.items() if written < cutoff]
    if old:
        known = await job_store.existing_ids(db, job_ids=old)
        for job_id in old:
            if job_id not in known and job_id not in removed:
                await blobs.delete_job(job_id)
                removed.append(job_id)
    if removed:
        log.info("clean-up removed %d expired job(s)", len(removed))
    return removed
