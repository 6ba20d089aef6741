"""Import a TT 05/2025 package (SIP_hoso, SIP_tailieu, or an AIP/DIP of another archive) as a
dossier, through the ordinary ingest pipeline.

Order, so that a bad package stores nothing:

1. unpack safely (``archive.packages.zipsafe``: traversal, links, bombs, duplicates);
2. check the whole package (``archive.packages.reader``: schemas, every file listed, every size and
   SHA-256, required fields); any problem rejects the package with the full report;
3. check against the archive: the dossier's mã hồ sơ is free, no original is already archived,
   the dossier's fields are valid (``archive.dossier_fields``) — again the full report;
4. only then: the fonds (created if the agency has none), the dossier, and each document through
   ``IngestService.run`` with the package's values declared (declared values win over what the
   parser reads); each record then keeps the package's ``simpledc`` values, the source archive's
   PREMIS events and the OBJID in ``extra["tt05"]``, with a ``validation`` event.

A document the pipeline itself rejects at step 4 (e.g. a state-secret mark) cannot be undone for
the documents already archived (originals are never deleted): the result then says which were
archived and which were not (``partial``), and the rejected file is in the quarantine as usual.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from archive.dossier_fields import InvalidDossier, clean, parse_code
from archive.errors import ArchiveError
from archive.packages import codes
from archive.packages.reader import PackageReport, read_package
from archive.packages.zipsafe import Problem, UnsafeZip, ZipLimits, unpack
from archive.service import NewEvent
from ingest.pipeline import SourceFile

AGENCY_PREFIX = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\.(?=\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\.)")


class PackageRejected(ArchiveError):
    """The package is refused as a whole; ``problems`` names each reason."""

    code = "package_invalid"

    def __init__(self, problems: list[Problem], report: PackageReport | None = None):
        self.problems = problems
        self.report = report
        super().__init__("the package is refused: " + "; ".join(f"{p.path}: {p.message_en}" for p in problems[:20]),
                         f"Gói tin bị từ chối ({len(problems)} lỗi): "
                         + "; ".join(f"{p.path or 'gói tin'}: {p.message_vi}" for p in problems[:20]))


@dataclass
class ImportResult:
    objid: str
    dossier_id: str
    dossier_code: str
    records: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.rejected)

    def as_dict(self) -> dict:
        return {"objid": self.objid, "dossier_id": self.dossier_id, "dossier_code": self.dossier_code,
                "records": self.records, "rejected": self.rejected, "warnings": self.warnings,
                "partial": self.partial}


def dossier_code_of(arc_file_code: str) -> str:
    """The mã hồ sơ inside an arcFileCode (the archive's code first) or a SIP fileCode."""
    return AGENCY_PREFIX.sub("", arc_file_code.strip(), count=1)


def declared_of(dc: dict[str, str]) -> dict[str, Any]:
    """The catalogue's declared values for a document's ``simpledc`` record."""
    out: dict[str, Any] = {}
    label = codes.type_label(dc.get("typeName", ""))
    if label:
        out["type_name"] = label
    for src, dst in (("codeNumber", "code_number"), ("codeNotation", "code_notation"), ("organName", "organ_name"),
                     ("subject", "subject"), ("description", "description")):
        if dc.get(src):
            out[dst] = dc[src]
    issued = codes.parse_vn_date(dc.get("issuedDate"))
    if issued:
        out["issued_date"] = issued.isoformat()
    out["language"] = codes.language_of(dc.get("language") or "01")
    out["access_level"] = codes.access_of_mode(dc.get("mode") or "02")
    m = re.search(r"\.(\d{7})$", dc.get("arcDocCode") or "")
    if m and int(m[1]):
        out["doc_ordinal"] = int(m[1])
    return out


def _dossier_values(dc: dict[str, str], problems: list[Problem]) -> tuple[str, dict]:
    code = dossier_code_of(dc.get("arcFileCode", ""))
    try:
        organ, year, notation = parse_code(code)
    except ArchiveError:
        problems.append(Problem("dossier_code", "metadata/descriptive/EAD.xml",
                                f"Không tách được mã hồ sơ từ arcFileCode «{dc.get('arcFileCode')}»",
                                f"no mã hồ sơ in arcFileCode {dc.get('arcFileCode')!r}"))
        return code, {}
    values: dict[str, Any] = {"year": year, "notation": notation, "title": dc.get("title"),
                              "language": codes.language_of(dc.get("language") or "01"),
                              "access_regime": codes.access_of_mode(dc.get("mode") or "02"),
                              "description": dc.get("description") or None}
    try:
        values["start_date"] = codes.parse_vn_date(dc.get("startDate"))
        values["end_date"] = codes.parse_vn_date(dc.get("endDate"))
    except ValueError as exc:
        problems.append(Problem("bad_date", "metadata/descriptive/EAD.xml", f"Ngày không hợp lệ: {exc}", str(exc)))
    if (dc.get("numberOfPaper") or "").isdigit() and int(dc["numberOfPaper"]):
        values["sheet_total"] = int(dc["numberOfPaper"])
    try:
        clean({k: v for k, v in values.items() if v is not None})
    except InvalidDossier as exc:
        for p in exc.problems:
            problems.append(Problem("invalid_dossier", "metadata/descriptive/EAD.xml", p.message_vi, p.message_en))
    return f"{organ}.{year}.{notation}", {**values, "organ_id": organ}


class PackageImporter:
    """``archive`` (ArchiveService), ``dossiers`` (DossierService), ``ingest`` (IngestService)."""

    def __init__(self, archive, dossiers, ingest, *, limits: ZipLimits, workdir: Path | None = None):
        self.archive, self.dossiers, self.ingest = archive, dossiers, ingest
        self.limits = limits
        self.workdir = workdir

    def workspace(self) -> Path:
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="luutru-pkg-", dir=self.workdir))

    def check(self, source: str | Path | BinaryIO) -> PackageReport:
        """Unpack and check only (no change to the archive)."""
        tmp = self.workspace()
        try:
            return self._read(source, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _read(self, source, tmp: Path) -> PackageReport:
        try:
            digests: dict = {}
            unpack(source, tmp, self.limits, digests)
        except UnsafeZip as exc:
            raise PackageRejected(exc.problems) from None
        return read_package(tmp, digests)

    def run(self, source: str | Path | BinaryIO, *, actor: str) -> ImportResult:
        tmp = self.workspace()
        try:
            return self.store_checked(self._read(source, tmp), actor=actor)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def store_checked(self, report: PackageReport, *, actor: str) -> ImportResult:
        """Steps 3 and 4 for a package already unpacked and read (a TT 05 package or a bag)."""
        if not report.ok:
            raise PackageRejected(report.problems, report)
        problems: list[Problem] = []
        code, values = _dossier_values(report.dossier, problems)
        if self.archive.find_dossier(code):
            problems.append(Problem("dossier_exists", "metadata/descriptive/EAD.xml",
                                    f"Hồ sơ {code} đã có trong kho", f"dossier {code} already exists"))
        for doc in report.documents:
            dup = self.archive.find_original(doc.sha256)
            if dup:
                problems.append(Problem("duplicate", doc.data_path, f"Tài liệu đã có trong kho (văn bản {dup})",
                                        f"already archived as record {dup}"))
        if problems:
            raise PackageRejected(problems, report)
        return self._store(report, code, values, actor)

    def _store(self, report: PackageReport, code: str, values: dict, actor: str) -> ImportResult:
        organ = values.pop("organ_id")
        # the representation's CREATOR agent names the agency (its note carries the mã phông)
        self.archive.ensure_fonds(organ, report.creator_name or f"Cơ quan {organ}", actor=actor)
        fonds = next(f for f in self.dossiers.fonds() if f["organ_id"] == organ)
        dossier_id = self.dossiers.create(fonds["id"], {k: v for k, v in values.items() if v is not None}, actor=actor)
        result = ImportResult(report.objid or "", dossier_id, code, warnings=list(report.warnings))
        package = {"objid": report.objid, "oais_type": report.oais_type, "type": report.package_type}
        assert report.folder is not None  # set by the reader for every package it could open
        for doc in report.documents:
            path = report.folder / doc.data_path
            # the package's description and its validation event go in the record's own unit of
            # work (the store step's): a record is never committed without its provenance
            source = SourceFile(path=path, submit_name=path.name, submitter=actor, declared=declared_of(doc.simpledc),
                                dossier_code=code, source="package",
                                extra={"tt05": {"doc": doc.simpledc, "dossier": report.dossier, "package": package,
                                                "events": doc.events}},
                                events=(NewEvent("validation", agent="software:luutru package import",
                                                 detail=f"TT 05/2025 package {report.objid}: {report.checked_files} "
                                                        f"files, sizes and SHA-256 checked; {len(doc.events)} PREMIS "
                                                        "event(s) of the source kept",
                                                 data={"objid": report.objid, "path": doc.data_path}),))
            outcome = self.ingest.run(source)
            if outcome.outcome != "ingested":
                result.rejected.append({"path": doc.data_path, "outcome": outcome.outcome,
                                        "reason": getattr(outcome, "code", None),
                                        "message": getattr(outcome, "message_vi", None),
                                        "record_id": outcome.record_id})
                continue
            result.records.append({"record_id": outcome.record_id, "path": doc.data_path, "sha256": outcome.sha256})
        return result
