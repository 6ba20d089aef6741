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
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Generic, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from archive.catalogue.models import OutboxEntry

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

_current: contextvars.ContextVar[IndexBatch | None] = contextvars.ContextVar("luutru_index_batch", default=None)


class IndexBatch:
    """Index work of committed records, handed to the indexer ``size`` records at a time (one index
    commit instead of one per record) and at the batch's end. Thread-safe: the threads of one
    batch stage into it concurrently.

    The outbox rows stay until the indexer took them, so a crash leaves them for the repair pass:
    grouping trades seconds of search visibility for throughput, never durability."""

    def __init__(self, size: int = 64, commits: CommitGroup | None = None):
        self.size = size
        self.commits = commits
        """The batch's group commit (None: each record commits on its own)."""
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
        self.committed = False
        """Set once the transaction committed (post-commit work may still fail after it)."""

    def add_outbox(self, entries: Sequence[OutboxEntry]) -> list[int]:
        """Add post-commit work to the transaction; its ids are run after the commit.

        The rows go in one INSERT … RETURNING (the entries are the values, not added to the
        session): added as ORM objects, SQLite gets one INSERT each, since it cannot return new
        rowids in the order of the rows and the ORM needs that order to give each object its id."""
        if not entries:
            return []
        now = datetime.now(UTC)
        rows = [{"kind": e.kind, "payload": e.payload, "created_at": e.created_at or now} for e in entries]
        ids = sorted(self.session.execute(sa.insert(OutboxEntry).returning(OutboxEntry.id), rows).scalars())
        self.outbox_ids += ids
        return ids

    def register(self, ids: Sequence[int]) -> None:
        """Outbox rows already added to the session (``ArchiveService.add_tasks``), to run after the commit."""
        self.outbox_ids += list(ids)


class _Pending(Generic[T]):
    """One write waiting in a ``CommitGroup``."""

    def __init__(self, work: Callable[[UnitOfWork], T]):
        self.work = work
        self.value: T | None = None
        self.error: BaseException | None = None
        self.finished = False

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # set when finished without an error


class CommitGroup:
    """Group commit of the writes of several threads (see the module docstring).

    ``submit(work)`` runs ``work(uow)`` in a unit of work shared with the writes of the other
    threads that are waiting at that moment (at most ``max_size``) and returns its result once
    that unit of work committed, or raises its error. There is no timer: a thread that finds no
    commit running commits at once (alone if nobody waits), and the writes that arrive during a
    commit form the next group — grouping grows with the load and costs no latency when idle."""

    def __init__(self, open_uow: Callable[[], AbstractContextManager[UnitOfWork]], max_size: int = 32):
        self._open = open_uow
        self.max_size = max(1, max_size)
        self._cv = threading.Condition()
        self._queue: list[_Pending[object]] = []
        self._leading = False
        self.groups: list[int] = []
        """Size of every group committed (what a benchmark or a test looks at)."""

    def submit(self, work: Callable[[UnitOfWork], T]) -> T:
        item: _Pending[T] = _Pending(work)
        with self._cv:
            self._queue.append(item)  # type: ignore[arg-type]  # the queue holds any T
        while True:
            with self._cv:
                while not item.finished and self._leading:
                    self._cv.wait()
                if item.finished:
                    break
                self._leading = True
                group, self._queue = self._queue[:self.max_size], self._queue[self.max_size:]
            self._lead(group)
        return item.result()

    def _lead(self, group: list[_Pending[object]]) -> None:
        """Commit ``group``; the lead passes on at the commit (the next group's rows are written
        while this thread runs this group's post-commit work), or at the end after a failure."""
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                with self._cv:
                    self._leading = False
                    self._cv.notify_all()

        try:
            self._commit(group, release)
        finally:
            release()

    def _commit(self, group: list[_Pending[object]], release: Callable[[], None]) -> None:
        committed = False

        def on_commit(_session: Session) -> None:
            nonlocal committed
            committed = True
            self.groups.append(len(group))
            self._finish(group, None)  # the writers' rows are committed: they go on at once
            release()

        try:
            with self._open() as uow:
                for item in group:
                    item.value = item.work(uow)
                sa_event.listen(uow.session, "after_commit", on_commit, once=True)
            if not committed:  # no after_commit event (nothing to commit): the block's end is the commit
                on_commit(uow.session)
        except BaseException as exc:
            if committed:
                # the rows are committed: only post-commit work failed, and its outbox rows stay
                # for the repair pass (what a record committed on its own would leave too)
                log.warning("post-commit work of a group of %d records failed: %s", len(group), exc)
                if not isinstance(exc, Exception):
                    raise
            elif isinstance(exc, Exception) and len(group) > 1:
                # one write failed and the whole group rolled back: each commits on its own now,
                # so each gets its own outcome and no other write is lost with it
                for item in group:
                    item.value = None
                    alone: UnitOfWork | None = None
                    try:
                        with self._open() as alone:
                            item.value = item.work(alone)
                        self.groups.append(1)
                    except Exception as own:  # noqa: BLE001 - handed to the thread that submitted it
                        if alone is None or not alone.committed:
                            item.error = own
                self._finish(group, None)
            else:
                self._finish(group, exc)
                if not isinstance(exc, Exception):
                    raise

    def _finish(self, group: list[_Pending[object]], error: BaseException | None) -> None:
        with self._cv:
            for item in group:
                if error is not None:
                    item.error = error
                item.finished = True
