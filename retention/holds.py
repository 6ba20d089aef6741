"""Legal holds (lệnh phong tỏa): while active, nothing in their scope may be destroyed.

A hold's scope is a list of records, a list of dossiers, or a saved query (rule criteria, see
``retention.policy.Criteria``). :class:`HoldGuard` answers "which of these records are held?" inside
the caller's transaction; the kernel's destruction asks it again inside the destruction
transaction (``archive.disposal.DestructionGuard``), so a hold placed at any moment before that
commit stops the destruction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit, identifiers
from archive.catalogue.models import Dossier, Record
from archive.catalogue.retention_tables import RetentionHold
from retention.policy import Criteria, PolicyError

SCOPES = ("records", "dossiers", "query")


def place(s: Session, *, authority: str, reason: str, scope_type: str, scope: Mapping[str, Any], actor: str,
          at: datetime) -> str:
    if scope_type not in SCOPES:
        raise PolicyError(f"hold scope must be one of {SCOPES}", "Phạm vi phong tỏa phải là records, dossiers hoặc query")
    if not authority.strip() or not reason.strip():
        raise PolicyError("a hold needs an authority and a reason", "Lệnh phong tỏa phải ghi rõ cơ quan yêu cầu và lý do")
    if scope_type == "query":
        Criteria.from_dict(scope)
    elif not scope.get("ids"):
        raise PolicyError("a hold on records or dossiers needs ids", "Lệnh phong tỏa phải nêu mã văn bản hoặc hồ sơ")
    else:
        # What people type (a mã hồ sơ, a số ký hiệu, a short id) is resolved to ids now: a hold
        # stores what it protects, and one naming something that does not exist is refused.
        refs = [str(r).strip() for r in scope["ids"] if str(r).strip()]
        kind = "record" if scope_type == "records" else "dossier"
        ids = identifiers.resolve_ids(s, kind, refs)
        scope = {**scope, "ids": ids, **({"refs": refs} if refs != ids else {})}
    hold = RetentionHold(id=str(uuid.uuid4()), authority=authority, reason=reason, scope_type=scope_type,
                         scope=dict(scope), placed_at=at, placed_by=actor)
    s.add(hold)
    audit.append(s, at=at, actor=actor, action="retention.hold.place", target_type="hold", target_id=hold.id,
                 detail={"authority": authority, "reason": reason, "scope_type": scope_type, "scope": dict(scope)})
    return hold.id


def release(s: Session, hold_id: str, *, reason: str, actor: str, at: datetime) -> RetentionHold:
    hold = s.get(RetentionHold, hold_id)
    if hold is None or hold.released_at is not None:
        raise PolicyError(f"no active hold {hold_id}", f"Không có lệnh phong tỏa đang hiệu lực mã {hold_id}")
    if not reason.strip():
        raise PolicyError("releasing a hold needs a reason", "Giải tỏa phải ghi rõ lý do")
    hold.released_at, hold.released_by, hold.release_reason = at, actor, reason
    audit.append(s, at=at, actor=actor, action="retention.hold.release", target_type="hold", target_id=hold_id,
                 detail={"reason": reason})
    return hold


def active(s: Session) -> list[RetentionHold]:
    return list(s.execute(sa.select(RetentionHold).where(RetentionHold.released_at.is_(None))).scalars())


def record_fields(rec: Record, dossier: Dossier | None) -> dict[str, Any]:
    """The fields criteria match on, for a catalogue record (and its dossier)."""
    return {"record_id": rec.id, "type_name": rec.type_name, "subject": rec.subject, "fonds_id": rec.fonds_id,
            "dossier_id": rec.dossier_id, "dossier_notation": dossier.notation if dossier else None,
            "dossier_title": dossier.title if dossier else None, "issued_date": rec.issued_date,
            "series": (rec.extra or {}).get("series") if isinstance(rec.extra, dict) else None}


def dossier_fields(d: Dossier) -> dict[str, Any]:
    return {"dossier_id": d.id, "fonds_id": d.fonds_id, "dossier_notation": d.notation, "title": d.title,
            "end_date": d.end_date, "start_date": d.start_date}


def _scope_keys(hold: RetentionHold) -> set[str]:
    """The ids a record or dossier hold names, and — for holds stored before references were
    resolved, which kept a mã hồ sơ where an id belongs — those values as codes (normalised), so
    such a hold still protects its dossier."""
    ids = {str(i) for i in (hold.scope or {}).get("ids") or []}
    return ids | {identifiers.norm(i) for i in ids}


class HoldGuard:
    """Implements ``archive.disposal.DestructionGuard`` from the holds table."""

    def held(self, session: Session, record_ids: Sequence[str]) -> dict[str, list[str]]:
        holds = active(session)
        if not holds or not record_ids:
            return {}
        out: dict[str, list[str]] = {}
        rows = session.execute(sa.select(Record, Dossier).outerjoin(Dossier, Dossier.id == Record.dossier_id)
                               .where(Record.id.in_(list(record_ids)))).all()
        for rec, dossier in rows:
            fields = record_fields(rec, dossier)
            for h in holds:
                ids = _scope_keys(h)
                if ((h.scope_type == "records" and rec.id in ids)
                        or (h.scope_type == "dossiers" and dossier is not None
                            and (dossier.id in ids or identifiers.norm(dossier.code) in ids))
                        or (h.scope_type == "query" and Criteria.from_dict(h.scope).matches(fields))):
                    out.setdefault(rec.id, []).append(h.id)
        return out

    def held_dossiers(self, session: Session, dossiers: Sequence[Dossier]) -> dict[str, list[str]]:
        """Dossiers held directly, through one of their records, or by a query on the dossier or its
        records."""
        holds = active(session)
        if not holds or not dossiers:
            return {}
        out: dict[str, list[str]] = {}
        by_id = {d.id: d for d in dossiers}
        for h in holds:
            ids = _scope_keys(h)
            if h.scope_type == "dossiers":
                for d in dossiers:
                    if d.id in ids or identifiers.norm(d.code) in ids:
                        out.setdefault(d.id, []).append(h.id)
            elif h.scope_type == "records" and ids:
                for (did,) in session.execute(sa.select(Record.dossier_id).where(Record.id.in_(list(ids)))).all():
                    if did in by_id:
                        out.setdefault(did, []).append(h.id)
            elif h.scope_type == "query":
                crit = Criteria.from_dict(h.scope)
                for d in dossiers:
                    if crit.matches(dossier_fields(d)):
                        out.setdefault(d.id, []).append(h.id)
                        continue
                    recs = session.execute(sa.select(Record).where(Record.dossier_id == d.id)).scalars()
                    if any(crit.matches(record_fields(r, d)) for r in recs):
                        out.setdefault(d.id, []).append(h.id)
        return out
