"""Export a dossier as a TT 05/2025 package: the catalogue's view of it (``plan_dossier``), then
``PackageBuilder`` writes the ZIP.

What goes in:

* every record of the dossier that is not destroyed and that ``may_read`` admits (a DIP for a
  reader holds only what the reader may read; entry points pass the caller's rule), in ordinal
  order, with its original (``{mã hồ sơ}.{ordinal:07d}.{ext}``) and its preservation and LTV
  copies (``….pdfa.pdf``, ``….ltv.pdf``);
* the dossier's and each document's ``simpledc`` record, from the catalogue's columns where it has
  them, and otherwise from the TT 05 values a package import kept in ``extra["tt05"]`` (keyword,
  confidenceLevel, riskRecovery…) or the circular's defaults;
* every PREMIS event the archive recorded for the record (and those an imported package carried).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive.catalogue.models import Component, Dossier, Event, Fonds, Record
from archive.errors import ArchiveError, RecordNotFound
from archive.packages import codes
from archive.packages.builder import (
    PACKAGE_KINDS,
    BuildResult,
    PackageBuilder,
    PackagePlan,
    PlannedDocument,
    PlannedEvent,
    PlannedFile,
)

if TYPE_CHECKING:
    from archive.catalogue.db import Catalogue
    from archive.objects.base import ObjectStore

COPY_ROLES = {"preservation_copy": "pdfa", "ltv_copy": "ltv"}
"""Copies exported beside each original, with the infix of their file name."""
NAMESPACE = uuid.UUID("6c1d6a8e-3f0b-5d2e-9b1e-2f5b1d0c7a11")


class NothingToExport(ArchiveError):
    code = "nothing_to_export"


@dataclass(frozen=True)
class ExportIdentity:
    """Who the archive is (the ARCHIVIST agent and the prefix of arcFileCode) and what software."""

    archive_code: str
    archive_name: str
    software: str = "luutru"
    version: str = "0"


def _ext(name: str | None, media_type: str) -> str:
    if name and "." in name and len(name.rsplit(".", 1)[1]) <= 5:
        return name.rsplit(".", 1)[1].lower()
    return {"application/pdf": "pdf", "text/plain": "txt", "image/jpeg": "jpg", "image/png": "png",
            "image/tiff": "tif", "application/xml": "xml"}.get(media_type.split(";")[0], "bin")


def _tt05(rec: Record) -> dict[str, Any]:
    return (rec.extra or {}).get("tt05") or {}


def arc_file_code(d: Dossier, archive_code: str) -> str:
    if d.archive_code:
        return d.archive_code
    code = f"{archive_code}.{d.code}"
    return f"{code}.{d.catalogue_number}" if d.catalogue_number else code


def _maintenance(d: Dossier, kept: dict[str, Any]) -> str:
    if d.permanent or d.retention_years:
        return codes.maintenance_code(permanent=bool(d.permanent), years=d.retention_years)
    return kept.get("maintenance") or "07"


def plan_dossier(session: Session, store: ObjectStore, dossier_id: str, *, kind: str, ident: ExportIdentity, now: datetime,
                 may_read: Callable[[Record], bool] | None = None, request_code: str | None = None) -> PackagePlan:
    """The package of one dossier as the catalogue has it. Raises ``RecordNotFound`` for an unknown
    dossier and ``NothingToExport`` when no record may go in."""
    if kind not in PACKAGE_KINDS:
        raise ArchiveError(f"unknown package kind {kind!r}", f"Loại gói tin không hợp lệ: {kind}")
    d = session.get(Dossier, dossier_id)
    if d is None:
        raise RecordNotFound(f"no dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
    fonds = session.get(Fonds, d.fonds_id)
    rows = session.execute(sa.select(Record).where(Record.dossier_id == d.id, Record.status != "disposed").order_by(
        Record.doc_ordinal.is_(None), Record.doc_ordinal, Record.issued_date, Record.created_at, Record.id)).scalars()
    records = [r for r in rows if may_read is None or may_read(r)]
    if not records:
        raise NothingToExport(f"dossier {d.code} has no record to export",
                              f"Hồ sơ {d.code} không có văn bản nào có thể xuất (hoặc bạn không được đọc)")
    kept_dossier = next((_tt05(r).get("dossier") for r in records if _tt05(r).get("dossier")), None) or {}
    afc = arc_file_code(d, ident.archive_code)
    maintenance = _maintenance(d, kept_dossier)
    documents = []
    used: set[int] = set()
    for n, rec in enumerate(records, 1):
        ordinal = rec.doc_ordinal if rec.doc_ordinal and rec.doc_ordinal not in used else n
        used.add(ordinal)
        comps = session.execute(sa.select(Component).where(Component.record_id == rec.id,
                                                            Component.status == "present")
                                .order_by(Component.created_at)).scalars().all()
        original = next((c for c in comps if c.role == "original"), None)
        if original is None:
            raise ArchiveError(f"record {rec.id} has no original to export",
                               f"Văn bản {rec.so_ky_hieu or rec.id} không còn bản gốc: không xuất được gói tin")
        base = f"{d.code}.{ordinal:07d}"
        documents.append(PlannedDocument(
            original=_planned(store, original, f"{base}.{_ext(original.filename, original.media_type)}",
                              rec.original_filename),
            copies=[_planned(store, c, f"{base}.{COPY_ROLES[c.role]}.{_ext(c.filename, c.media_type)}", c.filename)
                    for c in comps if c.role in COPY_ROLES],
            simpledc=_doc_simpledc(rec, afc, ordinal, maintenance, kept_dossier),
            events=_events(session, rec)))
    pages = sum(int(doc.simpledc.get("numberOfPage") or 0) for doc in documents)
    dossier_dc = {
        "arcFileCode": afc, "title": d.title, "maintenance": maintenance, "mode": codes.mode_code(d.access_regime),
        "language": codes.language_code(d.language), "startDate": codes.vn_date(d.start_date),
        "endDate": codes.vn_date(d.end_date), "keyword": kept_dossier.get("keyword"), "totalDoc": str(len(documents)),
        "numberOfPaper": str(d.sheet_total) if d.sheet_total else kept_dossier.get("numberOfPaper"),
        "numberOfPage": str(pages), "format": kept_dossier.get("format"), "inforSign": kept_dossier.get("inforSign"),
        "confidenceLevel": kept_dossier.get("confidenceLevel") or "01",
        "paperFileCode": kept_dossier.get("paperFileCode"), "riskRecovery": kept_dossier.get("riskRecovery") or "0",
        "riskRecoveryStatus": kept_dossier.get("riskRecoveryStatus"), "description": d.description,
    }
    if kind.startswith("sip"):  # PL III/IV: the codes without the archive's prefix
        dossier_dc["fileCode"] = d.code
        for doc in documents:
            arc_code = doc.simpledc["arcDocCode"]
            assert arc_code is not None  # _doc_simpledc always sets it
            doc.simpledc["docCode"] = f"{d.code}.{arc_code.rsplit('.', 1)[1]}"
    code = "".join(c if c.isalnum() or c in "._-" else "_" for c in (fonds.organ_id if fonds else ident.archive_code))
    return PackagePlan(kind=kind, package_uuid=uuid.uuid5(NAMESPACE, f"{kind}/{d.id}"), fonds_code=code,
                       label=d.title, dossier_simpledc=dossier_dc, documents=documents,
                       creator_name=fonds.name if fonds else ident.archive_name,
                       creator_code=fonds.organ_id if fonds else ident.archive_code,
                       archivist_name=ident.archive_name, archivist_code=ident.archive_code, created=now,
                       software=ident.software, version=ident.version, request_code=request_code)


def _planned(store: ObjectStore, c: Component, name: str, original_name: str | None) -> PlannedFile:
    return PlannedFile(name=name, open=functools.partial(store.open, c.storage_key, expected_size=c.size),
                       sha256=c.sha256, size=c.size, media_type=c.media_type.split(";")[0], role=c.role,
                       format_id=c.format_id, format_name=c.format_name, format_version=c.format_version,
                       original_name=original_name, created=c.created_at)


def _doc_simpledc(rec: Record, afc: str, ordinal: int, maintenance: str, kept_dossier: dict[str, Any]) -> dict[str, str | None]:
    kept = _tt05(rec).get("doc") or {}
    type_code = codes.type_code(rec.type_name)
    description = rec.description
    if type_code == "32" and rec.type_name and not description:
        description = rec.type_name  # a type without a TT 05 code keeps its real name here (§8)
    return {
        "docId": kept.get("docId") or rec.id.replace("-", "")[:25].upper(),
        "arcDocCode": f"{afc}.{ordinal:07d}", "maintenance": kept.get("maintenance") or maintenance,
        "typeName": type_code if rec.type_name or not kept.get("typeName") else kept["typeName"],
        "codeNumber": rec.code_number, "codeNotation": rec.code_notation, "issuedDate": codes.vn_date(rec.issued_date),
        "organName": rec.organ_name, "subject": rec.subject, "language": codes.language_code(rec.language),
        "numberOfPage": str(rec.page_amount or kept.get("numberOfPage") or 0), "inforSign": kept.get("inforSign"),
        "keyword": kept.get("keyword"), "mode": codes.mode_code(rec.access_level),
        "confidenceLevel": kept.get("confidenceLevel") or kept_dossier.get("confidenceLevel") or "01",
        "autograph": kept.get("autograph"), "format": kept.get("format"), "process": kept.get("process") or "0",
        "riskRecovery": kept.get("riskRecovery") or "0", "riskRecoveryStatus": kept.get("riskRecoveryStatus"),
        "description": description,
    }


def _events(session: Session, rec: Record) -> list[PlannedEvent]:
    out = [PlannedEvent(e["identifier"], e["type"], datetime.fromisoformat(e["at"]), e["agent"], e["outcome"],
                        e.get("detail")) for e in _tt05(rec).get("events") or []]
    for e in session.execute(sa.select(Event).where(Event.record_id == rec.id).order_by(Event.id)).scalars():
        out.append(PlannedEvent(f"event-{rec.id}-{e.id}", e.event_type, e.occurred_at, e.agent, e.outcome, e.detail))
    return out


def export_dossier(catalogue: Catalogue, store: ObjectStore, dossier_id: str, out: BinaryIO, *, kind: str, ident: ExportIdentity,
                   now: datetime, may_read: Callable[[Record], bool] | None = None,
                   request_code: str | None = None) -> BuildResult:
    """Write the package of ``dossier_id`` to ``out`` (a ZIP). Raises ``IntegrityError`` if an
    original's bytes no longer match its digest (``out`` then holds an unfinished ZIP: discard it)."""
    with catalogue.session() as s:
        plan = plan_dossier(s, store, dossier_id, kind=kind, ident=ident, now=now, may_read=may_read,
                            request_code=request_code)
    return PackageBuilder(plan, out).build()
