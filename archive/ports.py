"""Protocols the kernel needs from the outside, implemented elsewhere and wired in ``api/wiring.py``.

``ArchiveService`` indexes and dispatches *after* each commit through these ports, so retention
can de-index a destroyed record without importing ``search`` (invenio's ``RecordCommitOp``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Indexer(Protocol):
    """Keeps the search index in step with the catalogue. Both calls are idempotent."""

    def index(self, record_ids: Sequence[str]) -> None: ...

    def delete(self, record_ids: Sequence[str]) -> None: ...


@runtime_checkable
class Dispatcher(Protocol):
    """Runs a named task: inline on the embedded default, through Celery in scale-out."""

    def dispatch(self, task: str, payload: dict[str, Any]) -> None: ...


@runtime_checkable
class EventSink(Protocol):
    """Receives the archive's domain events (``record.ingested``, ``record.disposed``,
    ``disposal.approved``, ``fixity.failed``) after the change that caused them has committed.

    Events travel through the outbox like index work, so an event survives a crash between the
    commit and its publication (the repair pass publishes it). ``publish`` should be quick and
    idempotent (keyed by ``event_id``); slow work (HTTP) belongs in a task. Webhooks
    (``api/webhooks.py``) implement it.
    """

    def publish(self, event: str, data: dict[str, Any], *, event_id: str) -> None:
        """``event_id`` is the same when a crash makes the event be published again (deduplicate on it)."""
        ...


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class NullIndexer:
    """Used where no index is configured (tools that only touch the catalogue)."""

    def index(self, record_ids: Sequence[str]) -> None:
        return None

    def delete(self, record_ids: Sequence[str]) -> None:
        return None


class InlineDispatcher:
    """Runs tasks in the calling process, one after the other: the embedded default.

    Tasks are registered by name by the composition root (``api/wiring.py``). With ``deferred``,
    ``ArchiveService`` leaves task entries in its durable outbox after the commit and runs them
    later (``run_pending_tasks``: after a batch, or in the repair pass), so background work such
    as long-term-validation copies stays off the ingest path and survives a crash.
    """

    def __init__(self, *, deferred: bool = False) -> None:
        self.deferred = deferred
        self.tasks: dict[str, Any] = {}

    def register(self, name: str, fn: Callable[..., Any]) -> None:
        self.tasks[name] = fn

    def dispatch(self, task: str, payload: dict[str, Any]) -> None:
        try:
            fn = self.tasks[task]
        except KeyError:
            raise LookupError(f"no task named {task!r} is registered") from None
        fn(**payload)
