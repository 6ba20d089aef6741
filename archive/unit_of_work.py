"""The unit of work of the kernel: one catalogue transaction, its post-commit work, its index grouping.

``ArchiveService.unit_of_work()`` opens one (invenio-records-resources' ``UnitOfWork``): the
service's write methods (``create_record``, ``add_component``, ``amend_derived``, ``ensure_fonds``,
``create_dossier``, ``audit_access``, ``emit``) take it as ``uow=`` and then write in its session
instead of opening their own, so several calls commit together or not at all::

    with archive.unit_of_work() as uow:
        archive.add_component(record_id, report, actor=actor, uow=uow)
        archive.amend_derived(record_id, actor=actor, extra={"checked": True}, uow=uow)
    # committed here; then the outbox rows both calls added are executed (index, tasks, events)

Contracts:

* the block's end commits; an exception in it rolls back every row of every call (outbox rows
  included), and no post-commit work runs. Objects the calls already put in the store are left
  as orphans, which the repair pass removes after the grace period (objects first, rows second:
  an object never accepted has no row);
* an error raised by a method given ``uow`` leaves the transaction to be rolled back: let it
  leave the block (the session may be unusable after a failed flush on PostgreSQL);
* post-commit work runs only once the transaction committed (and after the catalogue's
  after-commit hooks, which write the metadata sidecars); a method given ``uow`` returns
  before its record is indexed;
* a method given ``uow=None`` opens and commits its own, as before.

**Index grouping** belongs to an ``IndexBatch``, never to the service: ``ArchiveService.batch()``
binds one to the calling thread's context (``contextvars``), and the units of work opened in that
context — each committing on its own, so one bad file never fails a batch — stage their index
work in it. ``IngestService.run_many`` runs each file's thread in a copy of the context
(``IndexBatch.bind``), so its threads share their batch's grouping, and two batches run at the same
time in one process (two ingests, two threads) never see each other's.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from archive.catalogue.models import OutboxEntry

P = ParamSpec("P")
T = TypeVar("T")

_current: contextvars.ContextVar[IndexBatch | None] = contextvars.ContextVar("luutru_index_batch", default=None)


class IndexBatch:
    """Index work of committed records, handed to the indexer ``size`` records at a time (one index
    commit instead of one per record) and at the batch's end. Thread-safe: the threads of one
    batch stage into it concurrently.

    The outbox rows stay until the indexer took them, so a crash leaves them for the repair pass:
    grouping trades seconds of search visibility for throughput, never durability."""

    def __init__(self, size: int = 64):
        self.size = size
        self._staged: list[tuple[int, list[str]]] = []
        self._lock = threading.Lock()

    def stage(self, entry_id: int, record_ids: Sequence[str]) -> bool:
        """Keep one committed ``index`` outbox row for later; True when the group is full."""
        with self._lock:
            self._staged.append((entry_id, list(record_ids)))
            return len(self._staged) >= self.size

    def take(self) -> list[tuple[int, list[str]]]:
        """The staged (outbox row id, record ids), removed from the batch."""
        with self._lock:
            staged, self._staged = self._staged, []
        return staged

    @staticmethod
    def current() -> IndexBatch | None:
        """The batch bound to the calling context (``ArchiveService.batch``), if any."""
        return _current.get()

    def activate(self) -> contextvars.Token[IndexBatch | None]:
        return _current.set(self)

    @staticmethod
    def deactivate(token: contextvars.Token[IndexBatch | None]) -> None:
        _current.reset(token)

    def bind(self, fn: Callable[P, T]) -> Callable[P, T]:
        """``fn`` run in a fresh copy of the calling context with this batch bound (for a worker
        thread: a thread does not inherit the context of the one that submits to it)."""
        def bound(*args: P.args, **kwargs: P.kwargs) -> T:
            ctx = contextvars.copy_context()
            ctx.run(_current.set, self)
            return ctx.run(fn, *args, **kwargs)
        return bound


class UnitOfWork:
    """One open catalogue transaction (``session``), the outbox rows added in it (run after its
    commit) and the index grouping their index work goes to (None: indexed at once)."""

    def __init__(self, session: Session, batch: IndexBatch | None = None):
        self.session = session
        self.batch = batch
        self.outbox_ids: list[int] = []

    def add_outbox(self, entries: Sequence[OutboxEntry]) -> list[int]:
        """Add post-commit work to the transaction; its ids are run after the commit."""
        if not entries:
            return []
        self.session.add_all(entries)
        self.session.flush()
        ids = [e.id for e in entries]
        self.outbox_ids += ids
        return ids

    def register(self, ids: Sequence[int]) -> None:
        """Outbox rows already added to the session (``ArchiveService.add_tasks``), to run after the commit."""
        self.outbox_ids += list(ids)
