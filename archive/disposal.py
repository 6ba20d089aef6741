"""Destruction of records (the kernel part of disposal): bytes out of every store, a tombstone in.

``retention`` decides *what* may be destroyed and *when* (schedules, council, decision); this
module only carries out an approved destruction, so the rules about bytes, the catalogue and the
index stay in the kernel. It is written as a write-ahead procedure, so a crash at any point
resumes without losing the record of what was destroyed:

1. **intent** (one transaction): the guard is asked again which records are held (a hold placed
   at any time before this commit stops the destruction); objects under retention or a legal hold
   are found first and their records left out; for every other record a ``destruction_log`` row
   (``pending``) with the full metadata and checksums is written and the record marked
   ``disposing``;
2. **index**: the record is deleted from the search index and the deletion committed (the
   indexer waits for the index's writer if another process holds it); if that fails the row stays
   ``pending`` and nothing else happens yet — a destruction is never reported done while a search
   still finds the record;
3. **bytes**: every object of every component is deleted from the store, except objects another
   live component still references (content addressing: identical bytes are stored once);
4. **tombstone** (one transaction per record): components ``destroyed``, record ``disposed``
   (metadata and checksums kept), a PREMIS ``deletion`` event, the log row ``done``, an audit
   entry. A record whose object turns out to be locked at step 3 is not destroyed and is indexed
   again.

``resume`` finishes every ``pending`` row (steps 2–4 are idempotent: an object already gone counts
as deleted).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit
from archive.catalogue.models import Component, Dossier, Event, OutboxEntry, Record
from archive.catalogue.retention_tables import DestructionLogEntry
from archive.errors import ArchiveError, ObjectLocked, ObjectNotFound
from archive.service import SOFTWARE_AGENT, ArchiveService

log = logging.getLogger(__name__)

LIVE = ("present", "missing")


@runtime_checkable
class DestructionGuard(Protocol):
    """Which of these records are held (record id → hold ids)? Asked inside the intent transaction."""

    def held(self, session: Session, record_ids: Sequence[str]) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class PlannedObject:
    component_id: str
    role: str
    storage_key: str
    sha256: str
    size: int
    shared: bool
    """Another live component (of a record not being destroyed) references the same bytes: kept."""


@dataclass
class PlannedRecord:
    record_id: str
    dossier_id: str | None
    title: str | None
    objects: list[PlannedObject]
    blocked: str | None = None
    """Why it cannot be destroyed now: held (hold ids) / locked (object lock) / disposed."""

    def as_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "dossier_id": self.dossier_id, "title": self.title,
                "blocked": self.blocked,
                "objects": [{"role": o.role, "storage_key": o.storage_key, "sha256": o.sha256, "size": o.size,
                             "action": "keep (shared)" if o.shared else "delete"} for o in self.objects]}


@dataclass
class DestructionReport:
    destroyed: list[str] = field(default_factory=list)
    held: dict[str, list[str]] = field(default_factory=dict)
    locked: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)
    """Not finished yet (the index or the store could not be written): record id → why. The resume
    pass (``luutru retention destroy --resume``, and every repair) finishes them."""
    log_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"destroyed": self.destroyed, "held": self.held, "locked": self.locked, "skipped": self.skipped,
                "pending": self.pending}


def _snapshot(rec: Record, comps: Sequence[Component]) -> dict[str, Any]:
    meta = {c.key: getattr(rec, c.key) for c in sa.inspect(Record).column_attrs}
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in meta.items()}
    meta["components"] = [{"id": c.id, "role": c.role, "sha256": c.sha256, "size": c.size,
                           "media_type": c.media_type, "storage_key": c.storage_key, "filename": c.filename}
                          for c in comps]
    return meta


class DestructionService:
    """Carries out destructions through the archive's catalogue and store. The guard is required."""

    def __init__(self, archive: ArchiveService, guard: DestructionGuard):
        self.archive = archive
        self.catalogue = archive.catalogue
        self.store = archive.store
        self.guard = guard

    # planning (dry run) ------------------------------------------------------------------------
    def _shared(self, s: Session, key: str, excluded: set[str]) -> bool:
        q = (sa.select(Component.id).join(Record, Record.id == Component.record_id)
             .where(Component.storage_key == key, Component.status.in_(LIVE),
                    Record.status.not_in(("disposing", "disposed"))))
        if excluded:
            q = q.where(Component.record_id.not_in(list(excluded)))
        return s.execute(q.limit(1)).first() is not None

    def _locked(self, keys: Sequence[str]) -> str | None:
        now = datetime.now(UTC)
        for key in keys:
            try:
                info = self.store.stat(key)
            except ObjectNotFound:
                continue
            if info.lock_unreadable:
                return f"{key}: retention lock unreadable"
            if info.legal_hold:
                return f"{key}: legal hold"
            if info.retain_until is not None and info.retain_until > now:
                return f"{key}: retained until {info.retain_until.isoformat()}"
        return None

    def plan(self, record_ids: Sequence[str]) -> list[PlannedRecord]:
        """Exactly what ``destroy`` would do now, without doing it (the dry run)."""
        ids = set(record_ids)
        out = []
        with self.catalogue.session() as s:
            held = self.guard.held(s, list(ids))
            for rec in s.execute(sa.select(Record).where(Record.id.in_(list(ids))).order_by(Record.id)).scalars():
                comps = [c for c in rec.components if c.status in LIVE]
                objs = [PlannedObject(c.id, c.role, c.storage_key, c.sha256, c.size, self._shared(s, c.storage_key, ids))
                        for c in comps]
                p = PlannedRecord(rec.id, rec.dossier_id, rec.subject or rec.original_filename, objs)
                if rec.status in ("disposed", "disposing"):
                    p.blocked = rec.status
                elif rec.id in held:
                    p.blocked = "held: " + ", ".join(held[rec.id])
                out.append(p)
        for p in out:
            if p.blocked is None:
                locked = self._locked([o.storage_key for o in p.objects if not o.shared])
                if locked:
                    p.blocked = "locked: " + locked
        return out

    # destruction -------------------------------------------------------------------------------
    def destroy(self, record_ids: Sequence[str], *, actor: str, decision: str, batch_id: str | None = None
                ) -> DestructionReport:
        """Destroy these records (an approved decision is the caller's responsibility)."""
        report = DestructionReport()
        plan = {p.record_id: p for p in self.plan(record_ids)}
        now = self.archive.clock.now()
        # 1. intent, with the holds checked again in this very transaction
        with self.catalogue.session() as s:
            ids = [r for r, p in plan.items() if p.blocked is None]
            if self.catalogue.dialect == "postgresql" and ids:
                s.execute(sa.select(Record.id).where(Record.id.in_(ids)).with_for_update())
            held = self.guard.held(s, ids)
            for rid, p in plan.items():
                if p.blocked is not None and p.blocked.startswith("locked"):
                    report.locked[rid] = p.blocked
                elif p.blocked is not None and p.blocked.startswith("held"):
                    report.held[rid] = p.blocked.split(": ", 1)[1].split(", ")
                elif p.blocked is not None:
                    report.skipped.append(rid)
            for rid in ids:
                if rid in held:
                    report.held[rid] = held[rid]
                    continue
                rec = s.get(Record, rid)
                if rec is None or rec.status in ("disposing", "disposed"):
                    report.skipped.append(rid)
                    continue
                comps = [c for c in rec.components if c.status in LIVE]
                entry = DestructionLogEntry(id=str(uuid.uuid4()), batch_id=batch_id, record_id=rid,
                                            dossier_id=rec.dossier_id, state="pending",
                                            metadata_snapshot=_snapshot(rec, comps), decision=decision,
                                            started_at=now, actor=actor)
                s.add(entry)
                rec.status = "disposing"
                report.log_ids.append(entry.id)
            if report.held or report.locked:
                audit.append(s, at=now, actor=actor, action="record.destroy.blocked", outcome="warning",
                             target_type="batch", target_id=batch_id,
                             detail={"held": report.held, "locked": report.locked})
        # 2, 3 and 4
        for entry_id in report.log_ids:
            destroyed = self._finish(entry_id, actor=actor)
            if destroyed is not None:
                report.destroyed.append(destroyed)
            else:
                with self.catalogue.session() as s:
                    e = s.get_one(DestructionLogEntry, entry_id)
                    if e.state == "pending":
                        report.pending[e.record_id] = e.error or "interrupted"
                    else:
                        report.locked[e.record_id] = e.error or "locked"
        return report

    def pending(self, batch_id: str | None = None) -> list[str]:
        """Unfinished destruction log entries: all, or one batch's (another batch being destroyed at
        the same moment does not hold this one's completion back)."""
        q = sa.select(DestructionLogEntry.id).where(DestructionLogEntry.state == "pending")
        if batch_id is not None:
            q = q.where(DestructionLogEntry.batch_id == batch_id)
        with self.catalogue.session() as s:
            return list(s.execute(q.order_by(DestructionLogEntry.started_at, DestructionLogEntry.id)).scalars())

    def resume(self, *, actor: str = SOFTWARE_AGENT) -> list[str]:
        """Finish every destruction a crash interrupted; returns the record ids finished."""
        return [rid for e in self.pending() if (rid := self._finish(e, actor=actor)) is not None]

    def _finish(self, entry_id: str, *, actor: str) -> str | None:
        with self.catalogue.session() as s:
            entry = s.get(DestructionLogEntry, entry_id)
            if entry is None or entry.state != "pending":
                return None
            snapshot, record_id = entry.metadata_snapshot, entry.record_id
            objects = dict(entry.objects or {})
            # other records being destroyed may share keys with this one: they do not keep bytes alive
            keys = {c["storage_key"] for c in snapshot["components"]}
            shared = {k for k in keys if self._shared(s, k, {record_id})}
        # 2. out of the index, committed, before any byte goes: a destruction reported done is
        # never still found by a search. If the index cannot be written now, the entry stays
        # pending (the record, "disposing", is not served) and the resume pass finishes it.
        try:
            self.archive.indexer.delete([record_id])
        except Exception as exc:  # noqa: BLE001 - any index failure: not destroyed yet, resumable
            log.warning("destruction of %s waits for the search index: %s", record_id, exc)
            with self.catalogue.session() as s:
                s.get_one(DestructionLogEntry, entry_id).error = f"index: {exc}"[:2000]
            return None
        # 3. bytes
        for key in sorted(keys):
            if objects.get(key) in ("deleted", "already_absent", "kept_shared"):
                continue
            if key in shared:
                objects[key] = "kept_shared"
                continue
            try:
                self.store.delete(key)
                objects[key] = "deleted"
            except ObjectNotFound:
                objects[key] = "already_absent"
            except ObjectLocked as exc:
                self._fail(entry_id, objects, str(exc), actor=actor)
                return None
            except ArchiveError as exc:  # the store is unreachable: stay pending, resume later
                log.warning("destruction of %s interrupted: %s", record_id, exc)
                with self.catalogue.session() as s:
                    s.get_one(DestructionLogEntry, entry_id).objects = objects
                return None
        # 4. tombstone
        now = self.archive.clock.now()
        with self.catalogue.session() as s:
            entry = s.get_one(DestructionLogEntry, entry_id)
            entry.objects, entry.state, entry.done_at = objects, "done", now
            rec = s.get_one(Record, record_id)
            rec.status = "disposed"
            s.execute(sa.update(Component).where(Component.record_id == record_id).values(status="destroyed"))
            s.add(Event(record_id=record_id, event_type="deletion", occurred_at=now, agent=actor, outcome="success",
                        detail=f"destroyed: {entry.decision}",
                        data={"objects": objects, "destruction_log_id": entry_id}))
            audit.append(s, at=now, actor=actor, action="record.destroy", target_type="record", target_id=record_id,
                         detail={"decision": entry.decision, "batch_id": entry.batch_id, "objects": objects})
            if rec.dossier_id:
                live = s.execute(sa.select(Record.id).where(Record.dossier_id == rec.dossier_id,
                                                            Record.status != "disposed").limit(1)).first()
                if live is None:
                    s.execute(sa.update(Dossier).where(Dossier.id == rec.dossier_id).values(status="disposed"))
            outbox = [*self.archive.event_entries("record.disposed", {"record_id": record_id, "batch_id": entry.batch_id,
                                                                      "disposed_at": now.isoformat()}, now=now)]
            s.add_all(outbox)
            s.flush()
            outbox_ids = [o.id for o in outbox]
        self.archive.run_post_commit(outbox_ids)
        return record_id

    def _fail(self, entry_id: str, objects: dict[str, Any], error: str, *, actor: str) -> None:
        """An object turned out to be locked: the record is not destroyed (it stays readable unless
        bytes of another component were already removed, which the log shows)."""
        now = self.archive.clock.now()
        with self.catalogue.session() as s:
            entry = s.get_one(DestructionLogEntry, entry_id)
            entry.objects, entry.state, entry.error, entry.done_at = objects, "failed", error[:2000], now
            rec = s.get_one(Record, entry.record_id)
            partial = any(v == "deleted" for v in objects.values())
            rec.status = "damaged" if partial else "active"
            audit.append(s, at=now, actor=actor, action="record.destroy", outcome="failure", target_type="record",
                         target_id=entry.record_id, detail={"error": error, "objects": objects})
            # it left the index before its bytes were touched: it comes back
            row = OutboxEntry(kind="index", payload={"record_ids": [entry.record_id]}, created_at=now)
            s.add(row)
            s.flush()
            row_id = row.id
        self.archive.run_post_commit([row_id])
        return None

    def register(self, batch_id: str | None = None) -> list[dict[str, Any]]:
        """Danh mục tài liệu đã hủy: the permanent list (all, or one batch)."""
        with self.catalogue.session() as s:
            q = sa.select(DestructionLogEntry).where(DestructionLogEntry.state == "done")
            if batch_id:
                q = q.where(DestructionLogEntry.batch_id == batch_id)
            return [{"record_id": e.record_id, "dossier_id": e.dossier_id, "batch_id": e.batch_id,
                     "decision": e.decision, "destroyed_at": e.done_at.isoformat() if e.done_at else None,
                     "subject": e.metadata_snapshot.get("subject"),
                     "type_name": e.metadata_snapshot.get("type_name"),
                     "so_ky_hieu": "/".join(x for x in (e.metadata_snapshot.get("code_number"),
                                                       e.metadata_snapshot.get("code_notation")) if x) or None,
                     "page_amount": e.metadata_snapshot.get("page_amount"),
                     "components": [{"role": c["role"], "sha256": c["sha256"], "size": c["size"]}
                                    for c in e.metadata_snapshot["components"]],
                     "objects": e.objects}
                    for e in s.execute(q.order_by(DestructionLogEntry.done_at, DestructionLogEntry.id)).scalars()]
