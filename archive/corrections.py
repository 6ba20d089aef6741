"""Metadata corrections (sửa siêu dữ liệu) with their history.

Only the **descriptive** fields of a record — the Decree 30 metadata (Phụ lục VI) and its access
level — may be corrected (``archive.descriptive``: which fields, and how values are checked). The
original, its digest, its components and PREMIS events, the id, the dossier and fonds (filing is
``records file``), the status and the dates the archive keeps are not. A record with a độ mật is
``secret`` (as at ingest), and a new độ mật is accepted only where the archive may hold state
secrets.

One correction is one unit of work (``CorrectionService.edit``):

1. the record's row is taken first (``UPDATE … SET version = version + 1``, conditional on the
   version the caller read when it sends one), so two corrections of one record — from two
   processes, on SQLite or PostgreSQL — are serialised and each sees the other's result: the
   history's old value is always the value the previous correction left (no lost update), and a
   caller holding a stale version gets ``VersionConflict`` (HTTP 412) instead of overwriting;
2. in the same transaction: the new values, one ``record_changes`` row per changed field (old,
   new, who, when, why; one ``change_id``), a PREMIS ``metadata modification`` event, an audit
   entry, an outbox row to index the record again, and a note for the retention hook, which
   applies the rules again before the commit (``retention.hooks``): a new tên loại can change the
   period of the record and of its dossier;
3. a change that hides the record from some readers (a higher access level) removes the record
   from the search index *before* the commit — if the index cannot be written nothing is stored
   (``IndexUnavailable``) — so no search shows it at the old level once the correction is
   committed;
4. after the commit the record is indexed again at once (not grouped) and ``Correction.indexed``
   says whether the index has it; when it could not be written the outbox row stays for the
   repair pass, and the caller must not report the correction as searchable.

A record that becomes public is marked ``was_public``: once it stops being public, OAI-PMH
announces it as deleted (``api/http/oai.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit
from archive.catalogue.access_tables import ApiClient, User
from archive.catalogue.change_tables import RecordChange
from archive.catalogue.models import Event, OutboxEntry, Record
from archive.catalogue.retention_tables import RetentionAssignment
from archive.descriptive import (
    ACCESS_ORDER,
    ACCESS_VI,
    EDITABLE,
    MAX_REASON,
    PROTECTED,
    InvalidCorrection,
    as_json,
    parse_assignment,
    validate,
    validate_reason,
)
from archive.domain import AccessLevel
from archive.errors import ArchiveError, RecordNotFound

if TYPE_CHECKING:
    from archive.service import ArchiveService

CHANGED_RECORDS = "luutru.records.corrected"
"""``Session.info`` key: record id → {"actor", "change_id"} of the corrections in the transaction,
for the hooks that run before the commit (``retention.hooks`` re-applies the retention rules)."""

EVENT_TYPE = "metadata modification"
"""PREMIS event type (id.loc.gov/vocabulary/preservation/eventType/mem)."""

__all__ = ["ACCESS_ORDER", "CHANGED_RECORDS", "EDITABLE", "MAX_REASON", "PROTECTED", "Correction", "CorrectionService",
           "EditForbidden", "IndexUnavailable", "InvalidCorrection", "NotEditable", "VersionConflict",
           "parse_assignment", "validate", "validate_reason"]


class VersionConflict(ArchiveError):
    """The record changed since the caller read it (optimistic concurrency: HTTP 412)."""

    code = "version_conflict"

    def __init__(self, record_id: str, current: int):
        super().__init__(f"record {record_id} is at version {current}, not the one given: read it again",
                         f"Văn bản đã được sửa bởi người khác (phiên bản hiện tại {current}); hãy xem lại "
                         "rồi sửa trên phiên bản mới nhất")
        self.current = current


class NotEditable(ArchiveError):
    """The record is being destroyed or was destroyed."""

    code = "conflict"


class EditForbidden(ArchiveError):
    """The caller may not give (or take away) this access level."""

    code = "forbidden"


class IndexUnavailable(ArchiveError):
    """A change that hides a record could not be written to the search index first: nothing stored."""

    code = "index_unavailable"


# the service -------------------------------------------------------------------------------------
@dataclass
class Correction:
    """What a correction did."""

    record_id: str
    version: int
    change_id: str | None
    """None: the values given were the record's already; nothing was stored."""
    changes: list[dict[str, Any]] = field(default_factory=list)
    """``{"field", "label", "old", "new"}`` for every changed field."""
    indexed: bool = True
    """The search index has the corrected record (False: left for the repair pass)."""
    retention: dict[str, Any] | None = None
    """``{"before", "after"}`` (item and period) when the retention decision changed."""
    at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "version": self.version, "change_id": self.change_id,
                "changes": self.changes, "indexed": self.indexed, "retention": self.retention,
                "at": self.at.isoformat() if self.at else None}


class _NothingChanged(Exception):
    def __init__(self, version: int):
        self.version = version


def _assignment(s: Session, record_id: str) -> dict[str, Any] | None:
    a = s.execute(sa.select(RetentionAssignment).where(
        RetentionAssignment.target_type == "record", RetentionAssignment.target_id == record_id,
        RetentionAssignment.superseded_at.is_(None))).scalar()
    return None if a is None else {"schedule_code": a.schedule_code, "schedule_version": a.schedule_version,
                                   "item_code": a.item_code, "period": a.period, "method": a.method}


class CorrectionService:
    """Corrections of records' descriptive metadata, through the archive's unit of work."""

    def __init__(self, archive: ArchiveService) -> None:
        self.archive = archive
        self.catalogue = archive.catalogue

    def edit(self, record_id: str, changes: Mapping[str, Any], *, reason: Any, actor: str,
             client: str | None = None, address: str | None = None,
             expected_versions: Collection[int] | None = None, allowed_levels: Collection[str] | None = None,
             allow_state_secrets: bool = False) -> Correction:
        """Correct the record ``record_id`` (an id: resolve references first).

        ``expected_versions``: the versions the caller read (``If-Match``); None: whatever the
        current one. ``allowed_levels``: the access levels the caller reads; an access level may be
        changed only from and to one of them (None: any, the CLI and administrators)."""
        values = validate(changes)
        reason = validate_reason(reason)
        now = self.archive.clock.now()
        change_id = str(uuid.uuid4())
        deindexed = False
        try:
            with self.catalogue.session() as s:
                rec = self._take(s, record_id, expected_versions, now)
                values = self._coherent(rec, values, allow_state_secrets)
                diffs = [(name, getattr(rec, name), value) for name, value in values.items()
                         if as_json(getattr(rec, name)) != as_json(value)]
                if not diffs:
                    raise _NothingChanged(rec.version - 1)
                old_level = rec.access_level
                new_level = values.get("access_level", old_level)
                if new_level != old_level and allowed_levels is not None and not (
                        old_level in allowed_levels and new_level in allowed_levels):
                    raise EditForbidden(
                        f"changing the access level from {old_level} to {new_level} needs both in your access levels",
                        f"Không có quyền đổi mức độ tiếp cận từ «{ACCESS_VI[old_level]}» sang "
                        f"«{ACCESS_VI[new_level]}»: chỉ được đặt các mức mình được đọc "
                        f"({', '.join(ACCESS_VI[lv] for lv in ACCESS_ORDER if lv in allowed_levels)})")
                retention_before = _assignment(s, rec.id)
                for name, _old, value in diffs:
                    setattr(rec, name, value)
                rec.updated_at = now
                if rec.access_level == AccessLevel.PUBLIC.value and rec.security_level is None:
                    rec.was_public = True
                self._record_history(s, rec, diffs, change_id=change_id, actor=actor, client=client,
                                     address=address, reason=reason, now=now)
                s.info.setdefault(CHANGED_RECORDS, {})[rec.id] = {"actor": actor, "change_id": change_id}
                outbox = [OutboxEntry(kind="index", payload={"record_ids": [rec.id]}, created_at=now)]
                s.add_all(outbox)
                s.flush()
                outbox_ids = [o.id for o in outbox]
                version = rec.version
                if ACCESS_ORDER.index(new_level) > ACCESS_ORDER.index(old_level):
                    self._deindex_first(rec.id)
                    deindexed = True
        except _NothingChanged as nothing:
            self.archive.audit_access(actor=actor, client=client, address=address, action="record.edit",
                                      outcome="unchanged", target_type="record", target_id=record_id,
                                      detail={"fields": sorted(values)})
            return Correction(record_id=record_id, version=nothing.version, change_id=None, at=now)
        except EditForbidden as exc:
            self.archive.audit_access(actor=actor, client=client, address=address, action="record.edit",
                                      outcome="denied", target_type="record", target_id=record_id,
                                      detail={"fields": sorted(values), "error": str(exc)})
            raise
        except BaseException:
            if deindexed:  # the commit failed after the record left the index: put it back as it is
                try:
                    self.archive.indexer.index([record_id])
                except Exception:  # noqa: BLE001 - the record stays out of the index; reindex finds it
                    pass
            raise
        _done, failed = self.archive.run_post_commit(outbox_ids)  # at once, never staged in a batch
        with self.catalogue.session() as s:
            retention_after = _assignment(s, record_id)
        return Correction(
            record_id=record_id, version=version, change_id=change_id, indexed=failed == 0, at=now,
            changes=[{"field": n, "label": EDITABLE[n].label, "old": as_json(o), "new": as_json(v)}
                     for n, o, v in diffs],
            retention=({"before": retention_before, "after": retention_after}
                       if retention_before != retention_after else None))

    def _take(self, s: Session, record_id: str, expected: Collection[int] | None, now: datetime) -> Record:
        """Lock the record's row (the first write of the transaction, so SQLite takes its write lock
        before anything is read) and bump its version; the errors a caller should see otherwise."""
        q = sa.update(Record).where(Record.id == record_id, Record.status.not_in(("disposing", "disposed")))
        if expected is not None:
            q = q.where(Record.version.in_(list(expected)) if expected else sa.false())
        taken = s.execute(q.values(version=Record.version + 1, updated_at=now).returning(Record.id)
                          .execution_options(synchronize_session=False)).first()
        rec = s.execute(sa.select(Record).where(Record.id == record_id)
                        .execution_options(populate_existing=True)).scalar()
        if rec is None:
            raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
        if taken is None:
            if rec.status in ("disposing", "disposed"):
                raise NotEditable(f"record {record_id} is {rec.status}: it cannot be corrected",
                                  "Văn bản đã hủy hoặc đang được hủy: không sửa được siêu dữ liệu")
            raise VersionConflict(record_id, rec.version)
        return rec

    @staticmethod
    def _coherent(rec: Record, values: dict[str, Any], allow_state_secrets: bool) -> dict[str, Any]:
        """A record with a độ mật is ``secret`` (as at ingest); a new độ mật only where state secrets
        may be kept."""
        values = dict(values)
        security = values.get("security_level", rec.security_level)
        if "security_level" in values and security and security != rec.security_level and not allow_state_secrets:
            raise InvalidCorrection([(
                "this archive may not hold state secrets (extract.allow_state_secrets is off)",
                "Kho lưu trữ này không được phép lưu tài liệu mật (độ mật); tài liệu mật phải được quản lý "
                "trên hệ thống riêng theo quy định bảo vệ bí mật nhà nước")])
        if security:
            if "access_level" not in values:
                values["access_level"] = AccessLevel.SECRET.value
            elif values["access_level"] != AccessLevel.SECRET.value:
                raise InvalidCorrection([(
                    f"a record marked {security} must have access level secret",
                    f"Văn bản có độ mật «{security}» phải có mức độ tiếp cận «secret» (mật)")])
        return values

    def _record_history(self, s: Session, rec: Record, diffs: list[Any], *, change_id: str, actor: str,
                        client: str | None, address: str | None, reason: str, now: datetime) -> None:
        for name, old, new in diffs:
            s.add(RecordChange(change_id=change_id, record_id=rec.id, version=rec.version, field=name,
                               old_value=as_json(old), new_value=as_json(new), actor=actor, at=now, reason=reason))
        fields = [n for n, _o, _v in diffs]
        labels = ", ".join(EDITABLE[n].label.lower() for n in fields)
        s.add(Event(record_id=rec.id, event_type=EVENT_TYPE, occurred_at=now, agent=actor, outcome="success",
                    detail=f"Sửa {labels}: {reason}"[:2000],
                    data={"change_id": change_id, "fields": fields, "version": rec.version}))
        detail: dict[str, Any] = {"change_id": change_id, "fields": fields, "version": rec.version, "reason": reason}
        for name in ("access_level", "security_level"):  # who saw it changes: kept in the log itself
            if name in fields:
                detail[name] = [as_json(o) for n, o, _v in diffs if n == name] + [getattr(rec, name)]
        audit.append(s, at=now, actor=actor, client=client, address=address, action="record.edit",
                     target_type="record", target_id=rec.id, detail=detail)

    def _deindex_first(self, record_id: str) -> None:
        try:
            self.archive.indexer.delete([record_id])
        except Exception as exc:
            raise IndexUnavailable(
                f"the search index could not be updated ({exc}); nothing was changed",
                "Không cập nhật được chỉ mục tìm kiếm nên chưa thay đổi gì (việc hạn chế truy cập phải có "
                "hiệu lực ngay với cả tra cứu); hãy thử lại sau") from exc

    # history -----------------------------------------------------------------------------------------
    def history(self, record_id: str, *, may_read_level: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
        """Every corrected field of the record, newest correction first (its fields in the order
        given), with the person's name.

        ``may_read_level``: whether the caller may read the record at an access level. A correction
        made while the record was at a level the caller may not read (before or after it) is
        listed without its values and reason (``redacted``): declassifying a record does not
        disclose what it said while it was secret."""
        with self.catalogue.session() as s:
            rec = s.get(Record, record_id)
            if rec is None:
                raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
            rows = s.execute(sa.select(RecordChange).where(RecordChange.record_id == record_id)
                             .order_by(RecordChange.version.desc(), RecordChange.id)).scalars().all()
            names = self._names(s, {r.actor for r in rows})
            level_after, visible_sets = rec.access_level, {}
            for r in rows:  # newest first: walk the access level back in time
                if r.change_id not in visible_sets:
                    visible_sets[r.change_id] = {"after": level_after, "before": level_after}
                if r.field == "access_level":
                    visible_sets[r.change_id]["before"] = r.old_value
                    level_after = r.old_value
            out = []
            for r in rows:
                levels = visible_sets[r.change_id]
                shown = may_read_level is None or (may_read_level(levels["before"]) and may_read_level(levels["after"]))
                label = EDITABLE[r.field].label if r.field in EDITABLE else r.field
                out.append({"change_id": r.change_id, "version": r.version, "field": r.field, "label": label,
                            "old": r.old_value if shown else None, "new": r.new_value if shown else None,
                            "reason": r.reason if shown else None, "redacted": not shown, "actor": r.actor,
                            "actor_name": names.get(r.actor, r.actor), "at": r.at.isoformat()})
            return out

    @staticmethod
    def _names(s: Session, actors: set[str]) -> dict[str, str]:
        """``user:lan`` → the person's full name; ``client:qlvb`` → the system's name."""
        by_name: dict[str, str] = {}
        people = {a.split(":", 1)[1] for a in actors if a.split(":", 1)[0] in ("user", "cli") and ":" in a}
        if people:
            by_name = dict(s.execute(sa.select(User.username, User.full_name).where(User.username.in_(people))).all())
        clients = {a.split(":", 1)[1] for a in actors if a.startswith("client:")}
        systems = dict(s.execute(sa.select(ApiClient.name, ApiClient.description)
                                 .where(ApiClient.name.in_(clients))).all()) if clients else {}
        out = {}
        for a in actors:
            kind, _, name = a.partition(":")
            if kind in ("user", "cli") and name in by_name:
                out[a] = by_name[name]
            elif kind == "client":
                out[a] = f"Hệ thống {systems.get(name) or name}"
        return out
