"""The repair pass: reconcile the object store, the catalogue and the outbox after any crash.

Every write of the kernel puts its objects first, then commits its rows and outbox entries in one
transaction, then runs the post-commit work (``archive.service``). A crash after the objects
leaves objects without rows; a crash after the commit leaves outbox rows. ``repair`` (run at
start, hourly by beat, and by ``luutru repair``) finds both and resolves them, and marks the rows
whose bytes are missing (``mark_missing``; ``mark_restored`` when they come back). Nothing
committed is ever removed by it. The table of what it resolves is in ``docs/architecture.md``
("Repair").

The functions take the ``ArchiveService`` whose store, catalogue and clock they use; the
service's ``repair``, ``mark_missing`` and ``mark_restored`` delegate to them. What the kernel does
not know of (the ingest's quarantine) is repaired by the ``ArchiveService.repair_hooks`` that
``api.wiring`` registers: each returns its counts, reported under its name (``parts``); a ``review``
list in them names what a person must look at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from archive import audit, outbox
from archive.catalogue.fixity_tables import ObjectFixity
from archive.catalogue.models import Component, Event, OutboxEntry, Record
from archive.domain import SOFTWARE_AGENT
from archive.errors import ObjectLocked, ObjectNotFound

if TYPE_CHECKING:
    from archive.service import ArchiveService

log = logging.getLogger(__name__)

RepairHook = Callable[[], dict[str, Any]]
"""A repair outside the kernel (``ArchiveService.repair_hooks``): settles what it owns, returns counts."""


@dataclass
class RepairReport:
    outbox_done: int = 0
    outbox_failed: int = 0
    orphans_removed: list[str] = field(default_factory=list)
    orphans_kept: list[str] = field(default_factory=list)
    """Objects without rows that were too recent (an ingest may be in flight) or locked."""
    missing: list[dict[str, Any]] = field(default_factory=list)
    """Components whose bytes are not in the store."""
    restored: list[str] = field(default_factory=list)
    incomplete_removed: int = 0
    anchored: bool = False
    """The audit log's head was anchored with an RFC 3161 token in this pass."""
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each repair hook did (``{"quarantine": {...}}``); ``{"error": …}`` when it failed."""

    @property
    def clean(self) -> bool:
        return not (self.outbox_failed or self.orphans_kept or self.missing
                    or any(p.get("review") or p.get("error") for p in self.parts.values()))

    def as_dict(self) -> dict[str, Any]:
        return {"outbox_done": self.outbox_done, "outbox_failed": self.outbox_failed,
                "orphans_removed": self.orphans_removed, "orphans_kept": self.orphans_kept,
                "missing": self.missing, "restored": self.restored,
                "incomplete_removed": self.incomplete_removed, "anchored": self.anchored, **self.parts,
                "clean": self.clean}


def record_intact(s: Session, record_id: str) -> bool:
    """No component of the record lacks its bytes and none of its objects has an open fixity
    failure: a damaged record may return to active."""
    missing = s.execute(sa.select(Component.id).where(Component.record_id == record_id,
                                                      Component.status == "missing").limit(1)).first()
    if missing:
        return False
    failing = s.execute(sa.select(ObjectFixity.storage_key).join(
        Component, Component.storage_key == ObjectFixity.storage_key).where(
        Component.record_id == record_id, Component.status != "destroyed",
        ObjectFixity.failed_at.is_not(None)).limit(1)).first()
    return failing is None


def catalogue_keys(archive: ArchiveService) -> Iterator[tuple[str, str]]:
    """(storage_key, status) of every component that should have bytes, in byte order."""
    order: sa.ColumnElement[str] | InstrumentedAttribute[str] = Component.storage_key
    if archive.catalogue.dialect == "postgresql":
        order = Component.storage_key.collate("C")
    with archive.catalogue.session() as s:
        q = (sa.select(Component.storage_key, sa.func.min(Component.status))
             .where(Component.status != "destroyed").group_by(Component.storage_key).order_by(order))
        yield from s.execute(q.execution_options(yield_per=10000))


def repair(archive: ArchiveService, *, actor: str = SOFTWARE_AGENT) -> RepairReport:
    """Reconcile store, catalogue and outbox. Safe to run at any time, also concurrently with ingest.

    * pending post-commit work is executed (idempotent);
    * objects without rows older than the grace period are removed (they were never
      accepted: their catalogue commit did not happen); newer or locked ones are reported;
    * components whose bytes are missing are marked ``missing``, their record ``damaged``,
      with a failed fixity event; if the bytes come back (restored from backup) they are
      marked present again;
    * leftovers of interrupted writes are cleaned.

    Store and catalogue keys are merge-joined in sorted order, so memory stays flat at any size.
    """
    report = RepairReport()
    try:
        # The embedded default has no beat: each repair pass (at start, ``luutru repair``)
        # anchors the audit log's head, before this pass adds its own entry.
        report.anchored = archive.anchor_audit() is not None
    except Exception as exc:  # noqa: BLE001 - a TSA that is down never stops the repair pass
        log.warning("anchoring the audit log failed: %s", exc)
    archive.publish_anchors()
    report.outbox_done, report.outbox_failed = outbox.run(archive, None, include_deferred=True)
    for name, hook in archive.repair_hooks.items():
        try:
            report.parts[name] = hook()
        except Exception as exc:  # one part failing never stops the pass
            log.exception("repair of %s failed", name)
            report.parts[name] = {"error": f"{type(exc).__name__}: {exc}"}
    now = archive.clock.now()
    cutoff = now - archive.orphan_grace
    report.incomplete_removed = archive.store.cleanup_incomplete(cutoff)

    from archive.staging import DepositStaging

    staged = DepositStaging(archive.store).keys()  # deposits waiting for a worker: not orphans
    store_keys = iter(archive.store.iter_keys())
    cat_keys = catalogue_keys(archive)
    sk = next(store_keys, None)
    ck = next(cat_keys, None)
    while sk is not None or ck is not None:
        if ck is None or (sk is not None and sk < ck[0]):
            assert sk is not None  # ck is None here only when sk is not: the loop's condition
            if sk not in staged:
                _orphan(archive, sk, cutoff, report)
            sk = next(store_keys, None)
        elif sk is None or ck[0] < sk:
            _missing(archive, ck[0], ck[1], report, actor)
            ck = next(cat_keys, None)
        else:
            if ck[1] == "missing":
                _restored(archive, ck[0], report, actor)
            sk, ck = next(store_keys, None), next(cat_keys, None)
    with archive.catalogue.session() as s:
        audit.append(s, at=now, actor=actor, action="archive.repair",
                     outcome="success" if report.clean else "warning",
                     detail={k: (len(v) if isinstance(v, list) else v) for k, v in report.as_dict().items()})
    return report


def _orphan(archive: ArchiveService, key: str, cutoff: datetime, report: RepairReport) -> None:
    try:
        info = archive.store.stat(key)
    except ObjectNotFound:
        return
    if info.modified_at is not None and info.modified_at > cutoff:
        report.orphans_kept.append(key)
        return
    # Check again: an ingest may have committed a row since the listing started.
    with archive.catalogue.session() as s:
        if s.execute(sa.select(Component.id).where(Component.storage_key == key).limit(1)).first():
            return
    try:
        archive.store.delete(key)
        report.orphans_removed.append(key)
    except ObjectLocked:
        report.orphans_kept.append(key)


def mark_missing(archive: ArchiveService, key: str, *, actor: str, detected_by: str) -> list[dict[str, Any]]:
    """The bytes of ``key`` are not in the store (found by ``detected_by``): what the repair pass
    does (components ``missing``, records ``damaged``, failed fixity event, ``fixity.failed``).
    Returns the components concerned."""
    report = RepairReport()
    _missing(archive, key, "present", report, actor, detected_by=detected_by)
    return report.missing


def mark_restored(archive: ArchiveService, key: str, *, actor: str) -> list[str]:
    """The bytes of ``key`` are back (and were found right): components marked ``missing`` are
    present again, their records active unless something else is wrong. Returns the records."""
    report = RepairReport()
    _restored(archive, key, report, actor)
    return report.restored


def _missing(archive: ArchiveService, key: str, status: str, report: RepairReport, actor: str, *,
             detected_by: str = "repair") -> None:
    now = archive.clock.now()
    events: list[OutboxEntry] = []
    with archive.catalogue.session() as s:
        # A record being destroyed lacks bytes by design: the destruction's resume pass
        # (retention) finishes it; it is neither damaged nor a fixity failure.
        comps = s.execute(sa.select(Component).join(Record, Record.id == Component.record_id).where(
            Component.storage_key == key, Component.status != "destroyed",
            Record.status != "disposing")).scalars().all()
        for comp in comps:
            report.missing.append({"record_id": comp.record_id, "component_id": comp.id, "role": comp.role,
                                   "storage_key": key})
            if comp.status == "missing":
                continue
            comp.status = "missing"
            s.execute(sa.update(Record).where(Record.id == comp.record_id).values(status="damaged"))
            s.add(Event(record_id=comp.record_id, component_id=comp.id, event_type="fixity check",
                        occurred_at=now, agent=SOFTWARE_AGENT, outcome="failure",
                        detail=f"bytes of {comp.role} not found in the {archive.store.name} store"))
            audit.append(s, at=now, actor=actor, action="fixity.missing", outcome="failure",
                         target_type="record", target_id=comp.record_id, detail={"storage_key": key})
            events += archive.event_entries("fixity.failed", {"record_id": comp.record_id, "role": comp.role,
                                                           "detected_by": detected_by, "problem": "missing"},
                                         now=now)
        s.add_all(events)
        s.flush()
        event_ids = [e.id for e in events]
    archive.run_post_commit(event_ids)


def _restored(archive: ArchiveService, key: str, report: RepairReport, actor: str) -> None:
    now = archive.clock.now()
    with archive.catalogue.session() as s:
        comps = s.execute(sa.select(Component).where(Component.storage_key == key,
                                                     Component.status == "missing")).scalars().all()
        for comp in comps:
            comp.status = "present"
            report.restored.append(comp.record_id)
            s.add(Event(record_id=comp.record_id, component_id=comp.id, event_type="fixity check",
                        occurred_at=now, agent=SOFTWARE_AGENT, outcome="success",
                        detail="bytes found again in the store"))
            s.flush()
            if record_intact(s, comp.record_id):
                s.execute(sa.update(Record).where(Record.id == comp.record_id,
                                                  Record.status == "damaged").values(status="active"))
            audit.append(s, at=now, actor=actor, action="fixity.restored", target_type="record",
                         target_id=comp.record_id, detail={"storage_key": key})

