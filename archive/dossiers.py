"""Fonds and dossiers as archivists keep them (``DossierService``): creation with the Decree 30
fields (``archive.dossier_fields``), the lifecycle (open → closed → reopened with a reason),
edits audited with old and new values, and filing records into dossiers.

What a dossier's state means, how its dates and totals follow its records and how retention is
re-evaluated at the same commit, and the order locks are taken in: ``archive.dossier_state``.
Methods take ids: entry points (CLI, API) resolve what people type (``archive.identifiers``) and
apply their own access rules first.
"""

from __future__ import annotations

import builtins
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from archive import audit, identifiers
from archive.catalogue.models import Dossier, Event, Fonds, OutboxEntry, Record
from archive.domain import AGENCY_ID
from archive.dossier_fields import (
    CONTROL,
    STATUS_VI,
    InvalidDossier,
    Problem,
    clean,
    code_for,
    fmt_date,
    parse_code,
)
from archive.dossier_state import (
    VN_TZ,
    DossierClosed,
    DossierLocked,
    check_accepts_records,
    check_changeable,
    in_running_batch,
    lock_dossiers,
    next_ordinal,
    touch,
)
from archive.dossier_state import serialise as _serialise
from archive.errors import ArchiveError, RecordNotFound

if TYPE_CHECKING:
    from archive.service import ArchiveService

__all__ = ["Conflict", "DossierClosed", "DossierLocked", "DossierService", "FilingRefused", "dossier_dict"]

INDEX_CHUNK = 1000


class FilingRefused(ArchiveError):
    """A record cannot be filed (destroyed, being destroyed)."""

    code = "filing_refused"


class Conflict(ArchiveError):
    code = "conflict"


def _nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


@overload
def _reason(reason: str | None, *, required: Literal[True], what_vi: str) -> str: ...
@overload
def _reason(reason: str | None, *, required: bool, what_vi: str) -> str | None: ...
def _reason(reason: str | None, *, required: bool, what_vi: str) -> str | None:
    text = _nfc(reason)
    if not text:
        if required:
            raise InvalidDossier([Problem("reason", f"Cần ghi lý do {what_vi}", "a reason is required")])
        return None
    if len(text) > 500 or CONTROL.search(text):
        raise InvalidDossier([Problem("reason", "Lý do tối đa 500 ký tự, không có ký tự điều khiển",
                                      "the reason is at most 500 characters, without control characters")])
    return text


FONDS_EDITABLE = ("name", "superior_name", "place", "description")
"""What of a fonds may be changed: its descriptive fields, never its agency code (its identity)."""
_FONDS_LIMITS = {"name": (200, "Tên phông (tên cơ quan)"), "superior_name": (200, "Tên cơ quan chủ quản"),
                 "place": (100, "Địa danh"), "description": (2000, "Lịch sử đơn vị hình thành phông")}


def _fonds_problems(fields: Mapping[str, Any]) -> list[Problem]:
    """The problems of a fonds' descriptive fields (NFC, stripped; blank optional ones are None)."""
    problems = []
    for key, value in fields.items():
        limit, label = _FONDS_LIMITS[key]
        if key == "name" and not value:
            problems.append(Problem("name", "Tên phông (tên cơ quan) bắt buộc, tối đa 200 ký tự",
                                    "the name is required, at most 200 characters"))
            continue
        if value is None:
            continue
        text = value.replace("\n", "").replace("\r", "") if key == "description" else value
        if not isinstance(value, str) or len(value) > limit or CONTROL.search(text):
            problems.append(Problem(key, f"{label} tối đa {limit} ký tự, không có ký tự điều khiển",
                                    f"{key} is at most {limit} characters, without control characters"))
    return problems


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class DossierService:
    """Fonds and dossiers for the CLI and the API. Methods take ids: entry points resolve what
    people type (``archive.identifiers``) and apply their own access rules first."""

    def __init__(self, archive: ArchiveService):
        self.archive = archive
        self.catalogue = archive.catalogue

    def _now(self) -> datetime:
        return self.archive.clock.now()

    # fonds ----------------------------------------------------------------------------------------
    def create_fonds(self, organ_id: str, name: str, *, description: str | None = None, place: str | None = None,
                     superior_name: str | None = None, actor: str) -> str:
        """A new fonds for an agency code (``Conflict`` if the agency has one), with the place and the
        superior agency printed in the documents issued in its name (the Biên bản hủy tài liệu)."""
        organ_id, name, description = _nfc(organ_id), _nfc(name), _nfc(description) or None
        place, superior_name = _nfc(place) or None, _nfc(superior_name) or None
        problems = _fonds_problems({"name": name, "description": description, "place": place,
                                    "superior_name": superior_name})
        if not AGENCY_ID.match(organ_id):
            problems.append(Problem("organ_id", f"Mã định danh cơ quan «{organ_id}» không đúng dạng 000.00.00.H26",
                                    f"{organ_id!r} is not of the form 000.00.00.H26"))
        if problems:
            raise InvalidDossier(problems, of=("fonds", "phông"))
        now = self._now()
        try:
            with self.catalogue.session() as s:
                _serialise(s)
                exists = s.execute(sa.select(Fonds.id).where(Fonds.organ_id == organ_id)).scalar()
                if exists:
                    raise Conflict(f"a fonds with agency code {organ_id} exists ({exists})",
                                   f"Đã có phông của cơ quan mã {organ_id}")
                fonds = Fonds(id=str(uuid.uuid4()), organ_id=organ_id, name=name, description=description,
                              place=place, superior_name=superior_name, created_at=now)
                s.add(fonds)
                audit.append(s, at=now, actor=actor, action="fonds.create", target_type="fonds", target_id=fonds.id,
                             detail={"organ_id": organ_id, "name": name,
                                     **{k: v for k, v in (("place", place), ("superior_name", superior_name)) if v}})
                return fonds.id
        except DBIntegrityError:
            raise Conflict(f"a fonds with agency code {organ_id} exists", f"Đã có phông của cơ quan mã {organ_id}") from None

    def edit_fonds(self, fonds_id: str, changes: Mapping[str, Any], *, reason: str | None,
                   actor: str) -> dict[str, Any]:
        """Change the descriptive fields of a fonds (``FONDS_EDITABLE``: only those given; ``None`` or
        blank clears an optional one; the name is required). The agency code is its identity (the
        mã hồ sơ of its dossiers and the records' metadata carry it) and is never changed here.
        Audited with the old and new values. Returns ``{"changes": {field: [old, new]}}``."""
        reason = _reason(reason, required=False, what_vi="sửa phông")
        unknown = sorted(set(changes) - set(FONDS_EDITABLE))
        if unknown:
            raise InvalidDossier([Problem(k, f"Không sửa được trường «{k}» của phông (chỉ: {', '.join(FONDS_EDITABLE)})",
                                          f"{k} cannot be changed") for k in unknown], of=("fonds", "phông"))
        fields = {k: (_nfc(v) if isinstance(v, str) else v) for k, v in changes.items()}
        fields = {k: (v or None) if k != "name" else (v or "") for k, v in fields.items()}
        problems = _fonds_problems(fields)
        if problems:
            raise InvalidDossier(problems, of=("fonds", "phông"))
        now = self._now()
        with self.catalogue.session() as s:
            _serialise(s)
            f = s.get(Fonds, fonds_id, with_for_update=True)
            if f is None:
                raise RecordNotFound(f"no fonds {fonds_id}", f"Không có phông {fonds_id}")
            diff = {k: [getattr(f, k), v] for k, v in fields.items() if getattr(f, k) != v}
            out = {"fonds_id": f.id, "organ_id": f.organ_id, "changes": diff}
            if not diff:
                return out
            for k, (_old, new) in diff.items():
                setattr(f, k, new)
            audit.append(s, at=now, actor=actor, action="fonds.edit", target_type="fonds", target_id=f.id,
                         detail={"organ_id": f.organ_id, "changes": diff, "reason": reason})
            return out

    # dossiers -------------------------------------------------------------------------------------
    def create(self, fonds_id: str, values: Mapping[str, Any], *, actor: str, status: str = "open") -> str:
        """A new dossier in the fonds: ``values`` has year, notation, title and any other field of
        ``dossier_fields`` (validated all at once). ``Conflict`` when the mã hồ sơ is taken."""
        missing = [Problem(k, f"Thiếu {label}", f"{k} is required")
                   for k, label in (("year", "năm hình thành hồ sơ"), ("notation", "số và ký hiệu hồ sơ"),
                                    ("title", "tiêu đề hồ sơ")) if values.get(k) in (None, "")]
        absent = {p.field for p in missing}
        try:
            fields = clean({k: v for k, v in values.items() if v is not None and k not in absent},
                           today=self._now().date())
        except InvalidDossier as exc:
            raise InvalidDossier(missing + exc.problems) from None
        if missing:
            raise InvalidDossier(missing)
        if status not in ("open", "closed"):
            raise InvalidDossier([Problem("status", "Hồ sơ mới phải ở trạng thái đang lập hoặc đã kết thúc",
                                          "status must be open or closed")])
        now = self._now()
        try:
            with self.catalogue.session() as s:
                _serialise(s)
                fonds = s.get(Fonds, fonds_id)
                if fonds is None:
                    raise RecordNotFound(f"no fonds {fonds_id}", f"Không có phông {fonds_id}")
                code = code_for(fonds.organ_id, fields["year"], fields["notation"])
                self._free(s, code)
                start, end = fields.pop("start_date", None), fields.pop("end_date", None)
                d = Dossier(id=str(uuid.uuid4()), fonds_id=fonds.id, code=code, status=status,
                            declared_start_date=start, declared_end_date=end, start_date=start, end_date=end,
                            doc_total=0, page_total=0, closed_at=now if status == "closed" else None,
                            created_at=now, **fields)
                s.add(d)
                s.flush()
                audit.append(s, at=now, actor=actor, action="dossier.create", target_type="dossier", target_id=d.id,
                             detail={"code": code, "status": status,
                                     **{k: _json(v) for k, v in {**fields, "start_date": start, "end_date": end}.items()
                                        if v is not None}})
                return d.id
        except DBIntegrityError:
            raise Conflict("the dossier exists", "Hồ sơ với mã này đã có") from None

    @staticmethod
    def _free(s: Session, code: str, *, but: str | None = None) -> None:
        q = sa.select(Dossier.id).where(sa.func.lower(Dossier.code) == code.lower())
        if but:
            q = q.where(Dossier.id != but)
        if s.execute(q).scalar():
            raise Conflict(f"dossier {code} exists", f"Đã có hồ sơ mã {code}")

    def edit(self, dossier_id: str, changes: Mapping[str, Any], *, reason: str | None, actor: str) -> dict[str, Any]:
        """Change fields of a dossier (only those given; ``None`` clears an optional one, and for the
        dates returns them to the documents'). A new year or notation gives a new mã hồ sơ. Every
        change is audited with the old and new values; the records are re-indexed when the code or
        title they are found by changes. Returns ``{"changes": {field: [old, new]}}``."""
        reason = _reason(reason, required=False, what_vi="sửa hồ sơ")
        now = self._now()
        with self.catalogue.session() as s:
            _serialise(s)
            d = lock_dossiers(s, [dossier_id]).get(dossier_id)
            if d is None:
                raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
            check_changeable(s, d)
            declared = {"start_date": d.declared_start_date, "end_date": d.declared_end_date}
            fields = clean(changes, declared=declared, today=now.date())
            current = {**{k: getattr(d, k) for k in fields if k not in declared}, **declared}
            diff = {k: [_json(current[k]), _json(v)] for k, v in fields.items() if current[k] != v}
            if not diff:
                return {"dossier_id": d.id, "code": d.code, "changes": {}}
            old_code = new_code = d.code
            if "year" in diff or "notation" in diff:
                fonds = s.get(Fonds, d.fonds_id)
                assert fonds is not None  # dossiers.fonds_id is a non-null foreign key
                new_code = code_for(fonds.organ_id, fields.get("year", d.year), fields.get("notation", d.notation))
                self._free(s, new_code, but=d.id)
            for k, v in fields.items():
                setattr(d, {"start_date": "declared_start_date", "end_date": "declared_end_date"}.get(k, k), v)
            d.code = new_code
            if "start_date" in diff or "end_date" in diff:
                touch(s, d.id)
            audit.append(s, at=now, actor=actor, action="dossier.edit", target_type="dossier", target_id=d.id,
                         detail={"code": d.code, "previous_code": old_code if old_code != d.code else None,
                                 "changes": diff, "reason": reason})
            ids: list[int] = []
            if {"title", "year", "notation"} & set(diff):
                ids = self._reindex(s, d.id, now)
            out = {"dossier_id": d.id, "code": d.code, "changes": diff}
        self.archive.run_post_commit(ids)
        return out

    def _reindex(self, s: Session, dossier_id: str, now: datetime) -> list[int]:
        rids = list(s.execute(sa.select(Record.id).where(Record.dossier_id == dossier_id, Record.status != "disposed")
                              .order_by(Record.id)).scalars())
        rows = [OutboxEntry(kind="index", payload={"record_ids": rids[i:i + INDEX_CHUNK]}, created_at=now)
                for i in range(0, len(rids), INDEX_CHUNK)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]

    def close(self, dossier_id: str, *, reason: str | None, actor: str) -> dict[str, Any]:
        """Kết thúc hồ sơ: it takes no record until reopened. Audited with the reason, if given."""
        reason = _reason(reason, required=False, what_vi="kết thúc hồ sơ")
        with self.catalogue.session() as s:
            _serialise(s)
            d = self._locked(s, dossier_id)
            now = self._now()  # after the locks: every record committed before it was created before it
            if d.status == "disposed":
                check_changeable(s, d)
            if d.status == "closed":
                raise DossierClosed(f"dossier {d.code} is already closed",
                                    f"Hồ sơ {d.code} đã kết thúc (đóng) từ {d.closed_at.astimezone(VN_TZ):%d/%m/%Y}"
                                    if d.closed_at else f"Hồ sơ {d.code} đã kết thúc (đóng)")
            d.status, d.closed_at = "closed", now
            audit.append(s, at=now, actor=actor, action="dossier.close", target_type="dossier", target_id=d.id,
                         detail={"code": d.code, "reason": reason, "doc_total": d.doc_total})
            return {"dossier_id": d.id, "code": d.code, "status": d.status}

    def reopen(self, dossier_id: str, *, reason: str, actor: str) -> dict[str, Any]:
        """Mở lại hồ sơ đã kết thúc: needs a reason (audited)."""
        reason = _reason(reason, required=True, what_vi="mở lại hồ sơ đã kết thúc")
        with self.catalogue.session() as s:
            _serialise(s)
            d = self._locked(s, dossier_id)
            now = self._now()
            check_changeable(s, d)
            if d.status != "closed":
                raise Conflict(f"dossier {d.code} is not closed", f"Hồ sơ {d.code} đang lập (chưa đóng), không cần mở lại")
            closed_at = d.closed_at
            d.status, d.closed_at = "open", None
            audit.append(s, at=now, actor=actor, action="dossier.reopen", target_type="dossier", target_id=d.id,
                         detail={"code": d.code, "reason": reason, "closed_at": _json(closed_at)})
            return {"dossier_id": d.id, "code": d.code, "status": d.status}

    def _locked(self, s: Session, dossier_id: str) -> Dossier:
        d = lock_dossiers(s, [dossier_id]).get(dossier_id)
        if d is None:
            raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
        return d

    def check_accepts_records(self, dossier_id: str) -> Dossier:
        """The dossier, if records may be filed into it now (entry points check before touching
        any file); ``DossierClosed``/``DossierLocked`` otherwise. Checked again at the store."""
        with self.catalogue.session() as s:
            d = s.get(Dossier, dossier_id)
            if d is None:
                raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
            check_accepts_records(s, d)
            s.expunge(d)
            return d

    # filing ---------------------------------------------------------------------------------------
    def file(self, record_ids: Sequence[str], dossier_id: str, *, reason: str, actor: str) -> dict[str, Any]:
        """Lập hồ sơ: move unfiled or misfiled records into the dossier, with a reason.

        All or nothing: every record and every dossier involved is checked first (the target and
        each source dossier must be open and changeable; a destroyed record is refused). The
        records take the dossier's fonds and the next ordinals, in order of date of issue; each
        move is a PREMIS event and an audit entry with the reason; the records are re-indexed
        after the commit (dossier and fonds are search filters and access rules), and the
        retention of the old and new dossiers is re-evaluated at the commit (see the module
        docstring). Records already in the dossier are left as they are (``unchanged``)."""
        reason = _reason(reason, required=True, what_vi="lập hồ sơ (chuyển văn bản vào hồ sơ)")
        ids = list(dict.fromkeys(record_ids))
        if not ids:
            raise InvalidDossier([Problem("records", "Chưa nêu văn bản nào", "no record given")])
        now = self._now()
        with self.catalogue.session() as s:
            _serialise(s)
            recs = {r.id: r for r in s.execute(sa.select(Record).where(Record.id.in_(ids))
                                               .execution_options(populate_existing=True)).scalars()}
            missing = [i for i in ids if i not in recs]
            if missing:
                raise RecordNotFound(f"no record {', '.join(missing)}", f"Không tìm thấy văn bản {', '.join(missing)}")
            gone = [r for r in recs.values() if r.status in ("disposed", "disposing")]
            if gone:
                raise FilingRefused(
                    "destroyed records cannot be filed: " + ", ".join(r.id for r in gone),
                    "Văn bản đã hủy hoặc đang hủy không lập hồ sơ được: "
                    + ", ".join(r.so_ky_hieu or r.id[:8] for r in gone))
            dossiers = lock_dossiers(s, {dossier_id, *(r.dossier_id for r in recs.values() if r.dossier_id)})
            target = dossiers.get(dossier_id)
            if target is None:
                raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
            check_accepts_records(s, target)
            moving = [recs[i] for i in ids if recs[i].dossier_id != dossier_id]
            for src_id in {r.dossier_id for r in moving if r.dossier_id}:
                check_accepts_records(s, dossiers[src_id])
            moving.sort(key=lambda r: (r.issued_date or r.created_at.date(), r.created_at, r.id))
            ordinal = next_ordinal(s, dossier_id)
            filed = []
            for r in moving:
                src = dossiers.get(r.dossier_id) if r.dossier_id else None
                r.dossier_id, r.fonds_id, r.doc_ordinal, r.updated_at = target.id, target.fonds_id, ordinal, now
                ordinal += 1
                move = {"from_dossier_id": src.id if src else None, "from_code": src.code if src else None,
                        "to_dossier_id": target.id, "to_code": target.code, "doc_ordinal": r.doc_ordinal,
                        "reason": reason}
                detail = (f"lập hồ sơ: vào hồ sơ {target.code}" + (f" (từ hồ sơ {src.code})" if src else "")
                          + f"; lý do: {reason}")
                s.add(Event(record_id=r.id, event_type="metadata modification", occurred_at=now, agent=actor,
                            outcome="success", detail=detail, data=move))
                audit.append(s, at=now, actor=actor, action="record.file", target_type="record", target_id=r.id,
                             detail=move)
                filed.append({"record_id": r.id, "so_ky_hieu": r.so_ky_hieu, **move})
            outbox = [OutboxEntry(kind="index", payload={"record_ids": [r["record_id"] for r in filed[i:i + INDEX_CHUNK]]},
                                  created_at=now) for i in range(0, len(filed), INDEX_CHUNK)]
            s.add_all(outbox)
            s.flush()
            out_ids = [o.id for o in outbox]
            result = {"dossier_id": target.id, "code": target.code, "filed": filed,
                      "unchanged": [i for i in ids if i not in {f["record_id"] for f in filed}]}
        self.archive.run_post_commit(out_ids)
        return result

    def for_deposit(self, ref: str, *, create: bool = False, title: str | None = None, actor: str) -> Dossier:
        """The dossier a deposit names (mã hồ sơ, id or short id), if it takes records now.

        An unknown reference is a ``ReferenceNotFound``, unless ``create``: then ``ref`` must be a
        mã hồ sơ (``000.00.00.H26.2025.01.TCCB``) whose agency part names an existing fonds, and the
        dossier is created (``title``, else a placeholder saying the title is still to be set).
        Entry points call this before touching any file."""
        with self.catalogue.session() as s:
            rows = identifiers.matches(s, "dossier", ref)
            if rows:
                return self.check_accepts_records(identifiers.pick("dossier", ref, rows).id)
        if not create:
            raise identifiers.ReferenceNotFound("dossier", _nfc(ref))
        organ, year, notation = parse_code(ref)
        with self.catalogue.session() as s:
            fonds_id = s.execute(sa.select(Fonds.id).where(Fonds.organ_id == organ)).scalar()
        if fonds_id is None:
            raise RecordNotFound(f"no fonds with agency code {organ}: create it first",
                                 f"Không có phông của cơ quan mã {organ}: tạo phông trước "
                                 f"(luutru fonds create {organ} --name «tên cơ quan»)")
        values = {"year": year, "notation": notation,
                  "title": title or f"Hồ sơ {notation} năm {year} (chưa đặt tiêu đề)"}
        try:
            return self.check_accepts_records(self.create(fonds_id, values, actor=actor))
        except Conflict:  # created meanwhile by another deposit: use it
            return self.for_deposit(code_for(organ, year, notation), actor=actor)

    def refresh(self, dossier_ids: Sequence[str] | None, *, actor: str) -> int:
        """Recompute the dates and totals of these dossiers (every one when None) from their records,
        and their retention (at the same commit): after an upgrade, or to check. Returns how many."""
        with self.catalogue.session() as s:
            _serialise(s)
            q = sa.select(Dossier.id).where(Dossier.status != "disposed").order_by(Dossier.id)
            ids = list(dossier_ids) if dossier_ids is not None else list(s.execute(q).scalars())
            touch(s, *ids)
            audit.append(s, at=self._now(), actor=actor, action="dossier.refresh", target_type="dossier",
                         target_id=ids[0] if len(ids) == 1 else None, detail={"dossiers": len(ids)})
        return len(ids)

    # reading --------------------------------------------------------------------------------------
    def list(self, *, fonds_id: str | None = None, year: int | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Every dossier (of a fonds, a year, a status), newest year first, by code."""
        with self.catalogue.session() as s:
            q = sa.select(Dossier, Fonds).join(Fonds, Fonds.id == Dossier.fonds_id)
            if fonds_id:
                q = q.where(Dossier.fonds_id == fonds_id)
            if year is not None:
                q = q.where(Dossier.year == year)
            if status:
                q = q.where(Dossier.status == status)
            return [dossier_dict(d, f) for d, f in s.execute(q.order_by(Dossier.year.desc(), Dossier.code))]

    def fonds(self, fonds_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """Fonds (one, or every one) with their numbers of dossiers and records."""
        with self.catalogue.session() as s:
            dossiers = (sa.select(sa.func.count()).select_from(Dossier).where(Dossier.fonds_id == Fonds.id)
                        .scalar_subquery())
            records = (sa.select(sa.func.count()).select_from(Record)
                       .where(Record.fonds_id == Fonds.id, Record.status != "disposed").scalar_subquery())
            q = sa.select(Fonds, dossiers, records).order_by(Fonds.organ_id)
            if fonds_id:
                q = q.where(Fonds.id == fonds_id)
            return [{"id": f.id, "organ_id": f.organ_id, "name": f.name, "description": f.description,
                     "place": f.place, "superior_name": f.superior_name,
                     "is_open": bool(f.is_open), "created_at": _json(f.created_at), "dossiers": int(nd),
                     "records": int(nr)} for f, nd, nr in s.execute(q)]

    def describe(self, dossier_id: str, *, records: bool = True) -> dict[str, Any]:
        """The dossier as plain data for people: every field, its fonds, and its records in order."""
        with self.catalogue.session() as s:
            d = s.get(Dossier, dossier_id)
            if d is None:
                raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
            fonds = s.get(Fonds, d.fonds_id)
            out = dossier_dict(d, fonds)
            out["disposal_batch_id"] = in_running_batch(s, d.id)
            if records:
                rows = s.execute(sa.select(Record).where(Record.dossier_id == d.id).order_by(
                    Record.doc_ordinal.is_(None), Record.doc_ordinal, Record.issued_date, Record.created_at,
                    Record.id)).scalars()
                out["records"] = [{"id": r.id, "doc_ordinal": r.doc_ordinal, "so_ky_hieu": r.so_ky_hieu,
                                   "type_name": r.type_name, "issued_date": _json(r.issued_date),
                                   "subject": r.subject, "page_amount": r.page_amount, "status": r.status}
                                  for r in rows]
            return out


def dossier_dict(d: Dossier, fonds: Fonds | None) -> dict[str, Any]:
    """Every field of a dossier as JSON-ready data (dates ISO; ``*_vi`` labels for people)."""
    return {"id": d.id, "code": d.code, "fonds_id": d.fonds_id, "organ_id": fonds.organ_id if fonds else None,
            "fonds_name": fonds.name if fonds else None, "year": d.year, "notation": d.notation,
            "catalogue_number": d.catalogue_number, "archive_code": d.archive_code, "title": d.title,
            "retention": d.retention, "access_regime": d.access_regime, "creator": d.creator, "language": d.language,
            "start_date": _json(d.start_date), "end_date": _json(d.end_date),
            "declared_start_date": _json(d.declared_start_date), "declared_end_date": _json(d.declared_end_date),
            "doc_total": d.doc_total, "page_total": d.page_total, "sheet_total": d.sheet_total,
            "description": d.description, "status": d.status, "status_vi": STATUS_VI.get(d.status, d.status),
            "closed_at": _json(d.closed_at), "due_date": _json(d.due_date), "due_action": d.due_action,
            "created_at": _json(d.created_at), "period_vi": _period_vi(d)}


def _period_vi(d: Dossier) -> str:
    if d.start_date and d.end_date:
        return f"{fmt_date(d.start_date)} – {fmt_date(d.end_date)}"
    return fmt_date(d.start_date or d.end_date)
