"""The outbox runner: post-commit work of the kernel's transactions (invenio's post-commit operations).

A write adds rows to the ``outbox`` table in its own transaction (index a record, write its
metadata sidecar, dispatch a task, publish a domain event); once the transaction committed they
are executed here and deleted. A failure stays in the table (``attempts``, ``last_error``) for
the repair pass, which runs every pending row again: each kind is idempotent.

Index work of a unit of work bound to an ``IndexBatch`` (``archive.unit_of_work``) is staged in
the batch and handed to the indexer a group at a time (``flush_index``); its rows are deleted only
once the indexer took them. Task rows wait while the dispatcher is *deferred* (the embedded
default, ``InlineDispatcher``) until ``run_pending_tasks`` or the repair pass.

The functions take the ``ArchiveService`` whose collaborators (catalogue, indexer, dispatcher,
event sink, sidecar writer) do the work; the service's methods delegate to them.

Several passes may run at once: on the embedded default ``luutru serve`` runs them from requests
(after an upload) and from its periodic loop. An entry is *claimed* by the thread executing it
(``Claims``, per process) until its row is deleted, so another pass of the process skips it; a
full pass also checks that a task entry it read is still there before running it (the other pass
may have run and deleted it since). Across processes (a CLI run beside ``serve``) an entry may
still run twice: every kind is idempotent, and a deleted id is never given to a newer entry
(migration 0013), so the slower pass never deletes work it did not do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from archive.catalogue.models import OutboxEntry
from archive.unit_of_work import IndexBatch

if TYPE_CHECKING:
    from archive.service import ArchiveService

log = logging.getLogger(__name__)


class Claims:
    """Ids of the outbox entries the threads of this process are executing."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def claim(self, entry_id: int) -> bool:
        with self._lock:
            if entry_id in self._ids:
                return False
            self._ids.add(entry_id)
            return True

    def release(self, entry_ids: Sequence[int]) -> None:
        with self._lock:
            self._ids.difference_update(entry_ids)


def run(archive: ArchiveService, ids: Sequence[int] | None = None, *, include_deferred: bool = False,
        batch: IndexBatch | None = None) -> tuple[int, int]:
    """Execute outbox entries (all of them when ``ids`` is None): (done, failed); failures stay for repair.

    Task entries are left for later when the dispatcher is deferred (see ``InlineDispatcher``).
    With ``batch`` (of more than one record) the index entries of ``ids`` are staged in it.
    """
    done = failed = 0
    with archive.catalogue.session() as s:
        q = sa.select(OutboxEntry).order_by(OutboxEntry.id)
        if not include_deferred and getattr(archive.dispatcher, "deferred", False):
            q = q.where(OutboxEntry.kind != "task")
        if ids is not None:
            if not ids:
                return 0, 0
            q = q.where(OutboxEntry.id.in_(list(ids)))
        entries = [(e.id, e.kind, e.payload) for e in s.execute(q).scalars()]
    # The post-commit work of one transaction (``ids`` given) deletes its executed rows in one
    # statement at the end (one catalogue commit, not one per row); a crash before it leaves them
    # to the repair pass, which runs them again: every kind is idempotent (an event keeps its id).
    # A full pass (``ids`` None: repair, deferred tasks) deletes each row as soon as it ran.
    executed: list[int] = []
    claimed: list[int] = []
    claims: Claims = archive.outbox_claims
    try:
        for entry_id, kind, payload in entries:
            if not claims.claim(entry_id):
                continue  # another thread of this process is executing it (and will delete it)
            claimed.append(entry_id)
            if kind == "task" and ids is None and not _still_there(archive, entry_id):
                continue  # read before another pass ran and deleted it
            if kind == "index" and batch is not None and batch.size > 1 and ids is not None:
                if batch.stage(entry_id, payload["record_ids"]):
                    flush_index(archive, batch)
                done += 1
                continue
            try:
                execute(archive, kind, payload)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried by repair
                failed += 1
                log.warning("post-commit %s %s failed: %s", kind, payload, exc)
                with archive.catalogue.session() as s:
                    s.execute(sa.update(OutboxEntry).where(OutboxEntry.id == entry_id).values(
                        attempts=OutboxEntry.attempts + 1, last_error=str(exc)[:2000]))
                continue
            executed.append(entry_id)
            if ids is None:
                _delete(archive, executed)
                executed = []
            done += 1
    finally:
        try:
            _delete(archive, executed)
        finally:
            claims.release(claimed)
    return done, failed


def _still_there(archive: ArchiveService, entry_id: int) -> bool:
    with archive.catalogue.session() as s:
        return s.get(OutboxEntry, entry_id) is not None


def _delete(archive: ArchiveService, entry_ids: list[int]) -> None:
    if entry_ids:
        with archive.catalogue.session() as s:
            s.execute(sa.delete(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)))


def flush_index(archive: ArchiveService, batch: IndexBatch) -> None:
    """Send the index work staged in ``batch`` to the indexer now, in one call."""
    staged = batch.take()
    if not staged:
        return
    entry_ids = [entry_id for entry_id, _ in staged]
    try:
        archive.indexer.index(list(dict.fromkeys(rid for _, rids in staged for rid in rids)))
    except Exception as exc:  # noqa: BLE001 - the rows stay; repair retries them
        log.warning("grouped indexing of %d records failed: %s", len(staged), exc)
        with archive.catalogue.session() as s:
            s.execute(sa.update(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)).values(
                attempts=OutboxEntry.attempts + 1, last_error=str(exc)[:2000]))
        return
    with archive.catalogue.session() as s:
        s.execute(sa.delete(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)))


def run_pending_tasks(archive: ArchiveService, rounds: int = 4) -> tuple[int, int]:
    """Every pending entry, deferred tasks included: (done, failed). A task may queue another (a
    deferred OCR queues the validation of its copy): up to ``rounds`` passes run while the
    previous one did something and left new entries."""
    done = failed = 0
    for _ in range(rounds):
        d, f = run(archive, None, include_deferred=True)
        done, failed = done + d, failed + f
        with archive.catalogue.session() as s:
            left = s.execute(sa.select(sa.func.count()).select_from(OutboxEntry)
                             .where(OutboxEntry.attempts == 0)).scalar_one()
        if not d or not left:
            break
    return done, failed


def execute(archive: ArchiveService, kind: str, payload: dict[str, Any]) -> None:
    """One entry's work; raises what the collaborator raised."""
    if kind == "index":
        archive.indexer.index(payload["record_ids"])
    elif kind == "deindex":
        archive.indexer.delete(payload["record_ids"])
    elif kind == "sidecar":
        archive.sidecars.write(payload["record_ids"])
        archive.sidecars.write_holds(payload.get("hold_ids", ()))
    elif kind == "event":
        if archive.events is not None:
            archive.events.publish(payload["event"], payload.get("data") or {}, event_id=payload["id"])
    elif kind == "task":
        if archive.dispatcher is None:
            raise RuntimeError(f"no dispatcher configured for task {payload['task']}")
        archive.dispatcher.dispatch(payload["task"], payload.get("args") or {})
    else:
        raise ValueError(f"unknown outbox entry kind {kind!r}")
