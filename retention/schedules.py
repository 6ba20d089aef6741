"""Schedules and rules in the catalogue: versioned save, load, CSV and JSON import and export.

Versioning: a saved schedule version is never changed. Saving a schedule whose items differ from
the newest version creates version N+1 and marks N ``superseded``; identical content saves
nothing. Assignments keep the item id of the version they came from, so a new version never
silently alters a decision already taken (``stale_assignments`` lists those to review).

The built-in ``vn-sample`` schedule is ``retention/data/retention-sample.json`` (requirements-vn.md
§3): items of TT 09/2011 are ``legacy`` (superseded text), unconfirmed TT 10/2022 items ``sample``;
the schedule as a whole is marked sample.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit
from archive.catalogue.retention_tables import (
    RetentionAssignment,
    RetentionRule,
    RetentionSchedule,
    RetentionScheduleItem,
)
from retention.policy import (
    Action,
    Criteria,
    ItemStatus,
    Period,
    PolicyError,
    Rule,
    Schedule,
    ScheduleItem,
    Trigger,
)

SAMPLE_CODE = "vn-sample"
SAMPLE_FILE = Path(__file__).with_name("data") / "retention-sample.json"
CSV_COLUMNS = ["item_code", "description", "period", "trigger", "trigger_field", "action", "source", "group",
               "status", "note"]


# the built-in sample -------------------------------------------------------------------------

def _prefix(source: str) -> str:
    if "09/2011" in source:
        return "TT09-2011"
    if "10/2022" in source:
        return "TT10-2022"
    if "3999" in source:
        return "QD3999-BTC"
    return "X"


def sample_schedule() -> Schedule:
    """The shipped sample (``retention/data/retention-sample.json``) as a schedule.

    Item codes are made unique: ``<text>/<item>`` plus a letter for each sub-component
    (``TT09-2011/7.b``); items whose number is unconfirmed or not shown get ``UNCONFIRMED-<n>`` or
    ``UNNUMBERED-<n>``.
    """
    raw = json.loads(SAMPLE_FILE.read_text("utf-8"))
    items: list[ScheduleItem] = []
    seen: dict[str, int] = {}
    unnumbered: dict[str, int] = {}
    for entry in raw["items"]:
        prefix = _prefix(entry["source"])
        number = entry.get("item")
        if prefix == "QD3999-BTC":
            base = f"{prefix}/{'huy' if 'destruction' in (number or '') else 'nop-luu'}"
        elif number in (None, "UNCONFIRMED"):
            label = "UNCONFIRMED" if number else "UNNUMBERED"
            unnumbered[prefix + label] = unnumbered.get(prefix + label, 0) + 1
            base = f"{prefix}/{label}-{unnumbered[prefix + label]}"
        else:
            base = f"{prefix}/{number}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        code = base if n == 0 else f"{base}.{chr(ord('a') + n)}"
        if n == 1:  # give the first sub-component its letter too
            first = next(i for i, it in enumerate(items) if it.code == base)
            items[first] = ScheduleItem(**{**vars(items[first]), "code": f"{base}.a"})
        description = entry["description_vi"]
        if entry.get("sub_component_vi"):
            description += f" — {entry['sub_component_vi']}"
        status = ItemStatus.LEGACY if entry["status"] == "superseded" else ItemStatus.SAMPLE
        destruction_file = prefix == "QD3999-BTC" and "destruction" in (number or "")
        items.append(ScheduleItem(
            code=code, description=description, period=Period.parse(entry["period"]),
            trigger=Trigger.EVENT if destruction_file else Trigger.END_OF_YEAR,
            trigger_field="destruction" if destruction_file else None,
            source=entry["source"], group=None if entry.get("group") == "UNCONFIRMED" else entry.get("group"),
            status=status, note=entry.get("note")))
    return Schedule(code=SAMPLE_CODE, title="Bảng thời hạn lưu trữ mẫu (dữ liệu thử nghiệm, chưa đầy đủ)",
                    items=tuple(items), source="retention/data/retention-sample.json", sample=True)


# import and export ---------------------------------------------------------------------------

def schedule_to_json(schedule: Schedule) -> str:
    return json.dumps({"code": schedule.code, "title": schedule.title, "source": schedule.source,
                       "sample": schedule.sample, "version": schedule.version,
                       "items": [i.as_dict() for i in schedule.items]}, ensure_ascii=False, indent=2)


def schedule_from_json(text: str) -> Schedule:
    d = json.loads(text)
    try:
        return Schedule(code=d["code"], title=d["title"], source=d.get("source"), sample=bool(d.get("sample")),
                        items=tuple(ScheduleItem.from_dict(i) for i in d["items"]))
    except KeyError as exc:
        raise PolicyError(f"schedule JSON lacks {exc}", f"Tệp JSON bảng thời hạn thiếu trường {exc}") from None


def schedule_to_csv(schedule: Schedule) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for item in schedule.items:
        w.writerow({k: ("" if v is None else v) for k, v in item.as_dict().items()})
    return out.getvalue()


_CSV_ENUMS = (("trigger", Trigger, "Cách tính"), ("action", Action, "Hành động khi đến hạn"),
              ("status", ItemStatus, "Trạng thái mục"))


def _row_problems(n: int, row: Mapping[str, Any]) -> list[str]:
    """Every problem of one CSV line, in Vietnamese (empty: the line makes an item)."""
    out = []
    if not (row.get("item_code") or "").strip():
        out.append(f"Dòng {n}: thiếu số mục (cột item_code)")
    if not (row.get("description") or "").strip():
        out.append(f"Dòng {n}: thiếu tên nhóm hồ sơ, tài liệu (cột description)")
    try:
        Period.parse(row.get("period") or "")
    except (PolicyError, ValueError) as exc:
        out.append(f"Dòng {n}: {getattr(exc, 'message_vi', None) or 'thời hạn không hợp lệ'} (cột period)")
    for column, enum, label in _CSV_ENUMS:
        value = (row.get(column) or "").strip()
        if value and value not in {str(e) for e in enum}:
            out.append(f"Dòng {n}: {label} «{value}» không hợp lệ (cột {column}: "
                       f"{', '.join(str(e) for e in enum)})")
    return out


def schedule_from_csv(text: str, *, code: str, title: str, source: str | None = None,
                      sample: bool = False) -> Schedule:
    """A schedule from the CSV of ``--export --format csv``. A bad file is refused with every
    problem (each line's, then duplicates) in ``PolicyError.problems``, in Vietnamese."""
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"item_code", "description", "period"} - set(rows.fieldnames or [])
    if missing:
        raise PolicyError(f"CSV lacks columns {sorted(missing)}", f"Tệp CSV thiếu cột {', '.join(sorted(missing))}")
    items = []
    problems: list[str] = []
    for n, row in enumerate(rows, start=2):
        found = _row_problems(n, row)
        if not found:
            try:
                items.append(ScheduleItem.from_dict({k: v for k, v in row.items() if k}))
            except (PolicyError, ValueError) as exc:
                found = [f"Dòng {n}: {getattr(exc, 'message_vi', None) or exc}"]
        problems += found
    if not problems and not items:
        problems.append("Tệp CSV không có dòng nào (ngoài dòng tiêu đề)")
    if problems:
        err = PolicyError(f"invalid CSV: {len(problems)} problems", "; ".join(problems))
        err.problems = problems  # type: ignore[attr-defined]
        raise err
    return Schedule(code=code, title=title, source=source, sample=sample, items=tuple(items))


# persistence ---------------------------------------------------------------------------------

def _content_hash(schedule: Schedule) -> str:
    body = json.dumps({"title": schedule.title, "source": schedule.source, "items": schedule.content()},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def save_schedule(s: Session, schedule: Schedule, *, actor: str, at: datetime) -> tuple[int, bool]:
    """Save as a new version unless the newest version has the same content.

    Returns (version, created). The previous version becomes ``superseded``; its rows stay.
    """
    digest = _content_hash(schedule)
    latest = s.execute(sa.select(RetentionSchedule).where(RetentionSchedule.code == schedule.code)
                       .order_by(RetentionSchedule.version.desc()).limit(1).with_for_update()).scalar()
    if latest is not None and latest.content_sha256 == digest:
        return latest.version, False
    version = 1 if latest is None else latest.version + 1
    if latest is not None:
        s.execute(sa.update(RetentionSchedule).where(RetentionSchedule.code == schedule.code,
                                                     RetentionSchedule.status != "superseded")
                  .values(status="superseded"))
    row = RetentionSchedule(id=str(uuid.uuid4()), code=schedule.code, version=version, title=schedule.title,
                            source=schedule.source, status="sample" if schedule.sample else "active",
                            content_sha256=digest, created_at=at, created_by=actor)
    s.add(row)
    s.flush()
    s.add_all(RetentionScheduleItem(
        id=str(uuid.uuid4()), schedule_id=row.id, item_code=i.code, source=i.source, group_name=i.group,
        description=i.description, period=str(i.period), trigger=str(i.trigger), trigger_field=i.trigger_field,
        action=str(i.action), status=str(i.status), note=i.note) for i in schedule.items)
    audit.append(s, at=at, actor=actor, action="retention.schedule.save", target_type="schedule", target_id=row.id,
                 detail={"code": schedule.code, "version": version, "items": len(schedule.items),
                         "content_sha256": digest})
    return version, True


SYSTEM_CODE = "vn-system"
DESTRUCTION_FILE_ITEM = "HUY"


def system_schedule() -> Schedule:
    """The archive's own records, kept permanently: the destruction file (Hồ sơ hủy tài liệu) with
    the Biên bản hủy tài liệu and the Danh mục tài liệu đã hủy. QĐ 3999/QĐ-BTC gives 30 years for
    the Ministry of Finance (not confirmed at Law or Circular level, requirements-vn.md §8.8); the
    archive keeps them permanently, so no destruction ever loses its own evidence."""
    return Schedule(code=SYSTEM_CODE, title="Mục hệ thống của kho lưu trữ", source="luutru", items=(
        ScheduleItem(DESTRUCTION_FILE_ITEM, "Hồ sơ hủy tài liệu: Biên bản hủy tài liệu, Danh mục tài liệu đã hủy",
                     Period(permanent=True), source="luutru; QĐ 3999/QĐ-BTC (30 năm, chưa xác nhận) — giữ vĩnh viễn",
                     note="Không bao giờ đến hạn xem xét hủy"),))


def ensure_sample(s: Session, *, actor: str, at: datetime) -> int:
    """The built-in sample and system schedules (idempotent); the sample's version."""
    save_schedule(s, system_schedule(), actor=actor, at=at)
    return save_schedule(s, sample_schedule(), actor=actor, at=at)[0]


def item_from_row(row: RetentionScheduleItem) -> ScheduleItem:
    return ScheduleItem.from_dict({"item_code": row.item_code, "description": row.description, "period": row.period,
                                   "trigger": row.trigger, "trigger_field": row.trigger_field, "action": row.action,
                                   "source": row.source, "group": row.group_name, "status": row.status,
                                   "note": row.note})


def _schedule_row(s: Session, code: str, version: int | None) -> RetentionSchedule:
    q = sa.select(RetentionSchedule).where(RetentionSchedule.code == code)
    q = q.where(RetentionSchedule.version == version) if version else q.order_by(RetentionSchedule.version.desc())
    row = s.execute(q.limit(1)).scalar()
    if row is None:
        raise PolicyError(f"no schedule {code}" + (f" version {version}" if version else ""),
                          f"Không có bảng thời hạn {code}" + (f" phiên bản {version}" if version else ""))
    return row


def load_schedule(s: Session, code: str, version: int | None = None) -> Schedule:
    """A saved version (the newest when ``version`` is None)."""
    row = _schedule_row(s, code, version)
    items = s.execute(sa.select(RetentionScheduleItem).where(RetentionScheduleItem.schedule_id == row.id)
                      .order_by(RetentionScheduleItem.item_code)).scalars()
    return Schedule(code=row.code, title=row.title, source=row.source, sample=row.status == "sample",
                    version=row.version, items=tuple(item_from_row(i) for i in items))


def item_row(s: Session, code: str, item_code: str, version: int | None = None) -> RetentionScheduleItem:
    sched = _schedule_row(s, code, version)
    row = s.execute(sa.select(RetentionScheduleItem).where(RetentionScheduleItem.schedule_id == sched.id,
                                                           RetentionScheduleItem.item_code == item_code)).scalar()
    if row is None:
        raise PolicyError(f"schedule {code} v{sched.version} has no item {item_code}",
                          f"Bảng thời hạn {code} (phiên bản {sched.version}) không có mục {item_code}")
    return row


def list_schedules(s: Session) -> list[dict]:
    counts = dict(s.execute(sa.select(RetentionScheduleItem.schedule_id, sa.func.count())
                            .group_by(RetentionScheduleItem.schedule_id)).all())
    return [{"code": r.code, "version": r.version, "title": r.title, "status": r.status, "source": r.source,
             "items": counts.get(r.id, 0), "created_at": r.created_at.isoformat(), "created_by": r.created_by}
            for r in s.execute(sa.select(RetentionSchedule).order_by(RetentionSchedule.code,
                                                                     RetentionSchedule.version)).scalars()]


# rules ---------------------------------------------------------------------------------------

def add_rule(s: Session, *, name: str, schedule_code: str, item_code: str, criteria: dict[str, Any],
             priority: int = 0, actor: str, at: datetime) -> str:
    item_row(s, schedule_code, item_code)  # the item must exist in the newest version
    Criteria.from_dict(criteria)
    rule = RetentionRule(id=str(uuid.uuid4()), name=name, priority=priority, schedule_code=schedule_code,
                         item_code=item_code, criteria=criteria, active=True, created_at=at, created_by=actor)
    s.add(rule)
    audit.append(s, at=at, actor=actor, action="retention.rule.add", target_type="rule", target_id=rule.id,
                 detail={"name": name, "item": f"{schedule_code}/{item_code}", "priority": priority,
                         "criteria": criteria})
    return rule.id


def load_rules(s: Session) -> list[Rule]:
    """Active rules resolved against the newest version of their schedule (what ``classify`` needs)."""
    rules = []
    newest: dict[str, Schedule] = {}
    for r in s.execute(sa.select(RetentionRule).where(RetentionRule.active.is_(True))).scalars():
        if r.schedule_code not in newest:
            newest[r.schedule_code] = load_schedule(s, r.schedule_code)
        sched = newest[r.schedule_code]
        try:
            item = sched.item(r.item_code)
        except PolicyError:
            continue  # the item is gone from the newest version: the rule no longer applies
        rules.append(Rule(id=r.id, name=r.name, item=item, schedule_code=sched.code,
                          schedule_version=sched.version or 0, priority=r.priority,
                          criteria=Criteria.from_dict(r.criteria)))
    return rules


def stale_assignments(s: Session) -> Iterable[dict]:
    """Current assignments taken under an older schedule version whose item changed since.

    They are *not* changed automatically (requirements: a change never silently alters decisions
    already taken); they are reported for a manual decision."""
    newest = {}
    q = sa.select(RetentionAssignment).where(RetentionAssignment.superseded_at.is_(None))
    for a in s.execute(q).scalars():
        if a.schedule_code not in newest:
            newest[a.schedule_code] = load_schedule(s, a.schedule_code)
        sched = newest[a.schedule_code]
        if a.schedule_version == sched.version:
            continue
        try:
            now_item = sched.item(a.item_code)
            changed = str(now_item.period) != a.period or str(now_item.action) != a.action
            new_period = str(now_item.period)
        except PolicyError:
            changed, new_period = True, None
        if changed:
            yield {"target_type": a.target_type, "target_id": a.target_id, "item_code": a.item_code,
                   "version": a.schedule_version, "period": a.period, "newest_version": sched.version,
                   "newest_period": new_period}
