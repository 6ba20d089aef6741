"""RetentionService: assignments, due dates, the sweep, holds, object lock.

* Assignment: rules (``retention.policy.classify``) applied to every ingested record in the
  record's own transaction (``retention.hooks``) and on demand to records without a decision; a
  dossier takes the longest period of its documents unless a manual decision (with a recorded
  reason) says otherwise; every change is audited and keeps the schedule version.
* Due dates live in ``dossiers.due_date`` (indexed) so "due as of D" is an index range scan.
* ``sweep`` puts the dossiers due for review into the list "Xem xét hủy" (``disposal_items``,
  state ``candidate``), skipping held ones, and writes reminders for transfers to the historical
  archive (12 months and 30 days ahead, requirements-vn.md §8.7). It reads only dossiers still
  pending (``dossiers.due_state`` NULL, partial index ``ix_dossiers_due_pending``) and writes with
  set-based SQL, so a yearly sweep touches the newly due dossiers only. A dossier becomes pending
  again when its due date or action changes or when it is taken out of a disposal batch.
* Records outside any dossier are never put in the list (destruction goes by dossier); the sweep
  counts them in a notification "chưa lập hồ sơ" and ``unfiled`` reports them with their own
  assignment and indicative due date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit, identifiers
from archive.catalogue import Catalogue
from archive.catalogue.models import Component, Dossier, Record, UTCDateTime
from archive.catalogue.retention_tables import (
    DisposalBatch,
    DisposalItem,
    RetentionAssignment,
    RetentionNotification,
)
from archive.dossier_state import DUE_DATES_LOCK
from archive.errors import ObjectLocked, ObjectNotFound, RecordNotFound
from archive.objects.base import ObjectStore
from archive.ports import Clock, SystemClock
from retention import holds as holds_mod
from retention import hooks as _hooks
from retention import schedules
from retention.policy import (
    TRANSFER_REGISTER_DAYS,
    Action,
    Assignment,
    Period,
    PolicyError,
    classify,
    due,
    longest,
)

BATCH = 5000
FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)
"""Retain-until of permanent originals in the object store (extended as needed)."""


@dataclass
class SweepReport:
    as_of: date
    listed: list[str] = field(default_factory=list)
    """Dossiers newly put in the list "Xem xét hủy"."""
    held: list[str] = field(default_factory=list)
    transfer_reminders: list[str] = field(default_factory=list)
    unfiled: int = 0
    """Records outside any dossier (chưa lập hồ sơ): never listed, reported instead."""

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "listed": len(self.listed), "held": self.held,
                "transfer_reminders": len(self.transfer_reminders), "unfiled": self.unfiled,
                "listed_ids": self.listed[:1000]}


def _assignment_row(target_type: str, target_id: str, a: Assignment, item_id: str, *, actor: str, at: datetime,
                    event_date: date | None = None) -> RetentionAssignment:
    return RetentionAssignment(
        id=str(uuid.uuid4()), target_type=target_type, target_id=target_id, item_id=item_id,
        schedule_code=a.schedule_code, schedule_version=a.schedule_version, item_code=a.item.code,
        period=str(a.period), trigger=str(a.item.trigger), action=str(a.item.action), method=a.method,
        rule_id=a.rule_id, reason=a.reason, event_date=event_date, assigned_at=at, assigned_by=actor)


def _current(s: Session, target_type: str, target_id: str) -> RetentionAssignment | None:
    return s.execute(sa.select(RetentionAssignment).where(
        RetentionAssignment.target_type == target_type, RetentionAssignment.target_id == target_id,
        RetentionAssignment.superseded_at.is_(None))).scalar()


SWEEP_LOCK = DUE_DATES_LOCK
"""PostgreSQL advisory lock: the sweep takes it exclusively, due-date changes shared, so a due
date never changes between the sweep's read and its write (SQLite serialises writers itself).
Defined in ``archive.dossier_state``, which takes it shared before locking dossiers to file records."""

ACTIVE_BATCH_STATES = ("listed", "council_reviewed", "appraisal_requested", "appraised", "approved")


def _lock_due_dates(s: Session, *, exclusive: bool) -> None:
    if s.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        s.execute(sa.text(f"select {fn}(:k)"), {"k": SWEEP_LOCK})


def set_assignment(s: Session, target_type: str, target_id: str, a: Assignment, *, actor: str, now: datetime,
                   event_date: date | None = None) -> RetentionAssignment:
    """Save ``a`` as the current decision for the target (the previous one is superseded), audited."""
    old = _current(s, target_type, target_id)
    if old is not None:
        old.superseded_at = now
    item_id = schedules.item_row(s, a.schedule_code, a.item.code, a.schedule_version).id
    row = _assignment_row(target_type, target_id, a, item_id, actor=actor, at=now,
                          event_date=event_date or (old.event_date if old else None))
    s.add(row)
    s.flush()
    audit.append(s, at=now, actor=actor, action="retention.assign", target_type=target_type,
                 target_id=target_id, detail={**a.as_dict(), "previous": old.item_code if old else None,
                                              "previous_period": old.period if old else None})
    return row


def release_dossiers(s: Session, dossier_ids: Sequence[str]) -> None:
    """Dossiers taken out of the list or a batch become pending again for the next sweep."""
    ids = list(dict.fromkeys(dossier_ids))
    for i in range(0, len(ids), BATCH):
        s.execute(sa.update(Dossier).where(Dossier.id.in_(ids[i:i + BATCH]), Dossier.due_state.is_not(None))
                  .values(due_state=None))


def recompute_dossier(s: Session, dossier_id: str, *, actor: str, now: datetime) -> dict:
    """The dossier's decision (manual wins; else the longest of its documents) and due date.

    The dossier row is locked first (``FOR NO KEY UPDATE``: it does not wait for the key-share locks
    that inserting a record into the dossier takes, so two ingests never deadlock), so concurrent
    ingests into one dossier see each other's decisions (the longest period never gets lost).
    When the due date or action changes, the dossier leaves the list Xem xét hủy (and any batch not
    yet being destroyed) and is pending again: the next sweep decides with the new date."""
    _lock_due_dates(s, exclusive=False)
    dossier = s.execute(sa.select(Dossier).where(Dossier.id == dossier_id).with_for_update(key_share=True)
                        .execution_options(populate_existing=True)).scalar()
    if dossier is None:
        raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
    current = _current(s, "dossier", dossier_id)
    if current is None or current.method != "manual":
        # the distinct items of the documents' current decisions (a dossier of thousands of
        # documents has a handful): the longest of them
        rows = s.execute(sa.select(RetentionAssignment.item_id, RetentionAssignment.schedule_code,
                                   RetentionAssignment.schedule_version).distinct().join(Record, sa.and_(
            RetentionAssignment.target_type == "record", RetentionAssignment.target_id == Record.id)).where(
            Record.dossier_id == dossier_id, RetentionAssignment.superseded_at.is_(None))).all()
        best = longest(Assignment(item=schedules.item_from_row(s.get_one(schedules.RetentionScheduleItem, r.item_id)),
                                  schedule_code=r.schedule_code, schedule_version=r.schedule_version)
                       for r in rows)
        if best is not None and (current is None or (current.item_id, current.schedule_version) != (
                schedules.item_row(s, best.schedule_code, best.item.code, best.schedule_version).id,
                best.schedule_version)):
            best = Assignment(item=best.item, schedule_code=best.schedule_code,
                              schedule_version=best.schedule_version, method="derived",
                              reason="thời hạn dài nhất của các văn bản trong hồ sơ (Luật Lưu trữ 2024, Điều 15)")
            current = set_assignment(s, "dossier", dossier_id, best, actor=actor, now=now)
    if current is None:
        return {"dossier_id": dossier_id, "due_date": None, "due_action": None}
    item = schedules.item_from_row(s.get_one(schedules.RetentionScheduleItem, current.item_id))
    end_year = dossier.end_date.year if dossier.end_date else dossier.year
    d = due(item, end_year=end_year, event_date=current.event_date, fields=holds_mod.dossier_fields(dossier))
    period = Period.parse(current.period)
    new_action = str(d.action) if d.action else None
    if (dossier.due_date, dossier.due_action) != (d.date, new_action):
        if dossier.due_state is not None:
            _withdraw(s, dossier_id, now=now, actor=actor, old=(dossier.due_date, dossier.due_action),
                      new=(d.date, new_action))
        dossier.due_state = None
    dossier.due_date = d.date
    dossier.due_action = new_action
    dossier.retention = period.label_vi
    dossier.retention_years = period.years
    dossier.permanent = period.permanent
    return {"dossier_id": dossier_id, "item_code": current.item_code, "period": current.period,
            "due_date": d.date.isoformat() if d.date else None, "due_action": dossier.due_action}


def _withdraw(s: Session, dossier_id: str, *, now: datetime, actor: str, old: tuple, new: tuple) -> None:
    """The due date changed: out of the list Xem xét hủy and of any batch not yet being destroyed."""
    items = s.execute(sa.select(DisposalItem).outerjoin(DisposalBatch, DisposalBatch.id == DisposalItem.batch_id)
                      .where(DisposalItem.dossier_id == dossier_id, sa.or_(
                          DisposalItem.state == "candidate",
                          sa.and_(DisposalItem.state == "listed", DisposalBatch.state.in_(ACTIVE_BATCH_STATES)))
                      )).scalars().all()
    for i in items:
        i.state, i.note = "excluded", "thời hạn bảo quản đã thay đổi, chờ xét lại theo ngày đến hạn mới"
    if items:
        audit.append(s, at=now, actor=actor, action="retention.withdraw", outcome="warning", target_type="dossier",
                     target_id=dossier_id, detail={"old_due": [str(x) for x in old], "new_due": [str(x) for x in new],
                                                   "items": [i.id for i in items]})


def _uuid7_prefix(now: datetime) -> str:
    ms = int(now.timestamp() * 1000)
    return f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7"


def _uuid7(now: datetime) -> str:
    """A UUID ordered by time like UUIDv7 (48 bits of milliseconds, then random): one sweep's rows
    go to the end of the primary-key index instead of dirtying pages all over it."""
    return _uuid7_prefix(now) + str(uuid.uuid4())[15:]


def _uuid_sql(now: datetime):
    """``_uuid7`` computed by PostgreSQL, for set-based inserts."""
    return sa.literal(_uuid7_prefix(now)) + sa.func.substr(sa.cast(sa.func.gen_random_uuid(), sa.String), 16)


class RetentionService:
    def __init__(self, catalogue: Catalogue, *, clock: Clock | None = None):
        self.catalogue = catalogue
        self.clock = clock or SystemClock()
        _hooks.install(catalogue)  # its decisions at commit (a no-op when the wiring installed them)

    def _now(self) -> datetime:
        return self.clock.now()

    # schedules ---------------------------------------------------------------------------------
    def ensure_sample(self, actor: str) -> int:
        with self.catalogue.session() as s:
            return schedules.ensure_sample(s, actor=actor, at=self._now())

    def save_schedule(self, schedule, actor: str) -> tuple[int, bool]:
        with self.catalogue.session() as s:
            return schedules.save_schedule(s, schedule, actor=actor, at=self._now())

    def add_rule(self, *, actor: str, **kw) -> str:
        with self.catalogue.session() as s:
            return schedules.add_rule(s, actor=actor, at=self._now(), **kw)

    # assignment --------------------------------------------------------------------------------
    def _set(self, s: Session, target_type: str, target_id: str, a: Assignment, *, actor: str,
             event_date: date | None = None) -> RetentionAssignment:
        return set_assignment(s, target_type, target_id, a, actor=actor, now=self._now(), event_date=event_date)

    def apply_rules(self, *, actor: str, record_ids: Sequence[str] | None = None,
                    dossier_ids: Sequence[str] | None = None) -> dict:
        """Assign by rule every record (in scope) without a current decision; recompute dossiers.

        Records that already have a decision keep it: re-deciding is a manual change."""
        assigned, unmatched, touched = 0, [], set(dossier_ids or [])
        with self.catalogue.session() as s:
            rules = schedules.load_rules(s)
            q = sa.select(Record, Dossier).outerjoin(Dossier, Dossier.id == Record.dossier_id).where(
                Record.status != "disposed")
            if record_ids is not None:
                q = q.where(Record.id.in_(list(record_ids)))
            if dossier_ids is not None:
                q = q.where(Record.dossier_id.in_(list(dossier_ids)))
            for rec, dossier in s.execute(q).all():
                if _current(s, "record", rec.id) is not None:
                    continue
                a = classify(holds_mod.record_fields(rec, dossier), rules)
                if a is None:
                    unmatched.append(rec.id)
                    continue
                self._set(s, "record", rec.id, a, actor=actor)
                assigned += 1
                if rec.dossier_id:
                    touched.add(rec.dossier_id)
            for did in sorted(touched):
                self._recompute(s, did, actor=actor)
        return {"assigned": assigned, "unmatched": unmatched, "dossiers": sorted(touched)}

    def assign_manual(self, target_type: str, target_id: str, *, schedule_code: str, item_code: str,
                      reason: str, actor: str, event_date: date | None = None) -> dict:
        """A manual decision, only with a recorded reason (audited)."""
        if target_type not in ("record", "dossier"):
            raise PolicyError("target must be a record or a dossier", "Đối tượng phải là văn bản hoặc hồ sơ")
        if not reason or not reason.strip():
            raise PolicyError("a manual retention change needs a reason",
                              "Thay đổi thời hạn lưu trữ thủ công phải ghi rõ lý do")
        with self.catalogue.session() as s:
            target = identifiers.resolve(s, target_type, target_id)
            target_id = target.id
            sched = schedules.load_schedule(s, schedule_code)
            a = Assignment(item=sched.item(item_code), schedule_code=sched.code, schedule_version=sched.version or 0,
                           method="manual", reason=reason.strip())
            self._set(s, target_type, target_id, a, actor=actor, event_date=event_date)
            did = target_id if target_type == "dossier" else target.dossier_id
            result = self._recompute(s, did, actor=actor) if did else None
        return {"assignment": a.as_dict(), "dossier": result}

    def record_event(self, dossier_id: str, event_date: date, *, actor: str) -> dict:
        """Record the date of the triggering event (event triggers are not due until it is known)."""
        with self.catalogue.session() as s:
            dossier_id = identifiers.resolve_id(s, "dossier", dossier_id)
            row = _current(s, "dossier", dossier_id)
            if row is None:
                raise PolicyError(f"dossier {dossier_id} has no retention decision",
                                  f"Hồ sơ {dossier_id} chưa được xác định thời hạn lưu trữ")
            row.event_date = event_date
            audit.append(s, at=self._now(), actor=actor, action="retention.event", target_type="dossier",
                         target_id=dossier_id, detail={"event_date": event_date.isoformat()})
            return self._recompute(s, dossier_id, actor=actor)

    def _recompute(self, s: Session, dossier_id: str, *, actor: str) -> dict:
        return recompute_dossier(s, dossier_id, actor=actor, now=self._now())

    def recompute(self, dossier_id: str, *, actor: str) -> dict:
        with self.catalogue.session() as s:
            return self._recompute(s, dossier_id, actor=actor)

    # due dates ---------------------------------------------------------------------------------
    def _due_query(self, as_of: date, action: Action):
        return (sa.select(Dossier.id, Dossier.code, Dossier.title, Dossier.due_date, Dossier.retention)
                .where(Dossier.due_date <= as_of, Dossier.due_action == str(action), Dossier.status != "disposed")
                .order_by(Dossier.due_date, Dossier.id))

    def due(self, as_of: date, *, action: Action = Action.REVIEW_DESTROY, limit: int | None = None) -> list[dict]:
        """Dossiers due on or before ``as_of``, with their schedule item (index range scan on due_date)."""
        with self.catalogue.session() as s:
            q = self._due_query(as_of, action)
            rows = s.execute(q.limit(limit) if limit else q).all()
            out, ids = [], [r.id for r in rows]
            items: dict[str, RetentionAssignment] = {}
            for i in range(0, len(ids), BATCH):
                for assigned in s.execute(sa.select(RetentionAssignment).where(
                        RetentionAssignment.target_type == "dossier",
                        RetentionAssignment.target_id.in_(ids[i:i + BATCH]),
                        RetentionAssignment.superseded_at.is_(None))).scalars():
                    items[assigned.target_id] = assigned
            for r in rows:
                a = items.get(r.id)
                out.append({"dossier_id": r.id, "code": r.code, "title": r.title, "due_date": r.due_date.isoformat(),
                            "action": str(action), "retention": r.retention,
                            "schedule": f"{a.schedule_code} v{a.schedule_version}" if a else None,
                            "item_code": a.item_code if a else None})
            return out

    def explain_due(self, as_of: date, *, no_seqscan: bool = False) -> str:
        """The database's plan for the due query (bench and docs). ``no_seqscan`` shows on a tiny
        PostgreSQL table the plan it uses on a large one (``enable_seqscan = off``)."""
        q = self._due_query(as_of, Action.REVIEW_DESTROY)
        with self.catalogue.engine.connect() as conn:
            if no_seqscan and self.catalogue.dialect == "postgresql":
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if self.catalogue.dialect == "sqlite" else "EXPLAIN "
            return "\n".join(" ".join(str(c) for c in row) for row in conn.exec_driver_sql(prefix + sql))

    # the sweep ---------------------------------------------------------------------------------
    def sweep(self, as_of: date | None = None, *, actor: str) -> SweepReport:
        """Move the dossiers due for review into "Xem xét hủy" and write transfer reminders.

        Reads only pending dossiers (``due_state`` NULL) through the partial index, and lists them
        with one INSERT … SELECT and one UPDATE; held dossiers stay pending and are checked again
        at the next sweep."""
        now = self._now()
        as_of = as_of or now.date()
        report = SweepReport(as_of=as_of)
        with self.catalogue.session() as s:
            _lock_due_dates(s, exclusive=True)
            pending = [Dossier.due_state.is_(None), Dossier.due_action == str(Action.REVIEW_DESTROY),
                       Dossier.due_date <= as_of, Dossier.status != "disposed"]
            held: dict[str, list[str]] = {}
            if holds_mod.active(s):
                held = self._held_among(s, list(s.execute(sa.select(Dossier.id).where(*pending)).scalars()))
            report.held = sorted(held)
            report.listed = self._list_pending(s, [*pending, Dossier.id.not_in(report.held)] if held else pending, now)
            notes = self._transfer_reminders(s, as_of, now, report)
            if report.listed:
                notes.append({"kind": "review_list", "target_id": str(uuid.uuid4()), "due_date": as_of,
                              "message": f"Đã đưa {len(report.listed)} hồ sơ hết thời hạn lưu trữ vào danh mục "
                                         f"Xem xét hủy (tính đến ngày {as_of:%d/%m/%Y})", "created_at": now})
            report.unfiled = s.execute(sa.select(sa.func.count()).select_from(Record).where(
                Record.dossier_id.is_(None), Record.status != "disposed")).scalar() or 0
            target = f"unfiled:{as_of.isoformat()}"
            if report.unfiled and s.execute(sa.select(RetentionNotification.id).where(
                    RetentionNotification.kind == "unfiled", RetentionNotification.target_id == target,
                    RetentionNotification.due_date == as_of)).first() is None:
                notes.append({"kind": "unfiled", "target_id": target, "due_date": as_of, "created_at": now,
                              "message": f"Có {report.unfiled} văn bản chưa lập hồ sơ: việc xét hủy đi theo hồ sơ, "
                                         "nên các văn bản này chưa bao giờ được đưa vào danh mục Xem xét hủy; "
                                         "cần lập hồ sơ cho chúng (xem «luutru retention report unfiled»)"})
            if notes:
                s.execute(sa.insert(RetentionNotification), notes)
            audit.append(s, at=now, actor=actor, action="retention.sweep", target_type="sweep",
                         target_id=as_of.isoformat(),
                         detail={"listed": len(report.listed), "held": report.held,
                                 "transfer_reminders": len(report.transfer_reminders), "unfiled": report.unfiled})
        return report

    def _list_pending(self, s: Session, where: list, now: datetime) -> list[str]:
        """Mark the pending due dossiers ``listed`` and add them to Xem xét hủy, in one pass over
        the partial index: on PostgreSQL one statement (UPDATE … RETURNING feeding the INSERT),
        on SQLite UPDATE … RETURNING then one executemany INSERT."""
        d, items = cast(sa.Table, Dossier.__table__), cast(sa.Table, DisposalItem.__table__)
        upd = sa.update(d).where(*where).values(due_state="listed").returning(d.c.id, d.c.due_date)
        if self.catalogue.dialect == "postgresql":
            listed = upd.cte("listed")
            return list(s.execute(sa.insert(items).from_select(
                ["id", "dossier_id", "batch_id", "state", "reason", "due_date", "added_at"],
                sa.select(_uuid_sql(now), listed.c.id, sa.null(), sa.literal("candidate"), sa.literal("expired"),
                          listed.c.due_date, sa.bindparam("now", now, type_=UTCDateTime())))
                .returning(items.c.dossier_id)).scalars())
        rows = s.execute(upd).all()
        if rows:
            s.execute(sa.insert(items), [{"id": _uuid7(now), "dossier_id": r.id, "batch_id": None, "state": "candidate",
                                          "reason": "expired", "due_date": r.due_date, "added_at": now} for r in rows])
        return [r.id for r in rows]

    def _held_among(self, s: Session, ids: list[str]) -> dict[str, list[str]]:
        guard, held = holds_mod.HoldGuard(), {}
        for i in range(0, len(ids), BATCH):
            dossiers = s.execute(sa.select(Dossier).where(Dossier.id.in_(ids[i:i + BATCH]))).scalars().all()
            held.update(guard.held_dossiers(s, dossiers))
        return held

    def _transfer_reminders(self, s: Session, as_of: date, now: datetime, report: SweepReport) -> list[dict]:
        """Register 12 months ahead, and 30 days ahead; after the 30-day one the dossier is
        ``reminded`` and the sweep no longer reads it."""
        horizon = as_of + timedelta(days=TRANSFER_REGISTER_DAYS)
        transfers = s.execute(sa.select(Dossier.id, Dossier.code, Dossier.due_date).where(
            Dossier.due_state.is_(None), Dossier.due_action == str(Action.TRANSFER), Dossier.due_date <= horizon,
            Dossier.status != "disposed")).all()
        have = set()
        for i in range(0, len(transfers), BATCH):
            have |= set(s.execute(sa.select(RetentionNotification.kind, RetentionNotification.target_id,
                                            RetentionNotification.due_date).where(
                RetentionNotification.target_id.in_([t.id for t in transfers[i:i + BATCH]]))).all())
        notes, reminded = [], []
        for t in transfers:
            kind = "transfer_due" if t.due_date <= as_of + timedelta(days=30) else "transfer_register"
            if kind == "transfer_due":
                reminded.append(t.id)
            if (kind, t.id, t.due_date) in have:
                continue
            msg = (f"Hồ sơ {t.code} đến hạn nộp lưu vào lưu trữ lịch sử ngày {t.due_date:%d/%m/%Y}"
                   if kind == "transfer_due" else
                   f"Hồ sơ {t.code} cần đăng ký nộp lưu vào lưu trữ lịch sử (hạn {t.due_date:%d/%m/%Y})")
            notes.append({"kind": kind, "target_id": t.id, "due_date": t.due_date, "message": msg, "created_at": now})
            report.transfer_reminders.append(t.id)
        for i in range(0, len(reminded), BATCH):
            s.execute(sa.update(Dossier).where(Dossier.id.in_(reminded[i:i + BATCH])).values(due_state="reminded"),
                      execution_options={"synchronize_session": False})
        return notes

    def candidates(self) -> list[dict]:
        with self.catalogue.session() as s:
            rows = s.execute(sa.select(DisposalItem, Dossier).join(Dossier, Dossier.id == DisposalItem.dossier_id)
                             .where(DisposalItem.state == "candidate").order_by(DisposalItem.due_date)).all()
            return [{"item_id": i.id, "dossier_id": d.id, "code": d.code, "title": d.title,
                     "due_date": i.due_date.isoformat() if i.due_date else None, "reason": i.reason,
                     "state": "Xem xét hủy"} for i, d in rows]

    def unfiled(self, as_of: date | None = None) -> list[dict]:
        """Records outside any dossier (chưa lập hồ sơ): never in the list Xem xét hủy, since review
        and destruction go by dossier. Each with its own decision (from the rules at ingest) and the
        date that decision would make it due, counted from the year of issue (else of archiving),
        so a records officer sees what to file first."""
        as_of = as_of or self._now().date()
        out = []
        with self.catalogue.session() as s:
            recs = s.execute(sa.select(Record).where(Record.dossier_id.is_(None), Record.status != "disposed")
                             .order_by(Record.created_at, Record.id)).scalars().all()
            decided: dict[str, RetentionAssignment] = {}
            ids = [r.id for r in recs]
            for i in range(0, len(ids), BATCH):
                for assigned in s.execute(sa.select(RetentionAssignment).where(
                        RetentionAssignment.target_type == "record", RetentionAssignment.target_id.in_(ids[i:i + BATCH]),
                        RetentionAssignment.superseded_at.is_(None))).scalars():
                    decided[assigned.target_id] = assigned
            items: dict[str, Any] = {}
            for r in recs:
                a = decided.get(r.id)
                d = None
                if a is not None:
                    if a.item_id not in items:
                        items[a.item_id] = schedules.item_from_row(s.get_one(schedules.RetentionScheduleItem, a.item_id))
                    start = r.issued_date or r.created_at.date()
                    d = due(items[a.item_id], end_year=start.year, event_date=a.event_date,
                            fields=holds_mod.record_fields(r, None))
                out.append({"record_id": r.id, "so_ky_hieu": r.so_ky_hieu, "type_name": r.type_name, "subject": r.subject,
                            "issued_date": r.issued_date.isoformat() if r.issued_date else None,
                            "retention": Period.parse(a.period).label_vi if a else None,
                            "item_code": f"{a.schedule_code}/{a.item_code}" if a else None,
                            "due_date": d.date.isoformat() if d and d.date else None,
                            "due_action": str(d.action) if d and d.action else None,
                            "overdue": bool(d and d.date and d.date <= as_of),
                            "state": "Chưa lập hồ sơ" + ("" if a else "; chưa xác định thời hạn")})
        return out

    def notifications(self, *, unread_only: bool = True) -> list[dict]:
        with self.catalogue.session() as s:
            q = sa.select(RetentionNotification).order_by(RetentionNotification.id)
            if unread_only:
                q = q.where(RetentionNotification.read_at.is_(None))
            return [{"id": n.id, "kind": n.kind, "target_id": n.target_id, "message": n.message,
                     "due_date": n.due_date.isoformat() if n.due_date else None} for n in s.execute(q).scalars()]

    # holds -------------------------------------------------------------------------------------
    def place_hold(self, *, authority: str, reason: str, scope_type: str, scope: dict[str, Any], actor: str,
                   store: ObjectStore | None = None) -> str:
        with self.catalogue.session() as s:
            hold_id = holds_mod.place(s, authority=authority, reason=reason, scope_type=scope_type, scope=scope,
                                      actor=actor, at=self._now())
        if store is not None:
            self.mirror_legal_holds(store, actor=actor)
        return hold_id

    def release_hold(self, hold_id: str, *, reason: str, actor: str, store: ObjectStore | None = None) -> None:
        with self.catalogue.session() as s:
            holds_mod.release(s, hold_id, reason=reason, actor=actor, at=self._now())
        if store is not None:
            self.mirror_legal_holds(store, actor=actor)

    def held_records(self, record_ids: Sequence[str]) -> dict[str, list[str]]:
        with self.catalogue.session() as s:
            return holds_mod.HoldGuard().held(s, record_ids)

    # object lock -------------------------------------------------------------------------------
    def _object_keys(self, s: Session, dossier_ids: Sequence[str] | None):
        q = (sa.select(Component.storage_key, Component.record_id, Dossier.due_date, Dossier.permanent,
                       Dossier.due_action)
             .join(Record, Record.id == Component.record_id).join(Dossier, Dossier.id == Record.dossier_id)
             .where(Component.status == "present", Component.role == "original"))
        if dossier_ids is not None:
            q = q.where(Dossier.id.in_(list(dossier_ids)))
        return s.execute(q).all()

    def apply_object_lock(self, store: ObjectStore, *, actor: str, dossier_ids: Sequence[str] | None = None) -> dict:
        """Originals get retain-until = their disposal date (end of that day, UTC); permanent ones, and
        ones due for transfer, a far date. Retention is only ever extended (the store refuses to
        shorten it), so a later, longer decision extends the lock; a shorter one leaves it."""
        done, kept, failed = 0, 0, []
        with self.catalogue.session() as s:
            rows = self._object_keys(s, dossier_ids)
        for key, record_id, due_date, permanent, action in rows:
            if due_date is None and not permanent:
                continue
            until = (FAR_FUTURE if permanent or action == str(Action.TRANSFER) or due_date is None
                     else datetime.combine(due_date + timedelta(days=1), time(), tzinfo=UTC))
            try:
                info = store.stat(key)
                if info.retain_until is not None and info.retain_until >= until:
                    kept += 1
                    continue
                store.set_retention(key, until)
                done += 1
            except (ObjectLocked, ObjectNotFound) as exc:
                failed.append({"record_id": record_id, "storage_key": key, "error": str(exc)})
        with self.catalogue.session() as s:
            audit.append(s, at=self._now(), actor=actor, action="retention.object_lock",
                         outcome="success" if not failed else "warning",
                         detail={"extended": done, "unchanged": kept, "failed": len(failed)})
        return {"extended": done, "unchanged": kept, "failed": failed}

    def mirror_legal_holds(self, store: ObjectStore, *, actor: str) -> dict:
        """Legal hold on each held record's objects; released on objects no longer held."""
        on, off = 0, 0
        with self.catalogue.session() as s:
            comps = s.execute(sa.select(Component.record_id, Component.storage_key).where(
                Component.status == "present")).all()
            held = holds_mod.HoldGuard().held(s, sorted({c.record_id for c in comps}))
        held_keys = {k for r, k in comps if r in held}
        for _, key in comps:
            try:
                info = store.stat(key)
                want = key in held_keys
                if info.legal_hold != want:
                    store.set_legal_hold(key, want)
                    on += want
                    off += not want
            except (ObjectNotFound, ObjectLocked):
                continue
        with self.catalogue.session() as s:
            audit.append(s, at=self._now(), actor=actor, action="retention.legal_hold.mirror",
                         detail={"on": on, "off": off})
        return {"on": on, "off": off}
