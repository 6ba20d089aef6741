"""Fixity: no altered original is ever handed out as genuine, and every stored object is re-hashed.

Downloads (``FixityService.open``, used by the HTTP download and ``luutru get``)
    What is sent is verified before it leaves. A span (the whole object or an HTTP byte range) of
    up to ``fixity.prehash_limit`` bytes is read and checked completely before the first byte is
    sent, so a mismatch is a clean error (HTTP 500 ``fixity_failed``). A longer span is checked one
    1 MiB block at a time against the block digests the store recorded at ingest: a block is sent
    only after it matched, and the transfer is cut at the first block that does not (the client
    sees a body shorter than ``Content-Length``, never a complete wrong file). For a whole object
    the last block is held back until the object's SHA-256 — the authority, which is also its
    storage key — matched too. Objects stored before block digests existed are read and hashed
    whole once (the client waits), which records their block digests. When the store's copy fails,
    the same blocks are read from the replica (``objects.replica``), checked the same way, and sent
    from there — also in the middle of a transfer.

Audits (``FixityService.run``: ``luutru fixity run``, and the periodic slices of the embedded loop
and of Celery beat)
    Every object is read back and hashed, oldest-checked first (``object_fixity.checked_at``; the
    ingest counts as the first check), at a byte-rate budget. Each check adds a PREMIS ``fixity
    check`` event per component (success or failure) and updates the object's row; results are
    committed in small batches, so an interrupted run loses at most a batch and the next run
    continues with the oldest unchecked objects (a full run resumes with its original cutoff).
    A periodic slice checks the objects that are *due*: last checked more than 90 % of
    ``fixity.cycle_days`` ago (the last tenth of the cycle absorbs bursts of ingests), and failed
    objects again after a day, so a restored copy is noticed.

A failure (bytes differ from their SHA-256 or size) opens once per object: the records concerned
become ``damaged``, with a failed fixity event, an audit entry and a ``fixity.failed`` event
(webhooks). Missing bytes are handled as the repair pass does. When a later check finds the bytes
right again (restored from a backup), the records return to active.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as DBIntegrityError

from archive import audit, fixity_report
from archive.catalogue.fixity_tables import FixityRun, ObjectFixity
from archive.catalogue.models import Component, Event, Record
from archive.errors import ArchiveError, FixityFailed, IntegrityError, ObjectNotFound, RecordNotFound
from archive.objects.base import BLOCK_SIZE, BlockHasher, ObjectStore, sha256_from_key
from archive.objects.blocks import Digests, VerifiedContent, VerifiedSpan, cut
from archive.repair import record_intact
from archive.service import SOFTWARE_AGENT, ArchiveService
from archive.settings import FixitySettings

log = logging.getLogger(__name__)

BATCH = 256
"""Objects an audit selects at a time; their results are committed together, or after
``COMMIT_SECONDS`` (large objects), so a crash loses little and costs one transaction per batch."""
COMMIT_SECONDS = 5.0
HEARTBEAT_SECONDS = 30.0
STALE_SECONDS = 600.0
"""A running audit without a heartbeat for this long has crashed (another may take over)."""
FAILED_RECHECK = timedelta(days=1)
DUE_FRACTION = 0.9
DEAD = ("disposing", "disposed")


class FixityBusy(ArchiveError):
    """Another fixity audit is running."""

    code = "fixity_busy"


@dataclass
class CheckResult:
    key: str
    size: int
    outcome: str
    """success / failure / missing"""
    problem: str | None = None
    bytes_read: int = 0
    block_digests: bytes | None = None
    """Block digests computed in this read for an object that had none (recorded on success)."""
    note: str | None = None
    lock_unreadable: bool = False
    """The store's retention lock of the object cannot be read (``ObjectInfo.lock_unreadable``): the
    bytes are right, but the object is held until the lock is restored."""


@dataclass
class RunReport:
    run_id: int | None = None
    kind: str = "full"
    resumed_from: int | None = None
    cutoff: str | None = None
    objects: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    """Records whose bytes were found right again (restored from a backup)."""
    unreadable_locks: list[str] = field(default_factory=list)
    """Objects whose bytes are right but whose retention lock cannot be read (the filesystem store's
    ``.lock`` sidecar damaged): held until the lock is restored from a backup."""
    complete: bool = False
    """Nothing of the run's work is left (False: stopped by its time limit or interrupted)."""
    budget_bytes_s: float | None = None

    @property
    def rate(self) -> float:
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "kind": self.kind, "resumed_from": self.resumed_from, "cutoff": self.cutoff,
                "objects": self.objects, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "bytes_per_second": round(self.rate), "budget_bytes_per_second": self.budget_bytes_s,
                "failures": self.failures, "restored": self.restored, "unreadable_locks": self.unreadable_locks,
                "complete": self.complete}


class Throttle:
    """Keeps a reader at or under ``rate`` bytes per second on average since it started: after each
    piece it sleeps for as long as it is ahead of the budget. No rate: no sleeping."""

    def __init__(self, rate: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate if rate and rate > 0 else None
        self.clock, self.sleep = clock, sleep
        self.start = clock()
        self.used = 0

    def consume(self, n: int) -> None:
        self.used += n
        if self.rate is None:
            return
        ahead = self.used / self.rate - (self.clock() - self.start)
        if ahead > 0:
            self.sleep(ahead)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool | None:
    """On this host: is the process alive? Elsewhere: unknown (None)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FixityService:
    """Verified downloads and fixity audits over the archive's catalogue and store (see module doc)."""

    def __init__(self, archive: ArchiveService, *, prehash_limit: int = 64 * 1024 * 1024,
                 cycle: timedelta = timedelta(days=30), budget_bytes_s: float | None = 20e6,
                 slice_seconds: float = 60.0, replica: ObjectStore | None = None,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.archive = archive
        self.catalogue = archive.catalogue
        self.store = archive.store
        self.replica = replica
        self.prehash_limit = prehash_limit
        self.cycle = cycle
        self.budget_bytes_s = budget_bytes_s
        self.slice_seconds = slice_seconds
        self.monotonic, self.sleep = monotonic, sleep

    @classmethod
    def from_settings(cls, archive: ArchiveService, fixity: FixitySettings, *,
                      replica: ObjectStore | None = None) -> FixityService:
        """From a ``FixitySettings`` section."""
        return cls(archive, prehash_limit=fixity.prehash_limit, cycle=timedelta(days=fixity.cycle_days),
                   budget_bytes_s=fixity.budget_mb_s * 1e6 or None, slice_seconds=fixity.slice_seconds,
                   replica=replica)

    # downloads ----------------------------------------------------------------------------------
    def component(self, record_id: str, role: str = "original") -> dict[str, Any]:
        """The component a download would send (the newest of that role), without reading bytes."""
        with self.catalogue.session() as s:
            comp = s.execute(sa.select(Component).where(
                Component.record_id == record_id, Component.role == role,
                Component.status.in_(("present", "missing"))).order_by(Component.created_at.desc())).scalars().first()
            if comp is None:
                raise RecordNotFound(f"record {record_id} has no {role}",
                                     f"Không tìm thấy văn bản {record_id} hoặc tệp {role} của nó")
            return {"id": comp.id, "record_id": record_id, "role": comp.role, "sha256": comp.sha256,
                    "size": comp.size, "media_type": comp.media_type, "filename": comp.filename,
                    "storage_key": comp.storage_key}

    def open(self, info: dict[str, Any], *, actor: str, span: tuple[int, int] | None = None, client: str | None = None,
             address: str | None = None) -> VerifiedContent:
        """Verified bytes of a component (``info`` from ``component``): all of it, or ``span`` =
        (start, length). Audited as a download before any byte leaves. Raises ``FixityFailed`` when
        neither the store nor the replica has bytes that match; the content raises it too if a later
        block fails in every copy (the caller must then abort, never complete)."""
        start, length = span if span is not None else (0, info["size"])
        key = info["storage_key"]

        def give_up(exc: Exception) -> FixityFailed:
            missing = isinstance(exc, ObjectNotFound)
            return FixityFailed(
                f"stored bytes of record {info['record_id']} ({info['role']}) are "
                f"{'missing' if missing else 'altered'} ({exc}) and no good copy exists",
                f"Tệp lưu trữ {'không còn trong kho' if missing else 'bị hỏng, mã băm SHA-256 không khớp'}: văn "
                f"bản {info['record_id']} không có bản sao tốt, hệ thống không cung cấp tệp sai. Sự cố đã được ghi "
                "nhận và báo cho bộ phận lưu trữ.",
                record_id=info["record_id"], storage_key=key)

        verified = VerifiedSpan(self._sources(), self._digests(info), key=key, sha256=info["sha256"],
                                size=info["size"], start=start, length=length, prehash_limit=self.prehash_limit,
                                on_failure=lambda source, exc: self.detected(source, key, exc, actor=actor),
                                on_digests=lambda digests: self._save_digests(key, digests), give_up=give_up)
        content = VerifiedContent(info, verified)
        outcome, detail = "failure", {"role": info["role"], "sha256": info["sha256"]}
        try:
            content.prime()
            outcome = "success"
        except ArchiveError as exc:
            detail["code"] = exc.code
            raise
        finally:
            if span is not None:
                detail["range"] = [start, length]
            if content.source != "primary":
                detail["source"] = content.source
            self.archive.audit_access(actor=actor, client=client, address=address, action="record.download",
                                      target_type="record", target_id=info["record_id"], outcome=outcome,
                                      detail=detail)
        return content

    def _digests(self, info: dict[str, Any]) -> Digests | None:
        with self.catalogue.session() as s:
            row = s.get(ObjectFixity, info["storage_key"])
            block_size, blocks = (row.block_size, row.block_digests) if row is not None else (None, None)
        return Digests.of(info["storage_key"], info["sha256"], info["size"], block_size, blocks)

    def _sources(self) -> list[tuple[str, ObjectStore]]:
        return [("primary", self.store)] + ([("replica", self.replica)] if self.replica is not None else [])

    def _save_digests(self, key: str, digests: Digests) -> None:
        with self.catalogue.session() as s:
            s.execute(sa.update(ObjectFixity).where(ObjectFixity.storage_key == key,
                                                    ObjectFixity.block_digests.is_(None))
                      .values(block_size=digests.block_size, block_digests=digests.blocks))

    def detected(self, source: str, key: str, exc: Exception, *, actor: str, detected_by: str = "download") -> None:
        """A copy failed while being read for a download: the store's copy is marked (damaged or
        missing); a replica's failure is only logged (it is not the archive's to repair)."""
        if source != "primary":
            log.warning("replica copy of %s is not usable either: %s", key, exc)
            return
        if isinstance(exc, ObjectNotFound):
            self.archive.mark_missing(key, actor=actor, detected_by=detected_by)
        else:
            problem = getattr(exc, "problem", None) or str(exc)
            self._record([CheckResult(key, 0, "failure", problem)], actor=actor, detected_by=detected_by)

    # audits ---------------------------------------------------------------------------------------
    def run(self, *, kind: str = "full", budget_bytes_s: float | None = None, max_seconds: float | None = None,
            max_objects: int | None = None, actor: str = SOFTWARE_AGENT,
            progress: Callable[[RunReport], None] | None = None) -> RunReport:
        """Re-read and re-hash objects: ``full`` — every object last checked before the run started
        (or before the interrupted full run it resumes started); ``due`` — the objects due in the
        cycle. Stops after ``max_seconds`` or ``max_objects`` (the rest stays for the next run).
        Raises ``FixityBusy`` when another audit is running."""
        run_id, cutoff, resumed = self._start(kind, budget_bytes_s)
        report = RunReport(run_id=run_id, kind=kind, resumed_from=resumed, cutoff=cutoff.isoformat(),
                           budget_bytes_s=budget_bytes_s)
        throttle = Throttle(budget_bytes_s, clock=self.monotonic, sleep=self.sleep)
        started = self.monotonic()
        beat = [started]

        def heartbeat() -> None:
            if self.monotonic() - beat[0] >= HEARTBEAT_SECONDS:
                beat[0] = self.monotonic()
                with self.catalogue.session() as s:
                    s.execute(sa.update(FixityRun).where(FixityRun.id == run_id).values(
                        heartbeat_at=self.archive.clock.now()))

        state, pending = "interrupted", []
        try:
            if kind == "full":
                self._forget_destroyed()
            previous: set[str] = set()
            while True:
                batch = self._due(kind, cutoff)
                keys = {row["storage_key"] for row in batch}
                if not batch or keys <= previous:  # (nothing recorded for them: never loop on them)
                    report.complete = not batch
                    break
                previous = keys
                stop = False
                committed = self.monotonic()
                for row in batch:
                    if (max_objects is not None and report.objects >= max_objects) or (
                            max_seconds is not None and self.monotonic() - started >= max_seconds):
                        stop = True
                        break
                    result = self.check(row, throttle=throttle, heartbeat=heartbeat)
                    if result.lock_unreadable:
                        report.unreadable_locks.append(result.key)
                    pending.append(result)
                    report.objects += 1
                    report.bytes += result.bytes_read
                    if self.monotonic() - committed >= COMMIT_SECONDS:
                        self._commit(pending, report, run_id, actor)
                        pending, committed = [], self.monotonic()
                        beat[0] = committed
                if pending:
                    self._commit(pending, report, run_id, actor)
                    pending = []
                if progress is not None:
                    progress(report)
                if stop:
                    break
            state = "done" if report.complete or kind == "due" else "interrupted"
        finally:
            try:
                if pending:
                    self._commit(pending, report, run_id, actor)
            finally:
                report.seconds = self.monotonic() - started
                self._finish(run_id, state, report, actor)
        return report

    def run_due(self, *, actor: str = SOFTWARE_AGENT) -> dict[str, Any]:
        """One periodic slice (embedded loop, Celery beat): the due objects, within the slice's time
        and the budget. Another audit running is not an error: this slice is skipped."""
        try:
            report = self.run(kind="due", budget_bytes_s=self.budget_bytes_s, max_seconds=self.slice_seconds,
                              actor=actor)
        except FixityBusy:
            return {"busy": True}
        return report.as_dict()

    def check(self, row: dict[str, Any], *, throttle: Throttle | None = None,
              heartbeat: Callable[[], None] | None = None) -> CheckResult:
        """Read one object back and hash it (``row``: storage_key, size, block_size, block_digests)."""
        key, size = row["storage_key"], row["size"]
        expected = sha256_from_key(key)
        try:
            reader = self.store.open(key, expected_size=size)
        except ObjectNotFound:
            return CheckResult(key, size, "missing", "missing")
        sha = hashlib.sha256()
        blocks = BlockHasher() if row.get("block_digests") is None and size > BLOCK_SIZE else None
        read = 0
        try:
            with reader:
                for chunk in reader.chunks():
                    sha.update(chunk)
                    if blocks is not None:
                        blocks.update(chunk)
                    read += len(chunk)
                    if throttle is not None:
                        throttle.consume(len(chunk))
                    if heartbeat is not None:
                        heartbeat()
        except ObjectNotFound:
            return CheckResult(key, size, "missing", "missing", bytes_read=read)
        except IntegrityError as exc:
            return CheckResult(key, size, "failure", f"size: {exc}"[:500], bytes_read=read)
        if sha.hexdigest() != expected:
            return CheckResult(key, size, "failure", self._locate(row, expected), bytes_read=read)
        stored = reader.stored_sha256
        if stored and stored != expected:
            return CheckResult(key, size, "failure", f"stored sha256 metadata is {stored}", bytes_read=read)
        note = "no sha256 metadata on the stored version" if stored == "" else None
        return CheckResult(key, size, "success", bytes_read=read, note=note,
                           block_digests=blocks.digests() if blocks is not None else None,
                           lock_unreadable=self._lock_unreadable(key))

    def _lock_unreadable(self, key: str) -> bool:
        """Only a store keeping its locks in sidecar files is asked (on S3 a ``stat`` is one more
        request per object, for a flag that is always false there)."""
        if not self.store.locks_in_sidecars:
            return False
        try:
            return self.store.stat(key).lock_unreadable
        except ObjectNotFound:
            return False

    def _locate(self, row: dict[str, Any], expected: str) -> str:
        """Which blocks differ (a second read, only after a mismatch, when block digests exist)."""
        digests = Digests.of(row["storage_key"], expected, row["size"], row.get("block_size"), row.get("block_digests"))
        if digests is None or digests.count <= 1:
            return "sha256 mismatch"
        bad: list[int] = []
        try:
            with self.store.open(row["storage_key"], expected_size=row["size"]) as reader:
                for i, block in enumerate(cut(reader.chunks(), digests.block_size)):
                    if i >= digests.count or hashlib.sha256(block).digest() != digests.digest(i):
                        bad.append(i)
        except ArchiveError:
            pass
        if not bad:
            return "sha256 mismatch"
        shown = ", ".join(str(b) for b in bad[:10]) + (" …" if len(bad) > 10 else "")
        return f"sha256 mismatch in block{'s' if len(bad) > 1 else ''} {shown} of {digests.count} (1 MiB)"

    # run bookkeeping ------------------------------------------------------------------------------
    def _start(self, kind: str, budget: float | None) -> tuple[int, datetime, int | None]:
        if kind not in ("full", "due"):
            raise ValueError(f"unknown fixity run kind {kind!r}")
        now = self.archive.clock.now()
        with self.catalogue.session() as s:
            running = s.execute(sa.select(FixityRun).where(FixityRun.state == "running")).scalars().first()
            if running is not None:
                alive = _owner_alive(running.owner)
                if alive or (alive is None and running.heartbeat_at > now - timedelta(seconds=STALE_SECONDS)):
                    raise FixityBusy(f"fixity run {running.id} ({running.owner}) is running",
                                     f"Đang có một lượt kiểm tra toàn vẹn khác chạy (lượt {running.id})")
                running.state, running.finished_at = "interrupted", running.heartbeat_at
            cutoff, resumed = now, None
            if kind == "full":
                last = s.execute(sa.select(FixityRun).where(FixityRun.kind == "full")
                                 .order_by(FixityRun.id.desc()).limit(1)).scalars().first()
                if last is not None and last.state == "interrupted":
                    cutoff, resumed = last.cutoff, last.id
            else:
                cutoff = now - self.cycle * DUE_FRACTION
        try:
            with self.catalogue.session() as s:
                run = FixityRun(kind=kind, state="running", owner=_owner(), started_at=now, heartbeat_at=now,
                                cutoff=cutoff, resumed_from=resumed, objects=0, bytes=0, failures=0,
                                budget_bytes_s=budget)
                s.add(run)
                s.flush()
                return run.id, cutoff, resumed
        except DBIntegrityError:
            raise FixityBusy("another fixity run started at the same time",
                             "Đang có một lượt kiểm tra toàn vẹn khác chạy") from None

    def _finish(self, run_id: int, state: str, report: RunReport, actor: str) -> None:
        now = self.archive.clock.now()
        with self.catalogue.session() as s:
            s.execute(sa.update(FixityRun).where(FixityRun.id == run_id).values(
                state=state, finished_at=now, heartbeat_at=now, objects=report.objects, bytes=report.bytes,
                failures=len(report.failures)))
            if report.objects or state != "done":
                outcome = "failure" if report.failures else "warning" if report.unreadable_locks else "success"
                audit.append(s, at=now, actor=actor, action="fixity.run", outcome=outcome, target_type="fixity_run",
                             target_id=str(run_id), detail={"kind": report.kind, "state": state,
                                                            "objects": report.objects, "bytes": report.bytes,
                                                            "failures": len(report.failures),
                                                            "unreadable_locks": report.unreadable_locks,
                                                            "resumed_from": report.resumed_from})

    def _live(self) -> sa.Exists:
        return fixity_report.live()

    def _due(self, kind: str, cutoff: datetime) -> list[dict[str, Any]]:
        F = ObjectFixity
        q = sa.select(F.storage_key, F.size, F.block_size, F.block_digests).where(self._live())
        if kind == "full":
            q = q.where(F.checked_at < cutoff)
        else:
            recheck = self.archive.clock.now() - FAILED_RECHECK
            q = q.where(sa.or_(F.checked_at < cutoff,
                               sa.and_(F.outcome.in_(("failure", "missing")), F.checked_at < recheck)))
        with self.catalogue.session() as s:
            return [dict(r._mapping) for r in s.execute(q.order_by(F.checked_at, F.storage_key).limit(BATCH))]

    def _forget_destroyed(self) -> None:
        """Rows of objects no live component references any more (destroyed records, orphans)."""
        with self.catalogue.session() as s:
            s.execute(sa.delete(ObjectFixity).where(~self._live()).execution_options(synchronize_session=False))

    # recording outcomes -----------------------------------------------------------------------------
    def _commit(self, results: list[CheckResult], report: RunReport, run_id: int, actor: str) -> None:
        failures, restored = self._record(results, actor=actor, detected_by="fixity", run_id=run_id,
                                          run_figures={"objects": report.objects, "bytes": report.bytes,
                                                       "failures": len(report.failures)})
        report.failures += failures
        report.restored += restored

    def _record(self, results: list[CheckResult], *, actor: str, detected_by: str, run_id: int | None = None,
                run_figures: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """Write the outcome of checks in one transaction (see the module doc for what a failure and
        a restoration do). An audit (``run_id``) adds a PREMIS event for every check; a download
        only for a failure it is the first to find."""
        now = self.archive.clock.now()
        failures: list[dict[str, Any]] = []
        restored: list[str] = []
        missing: list[tuple[str, bool]] = []
        back: list[str] = []
        with self.catalogue.session() as s:
            keys = [r.key for r in results]
            rows = {r.storage_key: r for r in s.execute(
                sa.select(ObjectFixity).where(ObjectFixity.storage_key.in_(keys))).scalars()}
            comps: dict[str, list[Any]] = {}
            for c in s.execute(sa.select(Component.id, Component.record_id, Component.role, Component.storage_key,
                                         Component.status, Component.size).join(Record, Record.id == Component.record_id).where(
                    Component.storage_key.in_(keys), Component.status != "destroyed", Record.status.not_in(DEAD))):
                comps.setdefault(c.storage_key, []).append(c)
            events: list[dict[str, Any]] = []
            outbox = []
            damaged: set[str] = set()
            reopened: set[str] = set()

            def event(c: Component, outcome: str, detail: str, data: dict[str, Any]) -> None:
                events.append({"record_id": c.record_id, "component_id": c.id, "event_type": "fixity check",
                               "occurred_at": now, "agent": SOFTWARE_AGENT, "outcome": outcome, "detail": detail,
                               "data": {**data, "detected_by": detected_by, **({"run": run_id} if run_id else {})}})

            for r in results:
                row = rows.get(r.key)
                if row is None:
                    if not comps.get(r.key):
                        continue
                    row = ObjectFixity(storage_key=r.key, size=comps[r.key][0].size, checked_at=now, outcome="ingest",
                                       checks=0)
                    s.add(row)
                row.checked_at = now
                if run_id is not None:
                    row.checks += 1
                if r.outcome == "success":
                    if row.failed_at is not None:
                        reopened.update(c.record_id for c in comps.get(r.key, ()))
                    if any(c.status == "missing" for c in comps.get(r.key, ())):
                        back.append(r.key)
                    row.outcome, row.verified_at, row.failed_at, row.problem = "success", now, None, None
                    if r.block_digests is not None and row.block_digests is None:
                        row.block_size, row.block_digests = BLOCK_SIZE, r.block_digests
                    for c in comps.get(r.key, ()):
                        event(c, "success", f"SHA-256 verified: {r.bytes_read} bytes read back from the "
                                            f"{self.store.name} store" + (f" ({r.note})" if r.note else ""),
                              {"sha256": sha256_from_key(r.key), "size": r.bytes_read})
                    continue
                if r.outcome == "missing":
                    missing.append((r.key, row.outcome != "missing"))
                    row.outcome, row.problem = "missing", "missing"
                    continue
                first = row.failed_at is None
                row.outcome, row.problem = "failure", (r.problem or "sha256 mismatch")[:500]
                if first:
                    row.failed_at = now
                for c in comps.get(r.key, ()):
                    failures.append({"record_id": c.record_id, "role": c.role, "storage_key": r.key,
                                     "problem": row.problem, "first": first})
                    if first or run_id is not None:
                        event(c, "failure", f"bytes of {c.role} differ from their SHA-256 in the {self.store.name} "
                                            f"store: {row.problem}", {"sha256": sha256_from_key(r.key),
                                                                      "problem": row.problem})
                    if first:
                        damaged.add(c.record_id)
                        audit.append(s, at=now, actor=actor, action="fixity.failed", outcome="failure",
                                     target_type="record", target_id=c.record_id,
                                     detail={"storage_key": r.key, "role": c.role, "problem": row.problem,
                                             "detected_by": detected_by})
                        outbox += self.archive.event_entries("fixity.failed", {
                            "record_id": c.record_id, "role": c.role, "detected_by": detected_by,
                            "problem": "sha256 mismatch"}, now=now)
            if events:
                s.execute(sa.insert(Event), events)
            if damaged:
                s.execute(sa.update(Record).where(Record.id.in_(sorted(damaged)), Record.status == "active")
                          .values(status="damaged"))
            s.flush()
            for record_id in sorted(reopened):
                if record_intact(s, record_id):
                    s.execute(sa.update(Record).where(Record.id == record_id, Record.status == "damaged")
                              .values(status="active"))
                audit.append(s, at=now, actor=actor, action="fixity.restored", target_type="record",
                             target_id=record_id, detail={"detected_by": detected_by})
            if run_id is not None and run_figures is not None:  # the run's figures, in the same transaction
                s.execute(sa.update(FixityRun).where(FixityRun.id == run_id).values(
                    objects=run_figures["objects"], bytes=run_figures["bytes"],
                    failures=run_figures["failures"] + len(failures), heartbeat_at=now))
            s.add_all(outbox)
            s.flush()
            outbox_ids = [o.id for o in outbox]
        self.archive.run_post_commit(outbox_ids)
        for key, first in missing:
            for m in self.archive.mark_missing(key, actor=actor, detected_by=detected_by):
                failures.append({**m, "problem": "missing", "first": first})
        for key in back:
            restored += self.archive.mark_restored(key, actor=actor)
        return failures, sorted(reopened) + [rid for rid in restored if rid not in reopened]

    # reports --------------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Fixity state for ``luutru status`` (``archive.fixity_report.summary``)."""
        return fixity_report.summary(self.catalogue, cycle=self.cycle, now=self.archive.clock.now())

    def report(self, *, limit: int = 50) -> dict[str, Any]:
        """What failed and when each object was last verified (``archive.fixity_report.report``)."""
        return fixity_report.report(self.catalogue, cycle=self.cycle, now=self.archive.clock.now(), limit=limit)
