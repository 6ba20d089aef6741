"""The queries behind ``/api/v1/fonds`` and ``/api/v1/dossiers`` (``api/http/routes/collections.py``) and
the web pages of the holdings: every one trimmed by the one access rule (``archive.access``) for a
principal, so lists, totals and counts are computed by the database. Each function opens its own
catalogue session and returns plain dicts or detached rows: the routes run no SQL.

``see_disposed``: the caller has the ``retention`` scope (tombstones of destroyed records and
dossiers are shown to them only)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from archive import access, identifiers
from archive.access import Principal
from archive.catalogue import Catalogue
from archive.catalogue.models import Dossier, Fonds, Record
from archive.catalogue.retention_tables import DisposalItem, RetentionAssignment
from archive.dossier_listing import DOSSIER_ORDER

KINDS: dict[str, Any] = {"dossier": (Dossier, access.visible_dossiers), "fonds": (Fonds, access.visible_fonds)}


def find_visible(catalogue: Catalogue, kind: str, ident: str, principal: Principal,
                 see_disposed: bool) -> tuple[Any | None, bool]:
    """(the dossier or fonds ``ident`` names if the principal may see it — an id, a short id or the
    code, detached — else None; whether any row matched at all)."""
    model, visible = KINDS[kind]
    with catalogue.session() as s:
        rows = identifiers.matches(s, kind, ident)
        seen = set(s.execute(sa.select(model.id).where(model.id.in_([r.id for r in rows]),
                                                       visible(principal, see_disposed=see_disposed))).scalars())
        shown = [r for r in rows if r.id in seen]
        if not shown:
            return None, bool(rows)
        row = identifiers.pick(kind, ident, shown)
        s.expunge(row)
        return row, True


def _iso(v: Any) -> str | None:
    return v.isoformat() if v is not None else None


def dossier_summary(d: Dossier) -> dict[str, Any]:
    return {"id": d.id, "code": d.code, "fonds_id": d.fonds_id, "year": d.year, "notation": d.notation,
            "title": d.title, "retention": d.retention, "access_regime": d.access_regime, "status": d.status,
            "due_date": _iso(d.due_date), "due_action": d.due_action, "start_date": _iso(d.start_date),
            "end_date": _iso(d.end_date), "doc_total": d.doc_total or 0}


def _record_counts(s: Any, principal: Principal, see_disposed: bool, *where: Any) -> tuple[int, int]:
    q = (sa.select(sa.func.count().filter(Record.status != "disposed"),
                   sa.func.count().filter(Record.status == "disposed"))
         .select_from(Record).where(access.readable_records(principal, see_disposed=see_disposed), *where))
    live, disposed = s.execute(q).one()
    return int(live or 0), int(disposed or 0)


def get_dossier(catalogue: Catalogue, dossier_id: str) -> Dossier:
    """The dossier row, detached (it must exist)."""
    with catalogue.session() as s:
        d = s.get_one(Dossier, dossier_id)
        s.expunge(d)
        return d


def dossier_detail(catalogue: Catalogue, d: Dossier, principal: Principal, see_disposed: bool) -> dict[str, Any]:
    with catalogue.session() as s:
        a = s.execute(sa.select(RetentionAssignment).where(
            RetentionAssignment.target_type == "dossier", RetentionAssignment.target_id == d.id,
            RetentionAssignment.superseded_at.is_(None))).scalar()
        item = s.execute(sa.select(DisposalItem).where(DisposalItem.dossier_id == d.id)
                         .order_by(DisposalItem.added_at.desc(), DisposalItem.id.desc()).limit(1)).scalar()
        live, disposed = _record_counts(s, principal, see_disposed, Record.dossier_id == d.id)
        organ_id = s.execute(sa.select(Fonds.organ_id).where(Fonds.id == d.fonds_id)).scalar()
    out = {**dossier_summary(d), "organ_id": organ_id, "catalogue_number": d.catalogue_number,
           "archive_code": d.archive_code, "retention_years": d.retention_years,
           "permanent": bool(d.permanent), "creator": d.creator, "language": d.language,
           "declared_start_date": _iso(d.declared_start_date), "declared_end_date": _iso(d.declared_end_date),
           "page_total": d.page_total or 0, "sheet_total": d.sheet_total,
           "description": d.description, "closed_at": _iso(d.closed_at),
           "created_at": d.created_at.isoformat(), "due_state": d.due_state,
           "disposal_state": item.state if item else None, "disposal_batch_id": item.batch_id if item else None,
           "records": live, "records_disposed": disposed if see_disposed else 0, "assignment": None}
    if a is not None:
        out["assignment"] = {"schedule_code": a.schedule_code, "schedule_version": a.schedule_version,
                             "item_code": a.item_code, "period": a.period, "trigger": a.trigger, "action": a.action,
                             "method": a.method, "reason": a.reason, "event_date": _iso(a.event_date),
                             "assigned_at": a.assigned_at.isoformat(), "assigned_by": a.assigned_by}
    return out


def _fonds_public(s: Any, f: Fonds, principal: Principal, see_disposed: bool) -> dict[str, Any]:
    dossiers = s.execute(sa.select(sa.func.count()).select_from(Dossier).where(
        Dossier.fonds_id == f.id, access.visible_dossiers(principal, see_disposed=see_disposed))).scalar_one()
    live, _ = _record_counts(s, principal, see_disposed, Record.fonds_id == f.id)
    return {"id": f.id, "organ_id": f.organ_id, "name": f.name, "description": f.description,
            "place": f.place, "superior_name": f.superior_name,
            "is_open": bool(f.is_open), "created_at": f.created_at.isoformat(), "dossiers": int(dossiers),
            "records": live}


def fonds_public(catalogue: Catalogue, fonds_id: str, principal: Principal, see_disposed: bool) -> dict[str, Any]:
    """A fonds with the counts of what the principal may see in it."""
    with catalogue.session() as s:
        return _fonds_public(s, s.get_one(Fonds, fonds_id), principal, see_disposed)


def list_fonds(catalogue: Catalogue, principal: Principal, see_disposed: bool, *, page: int,
               size: int) -> tuple[int, list[dict[str, Any]]]:
    with catalogue.session() as s:
        where = access.visible_fonds(principal, see_disposed=see_disposed)
        total = s.execute(sa.select(sa.func.count()).select_from(Fonds).where(where)).scalar_one()
        rows = s.execute(sa.select(Fonds).where(where).order_by(Fonds.organ_id, Fonds.id)
                         .offset((page - 1) * size).limit(size)).scalars().all()
        return int(total), [_fonds_public(s, f, principal, see_disposed) for f in rows]


def fonds_of_agency(catalogue: Catalogue, organ_id: str) -> str | None:
    """The id of agency ``organ_id``'s fonds, if there is one."""
    with catalogue.session() as s:
        return s.execute(sa.select(Fonds.id).where(Fonds.organ_id == organ_id)).scalar()


def agency_name(catalogue: Catalogue, organ_id: str) -> str | None:
    """The name of agency ``organ_id``'s fonds, if there is one."""
    with catalogue.session() as s:
        return s.execute(sa.select(Fonds.name).where(Fonds.organ_id == organ_id)).scalar()


def list_dossiers(catalogue: Catalogue, principal: Principal, see_disposed: bool, *, fonds_id: str | None,
                  year: int | None, status: str | None, text: str | None, page: int,
                  size: int) -> tuple[int, list[dict[str, Any]]]:
    """``text``: lower-case NFC words the title contains."""
    where = [access.visible_dossiers(principal, see_disposed=see_disposed)]
    if fonds_id:
        where.append(Dossier.fonds_id == fonds_id)
    if year is not None:
        where.append(Dossier.year == year)
    if status:
        where.append(Dossier.status == status)
    if text:
        where.append(sa.func.lower(Dossier.title).contains(text, autoescape=True))
    with catalogue.session() as s:
        total = s.execute(sa.select(sa.func.count()).select_from(Dossier).where(*where)).scalar_one()
        rows = s.execute(sa.select(Dossier).where(*where).order_by(Dossier.year.desc(), Dossier.code)
                         .offset((page - 1) * size).limit(size)).scalars().all()
        return int(total), [dossier_summary(d) for d in rows]


def dossier_records(catalogue: Catalogue, principal: Principal, see_disposed: bool, dossier_id: str, *, page: int,
                    size: int) -> tuple[int, list[dict[str, Any]]]:
    where = [Record.dossier_id == dossier_id, access.readable_records(principal, see_disposed=see_disposed)]
    with catalogue.session() as s:
        total = s.execute(sa.select(sa.func.count()).select_from(Record).where(*where)).scalar_one()
        rows = s.execute(sa.select(Record).where(*where).order_by(*DOSSIER_ORDER)
                         .offset((page - 1) * size).limit(size)).scalars().all()
        items = [{"id": r.id, "doc_ordinal": r.doc_ordinal, "type_name": r.type_name, "so_ky_hieu": r.so_ky_hieu,
                  "issued_date": _iso(r.issued_date), "organ_name": r.organ_name, "subject": r.subject,
                  "access_level": r.access_level, "status": r.status, "created_at": r.created_at.isoformat()}
                 for r in rows]
    return int(total), items
