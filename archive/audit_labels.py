"""Audit entries as people read them: who by name and title, what by the code people know.

The log itself (``archive.audit``) records accounts (``user:lan.nguyen``) and ids, which never
change and are hash-chained; a reader wants "Trần Thị Bình (Chuyên viên lưu trữ)" and "hồ sơ
000.00.00.H40.2012.01.VP", "đợt hủy 1/2026", "văn bản 34/QĐ-UBND". :func:`label` adds, to entries
as :func:`archive.audit.query` returns them, ``actor_name`` (full name and title of the account,
or the actor itself for systems and clients) and ``target_label`` (the target's type in Vietnamese
and its code, or its short id when it has none) — looked up now, outside the chain.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.access_tables import ApiClient, User
from archive.catalogue.db import Catalogue
from archive.catalogue.models import Dossier, Fonds, Record
from archive.catalogue.retention_tables import DisposalBatch

KINDS_VI = {"record": "văn bản", "dossier": "hồ sơ", "fonds": "phông", "disposal_batch": "đợt hủy",
            "batch": "đợt hủy", "user": "tài khoản", "client": "hệ thống kết nối", "hold": "phong tỏa",
            "schedule": "bảng thời hạn", "rule": "quy tắc"}


def person_label(full_name: str | None, title: str | None) -> str:
    return (full_name or "") + (f" ({title})" if title else "")


def _codes(s: Session, kind: str, ids: list[str]) -> dict[str, str]:
    if kind == "record":
        rows = s.execute(sa.select(Record).where(Record.id.in_(ids))).scalars()
        return {r.id: r.so_ky_hieu or f"{r.type_name or 'văn bản'} {r.id[:8]}" for r in rows}
    if kind == "dossier":
        return dict(s.execute(sa.select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids))).all())
    if kind == "fonds":
        return {i: f"{o} {n}" for i, o, n in s.execute(sa.select(Fonds.id, Fonds.organ_id, Fonds.name)
                                                        .where(Fonds.id.in_(ids))).all()}
    if kind in ("disposal_batch", "batch"):
        return {i: f"{q}/{y}" for i, q, y in s.execute(sa.select(DisposalBatch.id, DisposalBatch.seq,
                                                                 DisposalBatch.year).where(DisposalBatch.id.in_(ids)))}
    if kind == "user":
        users = s.execute(sa.select(User).where(sa.or_(User.id.in_(ids), User.username.in_(ids)))).scalars()
        out = {}
        for u in users:
            out[u.id] = out[u.username] = f"{u.username} — {person_label(u.full_name, u.title)}"
        return out
    if kind == "client":
        clients = s.execute(sa.select(ApiClient.id, ApiClient.name).where(
            sa.or_(ApiClient.id.in_(ids), ApiClient.name.in_(ids)))).all()
        return {k: n for i, n in clients for k in (i, n)}
    return {}


def actor_names(s: Session, actors: list[str]) -> dict[str, str]:
    """How people read each actor they know of: ``user:…`` → full name and title; ``client:…`` →
    "hệ thống kết nối" with its name and description. Actors of accounts the catalogue does not
    know (deleted, or of another archive) and of the software are left out: show the actor."""
    users = sorted({a.removeprefix("user:") for a in actors if a.startswith("user:")})
    clients = sorted({a.removeprefix("client:") for a in actors if a.startswith("client:")})
    out = {f"user:{u.username}": person_label(u.full_name, u.title)
           for u in (s.execute(sa.select(User).where(User.username.in_(users))).scalars() if users else [])}
    for name, description in (s.execute(sa.select(ApiClient.name, ApiClient.description)
                                        .where(ApiClient.name.in_(clients))).all() if clients else []):
        out[f"client:{name}"] = f"{KINDS_VI['client'].capitalize()} {name}" + (f" — {description}" if description else "")
    return out


def label(s: Session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` with ``actor_name`` and ``target_label`` added (in place; also returned)."""
    people = actor_names(s, sorted({e["actor"] for e in entries if (e.get("actor") or "").startswith("user:")}))
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        if e.get("target_type") and e.get("target_id"):
            wanted[e["target_type"]].add(e["target_id"])
    codes = {kind: _codes(s, kind, sorted(ids)) for kind, ids in wanted.items()}
    for e in entries:
        e["actor_name"] = people.get(e.get("actor") or "", e.get("actor"))
        kind, tid = e.get("target_type"), e.get("target_id")
        if not kind:
            e["target_label"] = None
            continue
        code = codes.get(kind, {}).get(tid) if tid else None
        e["target_label"] = f"{KINDS_VI.get(kind, kind)} {code or (tid or '')[:8]}".strip()
    return entries


def labelled_entries(catalogue: Catalogue, *, limit: int, before: int | None = None,
                     **filters: Any) -> list[dict[str, Any]]:
    """``archive.audit.query`` over ``catalogue`` (newest first, ids below ``before``), labelled:
    what the audit routes and pages read, in one session of its own."""
    from archive import audit

    with catalogue.session() as s:
        return label(s, audit.query(s, **filters, before=before, limit=limit))
