"""Deposits staged in the object store for the workers (scale-out).

In scale-out the process that receives a file (the API, ``luutru ingest``) is not the one that
ingests it: it puts the bytes in the object store — the same content-addressed ``put`` as an
original, unlocked — and then a small manifest ``named/deposits/<job id>.json`` saying who deposited
what (name, declared metadata, dossier, the object's key). A Celery worker reads both, runs the
ingest pipeline and deletes the manifest: the manifest is the job, so nothing travels through the
broker but a job id, and no file path of one machine reaches another.

Crashes: the bytes are written before the manifest, so a crash in between leaves an object no row
and no manifest names — removed by the repair pass after ``repair.orphan_grace_seconds`` (the
depositor got no answer and deposits again). A manifest outlives a lost task (a worker killed, the
broker emptied): the repair pass of the workers dispatches it again (``stale``), and while it exists
its object is never removed as an orphan. Ingest is idempotent by checksum, so a job run twice
gives one record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from archive.errors import ObjectNotFound
from archive.objects.base import ObjectStore

PREFIX = "deposits/"


def _name(job_id: str) -> str:
    return f"{PREFIX}{uuid.UUID(job_id)}.json"  # a job id is a UUID: nothing else reaches a name


class DepositStaging:
    def __init__(self, store: ObjectStore):
        self.store = store

    def stage(self, stream: BinaryIO, *, size: int | None, manifest: dict[str, Any]) -> dict[str, Any]:
        """Store the bytes, then the manifest (``manifest`` plus the job id, key, digest, size and
        time); returns the full manifest."""
        stored = self.store.put(stream, size=size)
        job_id = str(uuid.uuid4())
        full = {**manifest, "job_id": job_id, "key": stored.key, "sha256": stored.sha256, "size": stored.size,
                "staged_at": datetime.now(UTC).isoformat()}
        self.store.put_named(_name(job_id), json.dumps(full, ensure_ascii=False).encode())
        return full

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The manifest of a job still waiting or running; None once it is done (or unknown)."""
        try:
            manifest: dict[str, Any] = json.loads(self.store.get_named(_name(job_id)))
            return manifest
        except (ValueError, ObjectNotFound):
            return None

    def done(self, job_id: str) -> None:
        self.store.delete_named(_name(job_id))

    def pending(self) -> Iterator[dict[str, Any]]:
        for name in self.store.list_named(PREFIX):
            try:
                yield json.loads(self.store.get_named(name))
            except (ValueError, ObjectNotFound):
                continue  # finished meanwhile

    def keys(self) -> set[str]:
        """Object keys of the pending jobs: never orphans."""
        return {m["key"] for m in self.pending()}

    def stale(self, older_than: timedelta, now: datetime | None = None) -> list[dict[str, Any]]:
        """Jobs staged longer ago than ``older_than``: their task was lost or is stuck."""
        cutoff = (now or datetime.now(UTC)) - older_than
        return [m for m in self.pending() if datetime.fromisoformat(m["staged_at"]) < cutoff]
