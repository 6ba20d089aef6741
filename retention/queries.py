"""Read-side queries of retention that the HTTP routes (``api/http/routes/retention.py``) and other entry
points answer from: schedules and their items, holds, disposal batches, with paging. Every function
opens its own catalogue session and returns plain values (dicts, detached rows), so no entry point
writes SQL of its own."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from archive import identifiers
from archive.catalogue import Catalogue
from archive.catalogue.models import Dossier
from archive.catalogue.retention_tables import DisposalBatch, RetentionHold, RetentionSchedule
from retention import schedules
from retention.policy import PolicyError, Schedule


def find_batch(catalogue: Catalogue, ref: str) -> DisposalBatch | None:
    """The batch ``ref`` names — its id, or its number (``3-2026`` for 3/2026) — detached; None if none."""
    with catalogue.session() as s:
        b = s.get(DisposalBatch, ref)
        if b is None:
            try:
                b = identifiers.resolve(s, "batch", ref)
            except identifiers.ReferenceNotFound:
                return None
        s.expunge(b)
        return b


def schedule_exists(catalogue: Catalogue, code: str, version: int | None = None) -> bool:
    with catalogue.session() as s:
        q = sa.select(RetentionSchedule.id).where(RetentionSchedule.code == code)
        if version:
            q = q.where(RetentionSchedule.version == version)
        return s.execute(q.limit(1)).first() is not None


def item_exists(catalogue: Catalogue, schedule_code: str, item_code: str) -> bool:
    with catalogue.session() as s:
        try:
            schedules.item_row(s, schedule_code, item_code)
        except PolicyError:
            return False
    return True


def schedule_item(catalogue: Catalogue, code: str, item_code: str) -> Any:
    """The item of the newest version of schedule ``code``; ``PolicyError`` if there is none."""
    with catalogue.session() as s:
        return schedules.load_schedule(s, code).item(item_code)


def list_schedules(catalogue: Catalogue) -> list[dict[str, Any]]:
    with catalogue.session() as s:
        return schedules.list_schedules(s)


def schedule_with_versions(catalogue: Catalogue, code: str,
                           version: int | None = None) -> tuple[Schedule, list[dict[str, Any]]]:
    """The schedule (a version, or the newest) and every version of its code, oldest first."""
    with catalogue.session() as s:
        sched = schedules.load_schedule(s, code, version)
        versions = [v for v in schedules.list_schedules(s) if v["code"] == code]
    return sched, versions


def hold_public(h: RetentionHold) -> dict[str, Any]:
    return {"id": h.id, "authority": h.authority, "reason": h.reason, "scope_type": h.scope_type,
            "scope": h.scope or {}, "placed_at": h.placed_at.isoformat(), "placed_by": h.placed_by,
            "active": h.released_at is None, "released_at": h.released_at.isoformat() if h.released_at else None,
            "released_by": h.released_by, "release_reason": h.release_reason}


def get_hold(catalogue: Catalogue, hold_id: str) -> dict[str, Any] | None:
    with catalogue.session() as s:
        h = s.get(RetentionHold, hold_id)
        return hold_public(h) if h is not None else None


def list_holds(catalogue: Catalogue, *, active: bool | None, page: int,
               size: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, the page of holds, newest first); ``active`` True: in force, False: released."""
    where = []
    if active is not None:
        where.append(RetentionHold.released_at.is_(None) if active else RetentionHold.released_at.is_not(None))
    with catalogue.session() as s:
        total = s.execute(sa.select(sa.func.count()).select_from(RetentionHold).where(*where)).scalar_one()
        rows = s.execute(sa.select(RetentionHold).where(*where).order_by(RetentionHold.placed_at.desc(),
                                                                          RetentionHold.id)
                         .offset((page - 1) * size).limit(size)).scalars().all()
        return int(total), [hold_public(h) for h in rows]


def list_batches(catalogue: Catalogue, *, state: str | None, page: int,
                 size: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, the page of disposal batches, newest first)."""
    from retention.disposal import STATES_VI

    where = [DisposalBatch.state == state] if state else []
    with catalogue.session() as s:
        total = s.execute(sa.select(sa.func.count()).select_from(DisposalBatch).where(*where)).scalar_one()
        rows = s.execute(sa.select(DisposalBatch).where(*where).order_by(DisposalBatch.proposed_at.desc(),
                                                                          DisposalBatch.id)
                         .offset((page - 1) * size).limit(size)).scalars().all()
        items = [{"batch_id": b.id, "number": f"{b.seq}/{b.year}" if b.seq else None, "state": b.state,
                  "state_vi": STATES_VI.get(b.state, b.state), "title": b.title,
                  "proposed_by": b.proposed_by, "proposed_at": b.proposed_at.isoformat(),
                  "approved_by": b.approved_by, "destroyed_at": b.destroyed_at.isoformat() if b.destroyed_at else None}
                 for b in rows]
    return int(total), items


def dossier_names(catalogue: Catalogue, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Dossier id → (mã hồ sơ, tiêu đề)."""
    with catalogue.session() as s:
        return {r.id: (r.code, r.title) for r in s.execute(
            sa.select(Dossier.id, Dossier.code, Dossier.title).where(Dossier.id.in_(ids)))}
