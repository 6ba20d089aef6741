"""Retention decided in the record's own transaction.

A record created with ``extra["retention"]`` (a *request*) gets its retention decision in the same
catalogue transaction as the record itself: the record, its assignment, its dossier's new period
and due date, and the audit entries commit together or not at all, so a crash can never leave an
ingested record that was never classified. Two kinds of request:

* ``{"method": "ingest", …}`` (``request(assignment)``, set by the ingest ClassifyStep): the rules
  are applied again at commit, inside the transaction, to the stored record and its dossier; the
  request only says "classify me" and is never trusted as a decision (an API client cannot pick a
  shorter period by writing it);
* ``{"method": "system", "schedule_code": …, "item_code": …}`` (``system_request``): the archive's
  own records (Biên bản hủy tài liệu, Danh mục tài liệu đã hủy). Only a permanent item is accepted.

The hook is a component installed on one catalogue (``install(catalogue)``), never a listener on
the global ``Session`` class: the wiring installs it (``api/wiring.py``, ``build_services``), and so
do the retention components that rely on it when they are built on a catalogue
(``RetentionService``, ``DisposalService``, ingest's ``RetentionClassifier``). Two archives in one
process keep their own: one without retention wired commits its records undecided. On that
catalogue's sessionmaker, ``after_flush`` notes the new records that carry a request, and the
commit extension (``archive.dossier_state.on_commit``: right after the dossiers' dates are
refreshed, before the sidecars' listener) decides them. Other records are left alone. The same
extension re-evaluates the dossiers ``archive.dossier_state`` names in ``session.info[RECOMPUTE]``
(records filed in or out, dates of issue or page counts changed, the declared period edited):
their dates are already refreshed, so the due date follows the end date.

A **correction** of a record's metadata (``archive.corrections``) notes the record in the session
(``CHANGED_RECORDS``); before the commit the rules are applied again to the corrected record
(``reevaluate``): a decision by rule (at ingest or later) follows the new metadata — a new tên loại
can change the period — and the dossier's period and due date are recomputed; a manual or system
decision is kept (a person decided it, with a reason), and so is the current decision when no rule
matches the corrected record any more (a record never loses its period by a correction).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import dossier_state
from archive.catalogue import Catalogue
from archive.catalogue.models import Dossier, Record
from archive.catalogue.retention_tables import RetentionRule, RetentionSchedule
from archive.corrections import CHANGED_RECORDS
from archive.ports import SystemClock
from retention import schedules
from retention.holds import record_fields
from retention.policy import Assignment, PolicyError, Rule, classify

KEY = "retention"
ACTOR = "software:luutru retention"
_PENDING = "luutru.retention.pending"


def request(a: Assignment | None, series: str | None = None) -> dict[str, Any]:
    """What ingest stores in ``extra["retention"]``: the rule it matched (for people), and the ask."""
    out: dict[str, Any] = {"method": "ingest"}
    if series:
        out["series"] = series
    if a is not None:
        out.update({"schedule_code": a.schedule_code, "schedule_version": a.schedule_version,
                    "item_code": a.item.code, "period": str(a.period), "rule_id": a.rule_id})
    return out


def system_request(schedule_code: str, item_code: str, reason: str) -> dict[str, Any]:
    return {"method": "system", "schedule_code": schedule_code, "item_code": item_code, "reason": reason}


# rules, cached per database until they change ------------------------------------------------
_cache: dict[str, tuple[tuple, list[Rule]]] = {}
_cache_lock = threading.Lock()


def rules(s: Session) -> list[Rule]:
    """The active rules (``schedules.load_rules``), reloaded only when rules or schedules change."""
    active = RetentionRule.active.is_(True)
    fingerprint = tuple(s.execute(sa.select(
        sa.select(sa.func.count(RetentionRule.id)).where(active).scalar_subquery(),
        sa.select(sa.func.max(RetentionRule.created_at)).where(active).scalar_subquery(),
        sa.select(sa.func.count(RetentionRule.id)).scalar_subquery(),
        sa.select(sa.func.count(RetentionSchedule.id)).scalar_subquery())).one())
    key = str(s.get_bind().engine.url)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == fingerprint:
        return hit[1]
    loaded = schedules.load_rules(s)
    with _cache_lock:
        _cache[key] = (fingerprint, loaded)
    return loaded


def classify_record(s: Session, rec: Record) -> Assignment | None:
    dossier = s.get(Dossier, rec.dossier_id) if rec.dossier_id else None
    fields = record_fields(rec, dossier)
    series = (rec.extra or {}).get(KEY, {}).get("series")
    if series and not fields.get("series"):
        fields["series"] = series
    return classify(fields, rules(s))


# the hook ------------------------------------------------------------------------------------
def _requested(obj: Any) -> bool:
    return isinstance(obj, Record) and isinstance(obj.extra, dict) and isinstance(obj.extra.get(KEY), dict)


def _note_new_records(session: Session, _ctx) -> None:
    new = [o.id for o in session.new if _requested(o)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


def _forget(session: Session, _previous) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(CHANGED_RECORDS, None)


def _decide(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    # dossiers whose records, dates or totals changed in this transaction (archive.dossier_state notes
    # them, and refreshes their dates, before this listener runs): their due date follows
    changed = session.info.pop(dossier_state.RECOMPUTE, None)
    if ids or changed:
        decide(session, ids or [], dossier_ids=sorted(changed or ()))
    corrected = session.info.pop(CHANGED_RECORDS, None)
    if corrected:
        reevaluate(session, corrected)


_INSTALLED = "_luutru_retention_hooks"


def install(catalogue: Catalogue) -> bool:
    """Decide retention at the commit of this catalogue's sessions (idempotent: False when it was
    already installed). Only this catalogue: other archives in the process are not touched."""
    maker = catalogue.sessionmaker
    if getattr(maker, _INSTALLED, False):
        return False
    setattr(maker, _INSTALLED, True)
    sa.event.listen(maker, "after_flush", _note_new_records)
    sa.event.listen(maker, "after_soft_rollback", _forget)
    dossier_state.on_commit(catalogue, _decide)
    return True


def installed(catalogue: Catalogue) -> bool:
    """Whether ``install`` equipped this catalogue."""
    return bool(getattr(catalogue.sessionmaker, _INSTALLED, False))


KEPT_METHODS = ("manual", "system")
"""Decisions a correction never overrides."""


def reevaluate(s: Session, corrected: dict[str, dict]) -> list[dict]:
    """Apply the rules again to corrected records (record id → ``{"actor", "change_id"}``), in
    ``s``'s transaction; returns what changed."""
    from retention.service import _current, recompute_dossier, set_assignment

    now = SystemClock().now()
    out, dossiers = [], {}
    for rid, why in corrected.items():
        rec = s.get(Record, rid)
        if rec is None:
            continue
        current = _current(s, "record", rid)
        if current is not None and current.method in KEPT_METHODS:
            continue
        a = classify_record(s, rec)
        if a is None or (current is not None and (current.schedule_code, current.schedule_version,
                                                  current.item_code) == (a.schedule_code, a.schedule_version,
                                                                         a.item.code)):
            continue
        a = Assignment(item=a.item, schedule_code=a.schedule_code, schedule_version=a.schedule_version,
                       method="rule", rule_id=a.rule_id,
                       reason=f"áp dụng lại quy tắc sau khi sửa siêu dữ liệu (lần sửa {why['change_id']})")
        set_assignment(s, "record", rid, a, actor=why["actor"], now=now)
        out.append({"record_id": rid, "assignment": a.as_dict()})
        if rec.dossier_id:
            dossiers[rec.dossier_id] = why["actor"]
    for did, actor in dossiers.items():
        recompute_dossier(s, did, actor=actor, now=now)
    return out


def decide(s: Session, record_ids: list[str], *, dossier_ids: Sequence[str] = ()) -> list[dict]:
    """Decide the requested records now, in ``s``'s transaction (the hook calls it at commit), then
    recompute their dossiers and ``dossier_ids``."""
    from retention.service import recompute_dossier, set_assignment  # service imports this module

    now = SystemClock().now()
    out: list[dict[str, Any]] = []
    dossiers = list(dossier_ids)
    for rid in dict.fromkeys(record_ids):
        rec = s.get(Record, rid)
        if rec is None or not _requested(rec):
            continue
        assert rec.extra is not None  # _requested checked it is a dict
        req = rec.extra[KEY]
        a: Assignment | None
        if req.get("method") == "system":
            sched = schedules.load_schedule(s, req["schedule_code"])
            item = sched.item(req["item_code"])
            if not item.period.permanent:
                raise PolicyError(f"a system retention request must be permanent, not {item.period}",
                                  "Tài liệu của chính kho lưu trữ chỉ được gán thời hạn vĩnh viễn")
            a = Assignment(item=item, schedule_code=sched.code, schedule_version=sched.version or 0,
                           method="system", reason=req.get("reason"))
        else:
            a = classify_record(s, rec)
            if a is None:
                out.append({"record_id": rid, "assignment": None})
                continue
            a = Assignment(item=a.item, schedule_code=a.schedule_code, schedule_version=a.schedule_version,
                           method="ingest", rule_id=a.rule_id, reason=a.reason)
        set_assignment(s, "record", rid, a, actor=ACTOR, now=now)
        out.append({"record_id": rid, "assignment": a.as_dict()})
        if rec.dossier_id:
            dossiers.append(rec.dossier_id)
    for did in dict.fromkeys(dossiers):
        d = s.get(Dossier, did)
        if d is not None and d.status != "disposed":
            recompute_dossier(s, did, actor=ACTOR, now=now)
    return out
