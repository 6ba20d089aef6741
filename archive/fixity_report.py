"""Reports of fixity: the state ``luutru status`` shows, and ``luutru fixity report``'s lists of what
failed and when each object was last verified. Read-only queries over ``object_fixity``,
``fixity_runs`` and the components; ``archive.fixity`` does the checking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from archive.catalogue import Catalogue
from archive.catalogue.fixity_tables import FixityRun, ObjectFixity
from archive.catalogue.models import Component, Record
from archive.objects.base import BLOCK_SIZE


def live() -> sa.Exists:
    """Objects some component that is not destroyed still references."""
    return sa.exists().where(Component.storage_key == ObjectFixity.storage_key, Component.status != "destroyed")


def summary(catalogue: Catalogue, *, cycle: timedelta, now: datetime) -> dict[str, Any]:
    """Objects, the oldest check, what is overdue (not checked for a whole cycle) or failing, the
    last audit; ``ok`` unless a failure or missing bytes are open."""
    F = ObjectFixity
    with catalogue.session() as s:
        def count(*where: sa.ColumnElement[bool]) -> int:
            return s.execute(sa.select(sa.func.count()).select_from(F).where(live(), *where)).scalar_one()

        objects, total, oldest = s.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(F.size), 0),
                                                     sa.func.min(F.checked_at)).select_from(F).where(live())).one()
        overdue = count(F.checked_at < now - cycle)
        failing = count(F.failed_at.is_not(None))
        reread = count(F.checks > 0)
        missing = s.execute(sa.select(sa.func.count(sa.distinct(Component.storage_key))).where(
            Component.status == "missing")).scalar_one()
        last = s.execute(sa.select(FixityRun).order_by(FixityRun.id.desc()).limit(1)).scalars().first()
        last_full = s.execute(sa.select(FixityRun).where(FixityRun.kind == "full", FixityRun.state == "done")
                              .order_by(FixityRun.id.desc()).limit(1)).scalars().first()
    return {"objects": objects, "bytes": int(total), "cycle_days": cycle.total_seconds() / 86400,
            "oldest_check": _iso(oldest), "rechecked": reread, "overdue": overdue, "failing": failing,
            "missing": missing, "last_run": _run_dict(last), "last_full_run": _run_dict(last_full),
            "ok": not (failing or missing)}


def report(catalogue: Catalogue, *, cycle: timedelta, now: datetime, limit: int = 50) -> dict[str, Any]:
    """The summary, the open failures and missing bytes (with their records), the objects by last
    check, oldest first (``limit`` of them; 0: all), and the last ten audits."""
    F = ObjectFixity
    with catalogue.session() as s:
        failing = s.execute(sa.select(F).where(live(), sa.or_(F.failed_at.is_not(None), F.outcome == "missing"))
                            .order_by(F.failed_at, F.storage_key)).scalars().all()
        missing_keys = [k for (k,) in s.execute(sa.select(Component.storage_key).where(
            Component.status == "missing").distinct())]
        q = sa.select(F).where(live()).order_by(F.checked_at, F.storage_key)
        rows = s.execute(q.limit(limit) if limit else q).scalars().all()
        keys = {r.storage_key for r in rows} | {r.storage_key for r in failing} | set(missing_keys)
        records: dict[str, list[dict[str, Any]]] = {}
        for c, rec in s.execute(sa.select(Component, Record).join(Record, Record.id == Component.record_id).where(
                Component.storage_key.in_(sorted(keys)), Component.status != "destroyed")):
            records.setdefault(c.storage_key, []).append(
                {"record_id": rec.id, "role": c.role, "so_ky_hieu": rec.so_ky_hieu, "subject": rec.subject,
                 "status": rec.status, "component_status": c.status})
        runs = s.execute(sa.select(FixityRun).order_by(FixityRun.id.desc()).limit(10)).scalars().all()
        failed = {r.storage_key: _row_dict(r, records) for r in failing}
        for key in missing_keys:
            row = s.get(F, key)
            base = _row_dict(row, records) if row else {"storage_key": key, "records": records.get(key, [])}
            failed.setdefault(key, {**base, "problem": "missing"})
        objects = [_row_dict(r, records) for r in rows]
        run_list = [_run_dict(r) for r in runs]
    return {"summary": summary(catalogue, cycle=cycle, now=now), "failures": list(failed.values()),
            "objects": objects, "runs": run_list}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _row_dict(r: ObjectFixity, records: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"storage_key": r.storage_key, "size": r.size, "checked_at": _iso(r.checked_at), "outcome": r.outcome,
            "verified_at": _iso(r.verified_at), "failed_at": _iso(r.failed_at), "problem": r.problem,
            "checks": r.checks, "block_digests": r.block_digests is not None or r.size <= BLOCK_SIZE,
            "records": records.get(r.storage_key, [])}


def _run_dict(run: FixityRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"id": run.id, "kind": run.kind, "state": run.state, "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at), "cutoff": _iso(run.cutoff), "resumed_from": run.resumed_from,
            "objects": run.objects, "bytes": run.bytes, "failures": run.failures,
            "budget_bytes_s": run.budget_bytes_s}
