"""Resolve what people type to the catalogue row it names.

People know a dossier by its mã hồ sơ (``000.00.00.H26.2012.03.VP``), a fonds by its agency code
(mã định danh ``000.00.00.H26``) or name, a record by its số và ký hiệu (``45/QĐ-UBND``), a disposal
batch by its number (``3/2026``) and every row by the short id a table showed them (the first 8
characters). Systems use ids. Every command
and route that names a record, dossier or fonds resolves the name here, so a code is never stored
where an id belongs (a hold "by code" that matched nothing let a held dossier be destroyed).

* An exact id always wins.
* Otherwise the codes are tried; a code that names several rows is an ``AmbiguousReference``
  listing the candidates (never a guess), and one that names none is a ``ReferenceNotFound``.
* A unique id prefix of at least 8 characters is accepted (what the tables print).

Codes are compared after NFC normalisation and without regard to case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.models import Dossier, Fonds, Record
from archive.catalogue.retention_tables import DisposalBatch
from archive.errors import ArchiveError, RecordNotFound

MIN_PREFIX = 8
"""Shortest id prefix accepted (tables print the first 8 characters of an id)."""
_ID_PREFIX = re.compile(rf"^[0-9a-fA-F-]{{{MIN_PREFIX},36}}$")
KINDS_VI = {"record": "văn bản", "dossier": "hồ sơ", "fonds": "phông", "batch": "đợt hủy"}
MODELS: dict[str, Any] = {"record": Record, "dossier": Dossier, "fonds": Fonds, "batch": DisposalBatch}
MAX_CANDIDATES = 10


class ReferenceNotFound(RecordNotFound):
    """Nothing in the catalogue has this id or code."""

    code = "not_found"

    def __init__(self, kind: str, ref: str):
        super().__init__(f"no {kind} with id or code {ref!r}",
                         f"Không tìm thấy {KINDS_VI.get(kind, kind)} có mã «{ref}»")
        self.kind, self.ref = kind, ref


class AmbiguousReference(ArchiveError):
    """A code names several rows: the caller must say which (the candidates are listed)."""

    code = "ambiguous_reference"

    def __init__(self, kind: str, ref: str, candidates: Sequence[dict[str, Any]]):
        listed = "; ".join(_describe(c) for c in candidates[:MAX_CANDIDATES])
        super().__init__(f"{len(candidates)} {kind}s match {ref!r}; give one of their ids: {listed}",
                         f"Có {len(candidates)} {KINDS_VI.get(kind, kind)} ứng với «{ref}», hãy chọn một "
                         f"theo mã: {listed}")
        self.kind, self.ref, self.candidates = kind, ref, list(candidates)


def _describe(c: dict[str, Any]) -> str:
    label = " — ".join(str(v) for k, v in c.items() if k != "id" and v)
    return f"{c['id']} ({label})" if label else c["id"]


def norm(text: str) -> str:
    """The form codes are compared in: NFC, trimmed, case folded."""
    return unicodedata.normalize("NFC", text).strip().casefold()


def _skh_number_and_notation(ref: str) -> tuple[str, str] | None:
    number, sep, notation = ref.partition("/")
    return (number.strip(), notation.strip()) if sep and number.strip() and notation.strip() else None


def _id_candidates(s: Session, model: Any, ref: str) -> list[Any]:
    row = s.get(model, ref)
    if row is not None:
        return [row]
    if _ID_PREFIX.match(ref):
        return list(s.execute(sa.select(model).where(model.id.startswith(ref.lower(), autoescape=True))
                              .order_by(model.id).limit(MAX_CANDIDATES + 1)).scalars())
    return []


def _code_candidates(s: Session, kind: str, ref: str) -> list[Any]:
    key = norm(ref)
    q: sa.Select[Any]
    rows: list[Any]
    if kind == "dossier":
        q = sa.select(Dossier).where(sa.or_(sa.func.lower(Dossier.code) == key,
                                            sa.func.lower(Dossier.archive_code) == key))
    elif kind == "fonds":
        q = sa.select(Fonds).where(sa.or_(sa.func.lower(Fonds.organ_id) == key, sa.func.lower(Fonds.name) == key))
    elif kind == "batch":  # số đợt hủy: 3/2026, or 3-2026 where a "/" cannot go (a URL path segment)
        m = re.fullmatch(r"\s*(\d{1,9})\s*[/-]\s*(\d{4})\s*", ref)
        if m is None:
            return []
        return list(s.execute(sa.select(DisposalBatch).where(DisposalBatch.seq == int(m.group(1)),
                                                             DisposalBatch.year == int(m.group(2)))).scalars())
    else:
        parts = _skh_number_and_notation(ref)
        if parts is None:
            return []
        number, notation = parts
        # lower() in SQL does not fold Vietnamese capitals on SQLite: compare number in SQL, the
        # notation (the part with letters) in Python.
        q = sa.select(Record).where(Record.code_number == number, Record.status != "disposed")
        rows = [r for r in s.execute(q.order_by(Record.issued_date, Record.id)).scalars()
                if r.code_notation and norm(r.code_notation) == norm(notation)]
        return rows
    rows = list(s.execute(q.order_by(MODELS[kind].id)).scalars())
    if kind == "fonds" and not rows:
        rows = [f for f in s.execute(sa.select(Fonds).order_by(Fonds.id)).scalars() if norm(f.name) == key]
    return rows


def candidate(kind: str, row: Any) -> dict[str, Any]:
    """How a row is shown when a reference is ambiguous."""
    if kind == "record":
        return {"id": row.id, "so_ky_hieu": row.so_ky_hieu,
                "issued_date": row.issued_date.strftime("%d/%m/%Y") if row.issued_date else None,
                "subject": (row.subject or "")[:80] or None}
    if kind == "dossier":
        return {"id": row.id, "code": row.code, "title": (row.title or "")[:80]}
    if kind == "batch":
        return {"id": row.id, "title": (row.title or "")[:80], "state": row.state}
    return {"id": row.id, "organ_id": row.organ_id, "name": row.name}


def matches(s: Session, kind: str, ref: str) -> list[Any]:
    """Every row of ``kind`` (record, dossier or fonds) that ``ref`` may name: the row with that
    id; else the rows with that code; else those whose id starts with it. A caller that trims by
    access filters this list before deciding (so a candidate it may not see is never named)."""
    if kind not in MODELS:
        raise ValueError(f"unknown kind {kind!r}")
    ref = unicodedata.normalize("NFC", str(ref or "")).strip()
    if not ref or len(ref) > 200 or "\x00" in ref:  # no id or code holds NUL (PostgreSQL refuses it in text)
        return []
    rows = _id_candidates(s, MODELS[kind], ref)
    if len(rows) == 1 and rows[0].id == ref:
        return rows
    return _code_candidates(s, kind, ref) or rows


def pick(kind: str, ref: str, rows: Sequence[Any]) -> Any:
    """The one row of ``rows``, or the error a person should see."""
    if not rows:
        raise ReferenceNotFound(kind, str(ref).strip())
    if len(rows) > 1:
        raise AmbiguousReference(kind, str(ref).strip(), [candidate(kind, r) for r in rows])
    return rows[0]


def resolve(s: Session, kind: str, ref: str) -> Any:
    """The row of ``kind`` that ``ref`` names: an id, a code or a unique id prefix. Raises
    ``ReferenceNotFound`` or ``AmbiguousReference``."""
    return pick(kind, ref, matches(s, kind, ref))


def resolve_id(s: Session, kind: str, ref: str) -> str:
    found: str = resolve(s, kind, ref).id  # every kind's model has a string id
    return found


def resolve_ids(s: Session, kind: str, refs: Iterable[str]) -> list[str]:
    """Ids for every reference, in order, duplicates removed. Every unknown or ambiguous reference
    is reported in one error, so a list with one typo stores nothing."""
    ids: list[str] = []
    missing: list[str] = []
    ambiguous: list[AmbiguousReference] = []
    for ref in refs:
        try:
            ids.append(resolve_id(s, kind, ref))
        except ReferenceNotFound:
            missing.append(str(ref).strip())
        except AmbiguousReference as exc:
            ambiguous.append(exc)
    if ambiguous:
        raise ambiguous[0]
    if missing:
        err = ReferenceNotFound(kind, ", ".join(missing))
        err.refs = missing  # type: ignore[attr-defined]
        raise err
    return list(dict.fromkeys(ids))
