"""Read and check an unpacked TT 05/2025 package (AIP_hoso, AIP_tailieu, SIP_hoso, SIP_tailieu,
or a DIP) before anything of it is stored.

``read_package(folder)`` returns a ``PackageReport``: every problem found (``problems``; the
package is refused when there is one) and what an import needs (the dossier's and each
document's ``simpledc`` values, the data file of each document with its SIZE and SHA-256, the
PREMIS events). The rules are tt05-packages.md §11:

1. one top folder; ``METS.xml``, ``metadata/descriptive/EAD.xml``, ``representations/rep1/METS.xml``;
2. both METS valid against METS 1.12 + the DILCIS CSIP extension (the bundled schemas, never the
   package's own: a hostile package could ship a permissive one);
3. the header: CREATEDATE, OAISPACKAGETYPE, a software agent; the OBJID of the package type;
4. every ``file`` and ``mdRef`` has SIZE, CHECKSUM, ``CHECKSUMTYPE="SHA-256"``, and its target
   exists with that size and SHA-256; no href leaves the package; every file but the METS files
   is referenced; a file referenced twice is reported;
6. each ``simpledc`` valid against the corrected schema (dossier ``EAD.xsd`` for AIP_hoso/DIP;
   the document ``EAD_doc.xsd``) and its required fields present;
9. PREMIS (when present) in the v3 namespace, its file digests equal to the METS CHECKSUMs.

Accepted variants (with a warning): ``urn:uuid:…`` and bare-UUID OBJIDs, ``rep1`` as the top
``div`` label, ``docCode``/``fileCode`` (SIP) in place of ``arcDocCode``/``arcFileCode``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from lxml import etree

from archive.packages import xml as X
from archive.packages.zipsafe import Problem

UUID_RE = r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}"
OBJID_AIP = re.compile(rf"^urn:[A-Za-z0-9._-]+:uuid:{UUID_RE}$")
OBJID_OTHER = re.compile(rf"^uuid-{UUID_RE}$")
OBJID_VARIANTS = re.compile(rf"^(urn:uuid:{UUID_RE}|urn:[A-Za-z0-9._-]+:uuid-{UUID_RE}|{UUID_RE})$")


@dataclass
class PackageDocument:
    data_path: str
    """Path of the data file inside the package folder."""
    simpledc: dict[str, str]
    sha256: str
    size: int
    media_type: str
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PackageReport:
    folder: Path | None = None
    objid: str | None = None
    oais_type: str | None = None
    package_type: str | None = None
    """METS ``@TYPE``: Mixed (hồ sơ) or Collection (tài liệu)."""
    dossier: dict[str, str] = field(default_factory=dict)
    documents: list[PackageDocument] = field(default_factory=list)
    creator_name: str | None = None
    creator_code: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked_files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad(self, code: str, path: str, vi: str, en: str) -> None:
        self.problems.append(Problem(code, path, vi, en))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "objid": self.objid, "oais_type": self.oais_type, "package_type": self.package_type,
                "documents": len(self.documents), "checked_files": self.checked_files,
                "problems": [p.as_dict() for p in self.problems], "warnings": self.warnings}


def _sha256(path: Path) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def _top_folder(unpacked: Path, report: PackageReport) -> Path | None:
    entries = [p for p in unpacked.iterdir()]
    if (unpacked / "METS.xml").is_file():
        report.warnings.append("the package files are at the top of the ZIP, not in one folder")
        return unpacked
    if len(entries) != 1 or not entries[0].is_dir():
        report.bad("layout", "", "Gói tin phải có đúng một thư mục gốc chứa METS.xml",
                   "the ZIP must hold one top folder with METS.xml")
        return None
    return entries[0]


class _Refs:
    """Every href a METS makes, checked against the files on disk."""

    def __init__(self, folder: Path, report: PackageReport, known: dict[Path, tuple[str, int]] | None = None):
        self.folder, self.report = folder, report
        self.known = {p.resolve(): v for p, v in (known or {}).items()}
        self.referenced: dict[str, str] = {}
        self.digests: dict[str, str] = {}

    def check(self, el: etree._Element, href_attr: str, base: str, where: str) -> str | None:
        href = unquote(el.get(href_attr) or "")
        parent = el.getparent()
        owner = parent if etree.QName(el).localname == "FLocat" and parent is not None else el
        ident = owner.get("ID")
        if not href or href.startswith(("/", "\\")) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href):
            self.report.bad("bad_href", where, f"Đường dẫn «{href}» của {ident} không hợp lệ (phải là đường dẫn tương đối)",
                            f"{ident}: href {href!r} is not a relative path")
            return None
        path = str(PurePosixPath(base) / href) if base else href
        if ".." in PurePosixPath(path).parts:
            self.report.bad("bad_href", where, f"Đường dẫn «{href}» ra ngoài gói tin", f"href {href!r} leaves the package")
            return None
        if path in self.referenced:
            self.report.bad("duplicate_reference", path, f"Tệp {path} được khai báo hai lần ({self.referenced[path]})",
                            f"{path} is referenced twice")
        self.referenced[path] = where
        missing = [a for a in ("SIZE", "CHECKSUM", "CHECKSUMTYPE", "MIMETYPE") if not owner.get(a)]
        if missing:
            self.report.bad("missing_attribute", path, f"{ident} thiếu {', '.join(missing)}", f"{ident} lacks {missing}")
        if owner.get("CHECKSUMTYPE") not in (None, "SHA-256"):
            self.report.bad("checksum_type", path, "Mã băm phải là SHA-256", "CHECKSUMTYPE must be SHA-256")
        target = self.folder / path
        if not target.is_file():
            self.report.bad("missing_file", path, f"Thiếu tệp {path} được khai báo trong {where}",
                            f"{path} is declared in {where} but missing")
            return None
        sha, size = self.known.get(target.resolve()) or _sha256(target)
        self.report.checked_files += 1
        self.digests[path] = sha
        declared = owner.get("CHECKSUM")
        if declared and declared.lower() != sha:
            self.report.bad("checksum_mismatch", path, f"Mã băm SHA-256 của {path} không khớp với khai báo",
                            f"SHA-256 of {path} is {sha}, declared {owner.get('CHECKSUM')}")
        if owner.get("SIZE") and owner.get("SIZE") != str(size):
            self.report.bad("size_mismatch", path, f"Kích thước của {path} là {size} byte, khai báo {owner.get('SIZE')}",
                            f"{path} has {size} bytes, declared {owner.get('SIZE')}")
        return path


def _load(folder: Path, path: str, report: PackageReport) -> etree._Element | None:
    try:
        return X.parse((folder / path).read_bytes())
    except (OSError, X.XMLError) as exc:
        report.bad("malformed_xml", path, f"Không đọc được {path}: XML hỏng", f"{path}: {exc}")
        return None


def _check_mets(root: etree._Element, path: str, report: PackageReport, *, rep: bool) -> None:
    if root.tag != X.q("mets"):
        report.bad("not_mets", path, f"{path} không phải tài liệu METS", f"{path} is not METS")
        return
    for err in X.validate("mets", root)[:20]:
        report.bad("mets_schema", path, f"{path} không hợp lệ theo METS 1.12/CSIP: {err}", err)
    hdr = root.find(X.q("metsHdr"))
    if hdr is None or not hdr.get("CREATEDATE") or not hdr.get(X.cs("OAISPACKAGETYPE")):
        report.bad("mets_header", path, f"{path}: metsHdr thiếu CREATEDATE hoặc csip:OAISPACKAGETYPE",
                   "metsHdr lacks CREATEDATE or csip:OAISPACKAGETYPE")
    elif not any(a.get("OTHERTYPE") == "SOFTWARE" for a in hdr.findall(X.q("agent"))):
        report.warnings.append(f"{path}: no software agent in metsHdr (CSIP10)")
    ids = [el.get("ID") for el in root.iter() if isinstance(el.tag, str) and el.get("ID")]
    if len(ids) != len(set(ids)):
        report.bad("duplicate_id", path, f"{path}: ID bị trùng", "duplicate IDs")


def _check_objid(objid: str, oais: str, report: PackageReport) -> None:
    good = OBJID_AIP if oais == "AIP" else OBJID_OTHER
    if good.match(objid):
        return
    if OBJID_VARIANTS.match(objid):
        report.warnings.append(f"OBJID {objid!r} is a variant form of TT 05 §3; accepted")
        return
    report.bad("objid", "METS.xml", f"OBJID «{objid}» không đúng quy tắc TT 05/2025", f"OBJID {objid!r} breaks TT 05 §3")


def _simpledc(folder: Path, path: str, kind: str, report: PackageReport) -> dict[str, str]:
    root = _load(folder, path, report)
    if root is None:
        return {}
    try:
        values = X.read_simpledc((folder / path).read_bytes())
    except X.XMLError as exc:
        report.bad("simpledc", path, f"{path}: không phải bản ghi simpledc", str(exc))
        return {}
    native = "arcDocCode" in values or "arcFileCode" in values  # the AIP form our schemas describe
    if "docCode" in values and "arcDocCode" not in values:
        values["arcDocCode"] = values["docCode"]
        report.warnings.append(f"{path}: docCode read as arcDocCode (SIP form)")
    if "fileCode" in values and "arcFileCode" not in values:
        values["arcFileCode"] = values["fileCode"]
    required = X.DOC_REQUIRED if kind == "EAD_doc" else X.DOSSIER_REQUIRED
    missing = [f for f in required if not values.get(f)]
    if missing and kind == "EAD" and "source" in values:  # AIP_tailieu / SIP_tailieu package record (§7.4)
        missing = [f for f in ("arcFileCode", "title") if not values.get(f)]
    elif not missing and native and kind in ("EAD", "EAD_doc"):
        for err in X.validate(kind, root)[:10]:
            report.bad("simpledc_schema", path, f"{path} không hợp lệ theo {kind}.xsd: {err}", err)
    if missing:
        report.bad("missing_field", path, f"{path} thiếu trường bắt buộc: {', '.join(missing)}",
                   f"{path} lacks required fields {missing}")
    if values.get("riskRecovery") == "1" and not values.get("riskRecoveryStatus"):
        report.bad("missing_field", path, f"{path}: riskRecovery = 1 cần riskRecoveryStatus",
                   "riskRecovery=1 needs riskRecoveryStatus")
    return values


def _premis(folder: Path, path: str, refs: _Refs, report: PackageReport) -> dict[str, list[dict[str, Any]]]:
    """Check a PREMIS file; return the events linked to each file identifier."""
    root = _load(folder, path, report)
    if root is None:
        return {}
    if root.tag != X.pm("premis"):
        report.bad("premis", path, f"{path} không phải PREMIS 3 (namespace {X.PREMIS_NS})", "not PREMIS v3")
        return {}
    ns = {"p": X.PREMIS_NS}
    events = {}
    for ev in root.findall("p:event", ns):
        ident = ev.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=ns)
        etype, at = ev.findtext("p:eventType", namespaces=ns), ev.findtext("p:eventDateTime", namespaces=ns)
        if not (ident and etype and at):
            report.bad("premis", path, f"{path}: sự kiện thiếu mã, loại hoặc thời gian", "event lacks id, type or time")
            continue
        events[ident] = {"identifier": ident, "type": etype, "at": at,
                         "agent": ev.findtext("p:linkingAgentIdentifier/p:linkingAgentIdentifierValue",
                                              namespaces=ns) or "unknown",
                         "outcome": ev.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=ns) or "",
                         "detail": ev.findtext("p:eventDetailInformation/p:eventDetail", namespaces=ns)}
    by_file: dict[str, list[dict[str, Any]]] = {}
    for obj in root.findall("p:object", ns):
        value = obj.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=ns)
        digest = obj.findtext("p:objectCharacteristics/p:fixity/p:messageDigest", namespaces=ns)
        if value is None:  # an object without its identifier names no file
            continue
        if digest is not None:
            by_file.setdefault(value, [])
            refs.digests.setdefault(f"premis:{value}", digest.lower())
        for link in obj.findall("p:linkingEventIdentifier/p:linkingEventIdentifierValue", ns):
            if link.text in events:
                by_file.setdefault(value, []).append(events[link.text])
    return by_file


def read_package(unpacked: Path, digests: dict[Path, tuple[str, int]] | None = None) -> PackageReport:
    """Check the package unpacked in ``unpacked``; the report lists every problem. ``digests``:
    the SHA-256 and size of files computed while unpacking (``zipsafe.unpack``); others are read."""
    report = PackageReport()
    folder = _top_folder(unpacked, report)
    if folder is None:
        return report
    report.folder = folder
    for required in ("METS.xml", "metadata/descriptive/EAD.xml", "representations/rep1/METS.xml"):
        if not (folder / required).is_file():
            report.bad("missing_file", required, f"Thiếu tệp bắt buộc {required}", f"required {required} is missing")
    if not (folder / "METS.xml").is_file():
        return report
    root = _load(folder, "METS.xml", report)
    if root is None:
        return report
    _check_mets(root, "METS.xml", report, rep=False)
    report.objid = root.get("OBJID") or ""
    report.package_type = root.get("TYPE")
    hdr = root.find(X.q("metsHdr"))
    report.oais_type = hdr.get(X.cs("OAISPACKAGETYPE")) if hdr is not None else None
    if report.oais_type not in ("AIP", "SIP", "DIP"):
        report.bad("package_type", "METS.xml", "csip:OAISPACKAGETYPE phải là AIP, SIP hoặc DIP",
                   f"OAISPACKAGETYPE {report.oais_type!r}")
    else:
        _check_objid(report.objid, report.oais_type, report)
    refs = _Refs(folder, report, digests)
    for el in root.iter(X.q("mdRef")):
        refs.check(el, X.xl("href"), "", "METS.xml")
    for el in root.iter(X.q("FLocat")):
        refs.check(el, X.xl("href"), "", "METS.xml")
    if report.oais_type == "AIP" and not (folder / "metadata/preservation/PREMIS.xml").is_file():
        report.bad("missing_file", "metadata/preservation/PREMIS.xml", "AIP phải có PREMIS.xml", "an AIP needs PREMIS.xml")
    for name in ("METS.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd"):
        if not (folder / "schemas" / name).is_file():
            report.bad("missing_schema", f"schemas/{name}", f"Thiếu lược đồ bắt buộc schemas/{name}",
                       f"required schema file schemas/{name} missing")
    report.dossier = _simpledc(folder, "metadata/descriptive/EAD.xml", "EAD", report) \
        if (folder / "metadata/descriptive/EAD.xml").is_file() else {}
    rep_path = "representations/rep1/METS.xml"
    rep = _load(folder, rep_path, report) if (folder / rep_path).is_file() else None
    if rep is not None:
        _check_mets(rep, rep_path, report, rep=True)
        _read_rep(folder, rep, refs, report)
    _orphans(folder, refs, report)
    return report


def _read_rep(folder: Path, rep: etree._Element, refs: _Refs, report: PackageReport) -> None:
    base = "representations/rep1"
    for agent in rep.iter(X.q("agent")):
        if agent.get("ROLE") == "CREATOR" and agent.get("TYPE") == "ORGANIZATION":
            report.creator_name = (agent.findtext(X.q("name")) or "").strip() or None
            report.creator_code = (agent.findtext(X.q("note")) or "").strip() or None
    dmd_paths: dict[str, str] = {}
    for dmd in rep.iter(X.q("dmdSec")):
        ref = dmd.find(X.q("mdRef"))
        if ref is not None:
            path = refs.check(ref, X.xl("href"), base, f"{base}/METS.xml")
            dmd_id = dmd.get("ID")
            if path and dmd_id:
                dmd_paths[dmd_id] = path
    events: dict[str, list[dict[str, Any]]] = {}
    for ref in rep.iter(X.q("mdRef")):
        parent = ref.getparent()
        if parent is not None and parent.tag == X.q("digiprovMD"):
            path = refs.check(ref, X.xl("href"), base, f"{base}/METS.xml")
            if path:
                events = _premis(folder, path, refs, report)
    files: dict[str, tuple[str, Any]] = {}  # (path, METS file element)
    for f in rep.iter(X.q("file")):
        loc = f.find(X.q("FLocat"))
        if loc is None:
            report.bad("missing_file", f.get("ID") or "", f"{f.get('ID')} không có FLocat", "file without FLocat")
            continue
        path = refs.check(loc, X.xl("href"), base, f"{base}/METS.xml")
        file_id = f.get("ID")
        if path and file_id:
            files[file_id] = (path, f)
            premis_digest = refs.digests.get(f"premis:{file_id}")
            if premis_digest and premis_digest != refs.digests.get(path):
                report.bad("premis_digest", path, f"Mã băm trong PREMIS của {path} khác với tệp",
                           f"PREMIS digest of {path} differs from the file")
    links = [d for d in rep.iter(X.q("div")) if d.get("LABEL") == "MetadataLink/File"]
    for div in links:
        fptr = div.find(X.q("fptr"))
        dmd_ids = (div.get("DMDID") or "").split()
        file_id = fptr.get("FILEID") if fptr is not None else None
        if file_id is None or file_id not in files or not dmd_ids or dmd_ids[0] not in dmd_paths:
            report.bad("struct_map", f"{base}/METS.xml", f"Mục MetadataLink/File {div.get('ID')} không trỏ tới "
                       "tệp dữ liệu và bản mô tả", f"MetadataLink/File {div.get('ID')} lacks its file or dmdSec")
            continue
        path, fel = files[file_id]
        values = _simpledc(folder, dmd_paths[dmd_ids[0]], "EAD_doc", report)
        report.documents.append(PackageDocument(
            data_path=path, simpledc=values, sha256=refs.digests.get(path, ""),
            size=int(fel.get("SIZE") or 0), media_type=fel.get("MIMETYPE") or "application/octet-stream",
            events=events.get(file_id, [])))
    if not report.documents and not report.problems:
        report.bad("no_documents", base, "Gói tin không có tài liệu nào (MetadataLink/File)", "no document in the package")


def _orphans(folder: Path, refs: _Refs, report: PackageReport) -> None:
    mets = {"METS.xml", "representations/rep1/METS.xml"}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink() or not p.is_file():
            continue
        rel = p.relative_to(folder).as_posix()
        if rel.startswith("schemas/") and rel not in refs.referenced:
            report.warnings.append(f"{rel} is not listed in the Schemas fileGrp")
        elif rel not in refs.referenced and rel not in mets and not rel.startswith("documentation/"):
            report.bad("unlisted_file", rel, f"Tệp {rel} có trong gói nhưng không được khai báo trong METS",
                       f"{rel} is not referenced by any METS")
