"""Write a TT 05/2025 package (AIP_hoso, AIP_tailieu, DIP) as a ZIP, METS last.

The builder knows nothing of the catalogue: ``archive.packages.export`` hands it a
``PackagePlan`` (the dossier's ``simpledc`` values, one ``PlannedDocument`` per record with a
callable that opens its original) and it writes, in the build order of tt05-packages.md §4:
data → simpledc → PREMIS → representation METS → root METS. Every SIZE and CHECKSUM is taken from
the bytes written. Each original is copied while its SHA-256 is computed and compared with the
digest the archive recorded: a mismatch raises ``IntegrityError`` before the package is finished,
so a damaged original is never packaged as genuine.

Identifiers (tt05-packages.md §3) are UUIDv5 of the package UUID and the item's path, so the same
dossier exported twice has the same METS IDs; only dates differ.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from archive.errors import IntegrityError
from archive.objects.base import VerifyingReader
from archive.packages import xml as X

CHUNK = 1 << 20
PROFILE = {"AIP": "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml",
           "SIP": "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml",
           "DIP": "https://earkdip.dilcis.eu/profile/E-ARK-DIP.xml"}
PACKAGE_KINDS = {"aip-hoso": ("AIP", "Mixed"), "aip-tailieu": ("AIP", "Collection"), "dip": ("DIP", "Mixed"),
                 "sip-hoso": ("SIP", "Mixed"), "sip-tailieu": ("SIP", "Collection")}
"""kind → (OAIS package type, METS @TYPE). A SIP (PL III/IV) has no PREMIS and no amdSec, a
SUBMISSIONAGREEMENT altRecordID, and ``fileCode``/``docCode`` in place of the archive codes."""


@dataclass
class PlannedFile:
    """A data file: an original or one of its copies (preservation, LTV)."""

    name: str
    """File name inside ``representations/rep1/data/``."""
    open: Callable[[], VerifyingReader]
    sha256: str
    size: int
    media_type: str
    role: str = "original"
    format_id: str | None = None
    format_name: str | None = None
    format_version: str | None = None
    original_name: str | None = None
    created: datetime | None = None


@dataclass
class PlannedEvent:
    identifier: str
    event_type: str
    at: datetime
    agent: str
    outcome: str
    detail: str | None = None


@dataclass
class PlannedDocument:
    original: PlannedFile
    simpledc: dict[str, str | None]
    copies: list[PlannedFile] = field(default_factory=list)
    events: list[PlannedEvent] = field(default_factory=list)


@dataclass
class PackagePlan:
    kind: str
    """aip-hoso, aip-tailieu or dip."""
    package_uuid: uuid.UUID
    fonds_code: str
    """Mã phông in the OBJID (``[A-Za-z0-9._-]`` only)."""
    label: str
    dossier_simpledc: dict[str, str | None]
    documents: list[PlannedDocument]
    creator_name: str
    creator_code: str
    archivist_name: str
    archivist_code: str
    created: datetime
    software: str
    version: str
    request_code: str | None = None
    """DIP: mã yêu cầu khai thác (the DISSEMINATOR agent)."""

    @property
    def objid(self) -> str:
        u = str(self.package_uuid).upper()
        return f"urn:{self.fonds_code}:uuid:{u}" if self.kind.startswith("aip") else f"uuid-{u}"

    @property
    def folder(self) -> str:
        return self.objid.replace(":", "_")


@dataclass
class WrittenFile:
    path: str
    sha256: str
    size: int
    media_type: str
    created: datetime


@dataclass
class BuildResult:
    objid: str
    folder: str
    files: dict[str, WrittenFile]
    """Every file of the package by its path inside the top folder."""
    documents: int


def _upper(u: uuid.UUID) -> str:
    return str(u).upper()


_DataFile = tuple[PlannedDocument, PlannedFile, WrittenFile, str]
"""A document's file written into the package: the document, its plan, what was written, its href."""


class PackageBuilder:
    def __init__(self, plan: PackagePlan, out: BinaryIO):
        self.plan = plan
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.files: dict[str, WrittenFile] = {}
        self.when = plan.created.isoformat(timespec="milliseconds")
        self.oais = PACKAGE_KINDS[plan.kind][0]
        self.sip = self.oais == "SIP"

    def ident(self, prefix: str, *parts: str) -> str:
        return f"{prefix}-{_upper(uuid.uuid5(self.plan.package_uuid, '/'.join(parts)))}"

    # writing ---------------------------------------------------------------------------------
    def _put_bytes(self, path: str, data: bytes, media_type: str) -> WrittenFile:
        self.zip.writestr(self._info(path), data,
                          compress_type=zipfile.ZIP_DEFLATED)
        wf = WrittenFile(path, hashlib.sha256(data).hexdigest(), len(data), media_type, self.plan.created)
        self.files[path] = wf
        return wf

    def _info(self, path: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self.plan.folder}/{path}", date_time=self._zip_time())
        info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
        return info

    def _zip_time(self) -> tuple[int, int, int, int, int, int]:
        t = self.plan.created
        return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)

    def _put_stream(self, path: str, f: PlannedFile) -> WrittenFile:
        info = self._info(path)
        info.compress_type = zipfile.ZIP_STORED  # originals are mostly compressed formats already
        info.file_size = f.size
        sha, size = hashlib.sha256(), 0
        with f.open() as src, self.zip.open(info, "w", force_zip64=f.size > 0x7FFF0000) as dst:
            while chunk := src.read(CHUNK):
                sha.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        if size != f.size or sha.hexdigest() != f.sha256.lower():
            raise IntegrityError(f"{f.original_name or f.name}: the stored bytes do not match the archived "
                                 f"digest ({size} bytes, SHA-256 {sha.hexdigest()}; archived {f.size}, {f.sha256})",
                                 f"Tệp {f.original_name or f.name} không còn nguyên vẹn (mã băm SHA-256 hoặc kích "
                                 f"thước khác với lúc lưu): dừng đóng gói, không xuất gói tin")
        wf = WrittenFile(path, f.sha256.lower(), size, f.media_type, f.created or self.plan.created)
        self.files[path] = wf
        return wf

    def build(self) -> BuildResult:
        try:
            return self._build()
        except BaseException:
            try:  # leave no open handle behind; the caller discards the unfinished ZIP
                self.zip.close()
            except Exception:  # noqa: BLE001
                pass
            raise

    def _build(self) -> BuildResult:
        plan = self.plan
        rep = "representations/rep1"
        data_files: list[_DataFile] = []
        for doc in plan.documents:
            for f in (doc.original, *doc.copies):
                data_files.append((doc, f, self._put_stream(f"{rep}/data/{f.name}", f), f.name))
        dmd_files: list[tuple[PlannedDocument, WrittenFile]] = []
        for doc in plan.documents:
            stem = doc.original.name.rsplit(".", 1)[0]
            wf = self._put_bytes(f"{rep}/metadata/descriptive/EAD_doc_{stem}.xml",
                                 X.simpledc(X.SIP_DOC_FIELDS if self.sip else X.DOC_FIELDS, doc.simpledc), "text/xml")
            dmd_files.append((doc, wf))
        ead = self._put_bytes("metadata/descriptive/EAD.xml",
                              X.simpledc(X.SIP_DOSSIER_FIELDS if self.sip else X.DOSSIER_FIELDS, plan.dossier_simpledc),
                              "text/xml")
        for name in X.SCHEMA_FILES:
            self._put_bytes(f"schemas/{name}", (X.SCHEMAS / name).read_bytes(), "application/octet-stream")
        rep_premis = pkg_premis = None
        if not self.sip:
            rep_premis = self._put_bytes(f"{rep}/metadata/preservation/PREMIS_rep1.xml",
                                         X.serialise(self._rep_premis(data_files)), "text/xml")
            pkg_premis = self._put_bytes("metadata/preservation/PREMIS.xml", X.serialise(self._pkg_premis()),
                                         "text/xml")
        rep_mets = self._put_bytes(f"{rep}/METS.xml", X.serialise(self._rep_mets(data_files, dmd_files, rep_premis)),
                                   "text/xml")
        self._put_bytes("METS.xml", X.serialise(self._root_mets(ead, pkg_premis, rep_mets)), "text/xml")
        self.zip.close()
        return BuildResult(plan.objid, plan.folder, self.files, len(plan.documents))

    # METS --------------------------------------------------------------------------------------
    def _mets(self, objid: str, *, schema_prefix: str, rep: bool) -> etree._Element:
        attrs = {"OBJID": objid, "LABEL": self.plan.label[:1000], "TYPE": PACKAGE_KINDS[self.plan.kind][1]}
        if rep:
            attrs[X.cs("CONTENTINFORMATIONTYPE")] = "MIXED"
        attrs["PROFILE"] = PROFILE[self.oais]
        attrs[f"{{{X.XSI_NS}}}schemaLocation"] = (
            f"{X.METS_NS} {schema_prefix}schemas/METS.xsd {X.XLINK_NS} {schema_prefix}schemas/xlink.xsd "
            f"{X.CSIP_NS} {schema_prefix}schemas/DILCISExtensionMETS.xsd")
        mets = etree.Element(X.q("mets"), nsmap=X.NSMAP)
        for k, v in attrs.items():
            mets.set(k, v)
        hdr = etree.SubElement(mets, X.q("metsHdr"), CREATEDATE=self.when, RECORDSTATUS="NEW")
        hdr.set(X.cs("OAISPACKAGETYPE"), self.oais)
        self._agent(hdr, "CREATOR", "OTHER", self.plan.software, "SOFTWARE VERSION", self.plan.version,
                    othertype="SOFTWARE")
        if rep:
            self._agent(hdr, "CREATOR", "ORGANIZATION", self.plan.creator_name, "IDENTIFICATIONCODE",
                        self.plan.creator_code)
            self._agent(hdr, "ARCHIVIST", "ORGANIZATION", self.plan.archivist_name, "IDENTIFICATIONCODE",
                        self.plan.archivist_code)
            if self.oais == "DIP" and self.plan.request_code:
                self._agent(hdr, "OTHER", "ORGANIZATION", self.plan.archivist_name, "IDENTIFICATIONCODE",
                            self.plan.request_code, otherrole="DISSEMINATOR")
        elif self.sip:  # PL III: the mã phông as the creator's IDENTIFICATIONCODE, then the transfer request
            self._agent(hdr, "CREATOR", "ORGANIZATION", self.plan.creator_name, "IDENTIFICATIONCODE",
                        self.plan.creator_code)
            alt = etree.SubElement(hdr, X.q("altRecordID"), TYPE="SUBMISSIONAGREEMENT")
            alt.text = self.plan.request_code or f"{self.plan.creator_code}.{self.plan.created.year}"
        return mets

    @staticmethod
    def _agent(hdr: etree._Element, role: str, typ: str, name: str, notetype: str, note: str, *,
               othertype: str | None = None, otherrole: str | None = None) -> None:
        a = etree.SubElement(hdr, X.q("agent"), ROLE=role, TYPE=typ)
        if othertype:
            a.set("OTHERTYPE", othertype)
        if otherrole:
            a.set("OTHERROLE", otherrole)
        etree.SubElement(a, X.q("name")).text = name
        n = etree.SubElement(a, X.q("note"))
        n.set(X.cs("NOTETYPE"), notetype)
        n.text = note

    def _md_ref(self, parent: etree._Element, ident: str, wf: WrittenFile, href: str, mdtype: str,
                other: str | None = None) -> etree._Element:
        ref = etree.SubElement(parent, X.q("mdRef"), ID=ident, LOCTYPE="URL", MDTYPE=mdtype)
        if other:
            ref.set("OTHERMDTYPE", other)
        ref.set(X.xl("type"), "simple")
        ref.set(X.xl("href"), href)
        for k, v in (("MIMETYPE", "text/xml"), ("SIZE", str(wf.size)), ("CREATED", self.when),
                     ("CHECKSUM", wf.sha256.upper()), ("CHECKSUMTYPE", "SHA-256")):
            ref.set(k, v)
        return ref

    def _file(self, grp: etree._Element, ident: str, wf: WrittenFile, href: str) -> None:
        f = etree.SubElement(grp, X.q("file"), ID=ident, MIMETYPE=wf.media_type, SIZE=str(wf.size),
                             CREATED=wf.created.isoformat(timespec="milliseconds"), CHECKSUM=wf.sha256.upper(),
                             CHECKSUMTYPE="SHA-256")
        loc = etree.SubElement(f, X.q("FLocat"), LOCTYPE="URL")
        loc.set(X.xl("type"), "simple")
        loc.set(X.xl("href"), href)

    def _rep_mets(self, data_files: list[_DataFile], dmd_files: list[tuple[PlannedDocument, WrittenFile]],
                  premis: WrittenFile | None) -> etree._Element:
        rep_objid = self.ident("uuid", "rep1")
        mets = self._mets(rep_objid, schema_prefix="../../", rep=True)
        dmd_ids: dict[int, str] = {}
        for doc, wf in dmd_files:
            href = wf.path.removeprefix("representations/rep1/")
            dmd = etree.SubElement(mets, X.q("dmdSec"), ID=self.ident("uuid", "dmd", href), CREATED=self.when,
                                   STATUS="CURRENT")
            self._md_ref(dmd, self.ident("uuid", "mdref", href), wf, href, "DC")
            dmd_ids[id(doc)] = dmd.attrib["ID"]
        amd = premis_ref = None
        if premis is not None:
            amd = etree.SubElement(mets, X.q("amdSec"), ID=self.ident("uuid", "rep1-amd"))
            dp = etree.SubElement(amd, X.q("digiprovMD"), ID=self.ident("uuid", "rep1-digiprov"), STATUS="CURRENT")
            premis_ref = self._md_ref(dp, self.ident("uuid", "rep1-premis"), premis,
                                      "metadata/preservation/PREMIS_rep1.xml", "PREMIS")
        fsec = etree.SubElement(mets, X.q("fileSec"), ID=self.ident("uuid", "rep1-filesec"))
        grp = etree.SubElement(fsec, X.q("fileGrp"), ID=self.ident("uuid", "rep1-data"), USE="Data")
        file_ids = {}
        for doc, f, wf, name in data_files:
            fid = self.ident("ID", "file", name)
            self._file(grp, fid, wf, f"data/{name}")
            if f.role == "original":
                file_ids[id(doc)] = fid
        smap = etree.SubElement(mets, X.q("structMap"), ID=self.ident("uuid", "rep1-structmap"), TYPE="PHYSICAL",
                                LABEL="CSIP")
        top = etree.SubElement(smap, X.q("div"), ID=self.ident("uuid", "rep1-div"), LABEL=rep_objid)
        md = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "rep1-div-md"), LABEL="Metadata")
        if dmd_ids:
            md.set("DMDID", " ".join(dmd_ids.values()))
        if amd is not None:
            assert premis_ref is not None  # made with amd
            md.set("ADMID", amd.attrib["ID"])
            etree.SubElement(md, X.q("fptr"), FILEID=premis_ref.attrib["ID"])
        data = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "rep1-div-data"), LABEL="Data")
        etree.SubElement(data, X.q("fptr"), FILEID=grp.attrib["ID"])
        links = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "rep1-div-links"), LABEL="MetadataLink")
        for doc in self.plan.documents:
            d = etree.SubElement(links, X.q("div"), ID=self.ident("uuid", "link", doc.original.name),
                                 LABEL="MetadataLink/File", DMDID=dmd_ids[id(doc)])
            if amd is not None:
                d.set("ADMID", amd.attrib["ID"])
            etree.SubElement(d, X.q("fptr"), FILEID=file_ids[id(doc)])
        copies = [doc for doc in self.plan.documents if doc.copies]
        if copies:  # the original's preservation and LTV copies hang under it, as attachments do
            att = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "rep1-div-att"), LABEL="AttachmentFile")
            for doc in copies:
                d = etree.SubElement(att, X.q("div"), ID=self.ident("uuid", "att", doc.original.name),
                                     LABEL=file_ids[id(doc)])
                for c in doc.copies:
                    etree.SubElement(d, X.q("fptr"), FILEID=self.ident("ID", "file", c.name))
        return mets

    def _root_mets(self, ead: WrittenFile, premis: WrittenFile | None, rep_mets: WrittenFile) -> etree._Element:
        objid = self.plan.objid
        mets = self._mets(objid, schema_prefix="", rep=False)
        dmd = etree.SubElement(mets, X.q("dmdSec"), ID=self.ident("uuid", "dmd"), CREATED=self.when, STATUS="CURRENT")
        self._md_ref(dmd, self.ident("uuid", "dmd-ref"), ead, ead.path, "OTHER", other="EAD")
        amd = None
        if premis is not None:
            amd = etree.SubElement(mets, X.q("amdSec"), ID=self.ident("uuid", "amd"))
            dp = etree.SubElement(amd, X.q("digiprovMD"), ID=self.ident("uuid", "digiprov"), STATUS="CURRENT")
            self._md_ref(dp, self.ident("uuid", "premis-ref"), premis, premis.path, "PREMIS")
        fsec = etree.SubElement(mets, X.q("fileSec"), ID=self.ident("uuid", "filesec"))
        schemas = etree.SubElement(fsec, X.q("fileGrp"), ID=self.ident("uuid", "grp-schemas"), USE="Schemas")
        for name in X.SCHEMA_FILES:
            path = f"schemas/{name}"
            self._file(schemas, self.ident("ID", "file", path), self.files[path], path)
        reps = etree.SubElement(fsec, X.q("fileGrp"), ID=self.ident("uuid", "grp-rep1"), USE="Representations/rep1")
        self._file(reps, self.ident("ID", "file", rep_mets.path), rep_mets, rep_mets.path)
        smap = etree.SubElement(mets, X.q("structMap"), ID=self.ident("uuid", "structmap"), TYPE="PHYSICAL",
                                LABEL="CSIP")
        top = etree.SubElement(smap, X.q("div"), ID=self.ident("uuid", "div"), LABEL=objid)
        md = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "div-md"), LABEL="Metadata", DMDID=dmd.attrib["ID"])
        if amd is not None:
            md.set("ADMID", amd.attrib["ID"])
        sd = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "div-schemas"), LABEL="Schemas")
        etree.SubElement(sd, X.q("fptr"), FILEID=schemas.attrib["ID"])
        rd = etree.SubElement(top, X.q("div"), ID=self.ident("uuid", "div-rep1"), LABEL="Representations/rep1")
        mptr = etree.SubElement(rd, X.q("mptr"), LOCTYPE="URL")
        mptr.set(X.xl("type"), "simple")
        mptr.set(X.xl("href"), rep_mets.path)
        mptr.set(X.xl("title"), reps.attrib["ID"])
        return mets

    # PREMIS ------------------------------------------------------------------------------------
    def _premis(self) -> etree._Element:
        root = etree.Element(X.pm("premis"), nsmap={"premis": X.PREMIS_NS, "xsi": X.XSI_NS})
        root.set("version", "3.0")
        return root

    @staticmethod
    def _ids(parent: etree._Element, kind: str, typ: str, value: str) -> None:
        el = etree.SubElement(parent, X.pm(kind))
        etree.SubElement(el, X.pm(f"{kind}Type")).text = typ
        etree.SubElement(el, X.pm(f"{kind}Value")).text = value

    def _object(self, root: etree._Element, category: str, xml_id: str, id_type: str, id_value: str) -> etree._Element:
        obj = etree.SubElement(root, X.pm("object"), xmlID=xml_id)
        obj.set(f"{{{X.XSI_NS}}}type", f"premis:{category}")
        self._ids(obj, "objectIdentifier", id_type, id_value)
        return obj

    def _event(self, root: etree._Element, ev: PlannedEvent, obj_type: str, obj_value: str) -> None:
        e = etree.SubElement(root, X.pm("event"))
        self._ids(e, "eventIdentifier", "local", ev.identifier)
        etree.SubElement(e, X.pm("eventType")).text = ev.event_type
        etree.SubElement(e, X.pm("eventDateTime")).text = ev.at.isoformat()
        if ev.detail:
            det = etree.SubElement(e, X.pm("eventDetailInformation"))
            etree.SubElement(det, X.pm("eventDetail")).text = ev.detail[:2000]
        out = etree.SubElement(e, X.pm("eventOutcomeInformation"))
        etree.SubElement(out, X.pm("eventOutcome")).text = ev.outcome
        la = etree.SubElement(e, X.pm("linkingAgentIdentifier"))
        etree.SubElement(la, X.pm("linkingAgentIdentifierType")).text = "local"
        etree.SubElement(la, X.pm("linkingAgentIdentifierValue")).text = ev.agent
        etree.SubElement(la, X.pm("linkingAgentRole")).text = "implementer"
        lo = etree.SubElement(e, X.pm("linkingObjectIdentifier"))
        etree.SubElement(lo, X.pm("linkingObjectIdentifierType")).text = obj_type
        etree.SubElement(lo, X.pm("linkingObjectIdentifierValue")).text = obj_value
        etree.SubElement(lo, X.pm("linkingObjectRole")).text = "outcome"

    def _agents(self, root: etree._Element, agents: Iterable[str]) -> None:
        for agent in sorted(set(agents)):
            a = etree.SubElement(root, X.pm("agent"))
            self._ids(a, "agentIdentifier", "local", agent)
            kind, _, name = agent.partition(":")
            etree.SubElement(a, X.pm("agentName")).text = name or agent
            etree.SubElement(a, X.pm("agentType")).text = {"user": "person", "software": "software",
                                                           "client": "software"}.get(kind, "organization")

    def _pkg_premis(self) -> etree._Element:
        root = self._premis()
        creation = PlannedEvent(self.ident("uuid", "event", "package-creation"), "information package creation",
                                self.plan.created, f"software:{self.plan.software} {self.plan.version}", "success",
                                f"{self.plan.kind.upper()} of {len(self.plan.documents)} document(s)")
        obj = self._object(root, "intellectualEntity", self.ident("uuid", "premis", "package"), "OBJID", self.plan.objid)
        self._ids(obj, "linkingEventIdentifier", "local", creation.identifier)
        self._event(root, creation, "OBJID", self.plan.objid)
        self._agents(root, [creation.agent])
        return root

    def _rep_premis(self, data_files: list[_DataFile]) -> etree._Element:
        root = self._premis()
        self._object(root, "representation", self.ident("uuid", "premis", "rep1"), "local", self.ident("uuid", "rep1"))
        events: list[tuple[PlannedEvent, str]] = []
        originals = {id(doc): self.ident("ID", "file", doc.original.name) for doc in self.plan.documents}
        for doc, f, wf, name in data_files:
            fid = self.ident("ID", "file", name)
            obj = self._object(root, "file", self.ident("uuid", "premis", name), "File", fid)
            ch = etree.SubElement(obj, X.pm("objectCharacteristics"))
            etree.SubElement(ch, X.pm("compositionLevel")).text = "0"
            fx = etree.SubElement(ch, X.pm("fixity"))
            etree.SubElement(fx, X.pm("messageDigestAlgorithm")).text = "SHA-256"
            etree.SubElement(fx, X.pm("messageDigest")).text = wf.sha256
            etree.SubElement(ch, X.pm("size")).text = str(wf.size)
            fmt = etree.SubElement(ch, X.pm("format"))
            des = etree.SubElement(fmt, X.pm("formatDesignation"))
            etree.SubElement(des, X.pm("formatName")).text = f.format_name or f.media_type
            if f.format_version:
                etree.SubElement(des, X.pm("formatVersion")).text = f.format_version
            if f.format_id:
                reg = etree.SubElement(fmt, X.pm("formatRegistry"))
                etree.SubElement(reg, X.pm("formatRegistryName")).text = "PRONOM"
                etree.SubElement(reg, X.pm("formatRegistryKey")).text = f.format_id
            if f.original_name:
                etree.SubElement(obj, X.pm("originalName")).text = f.original_name
            if f.role != "original":
                rel = etree.SubElement(obj, X.pm("relationship"))
                etree.SubElement(rel, X.pm("relationshipType")).text = "derivation"
                etree.SubElement(rel, X.pm("relationshipSubType")).text = f"has source ({f.role})"
                self._ids(rel, "relatedObjectIdentifier", "File", originals[id(doc)])
            else:
                for ev in doc.events:
                    self._ids(obj, "linkingEventIdentifier", "local", ev.identifier)
                    events.append((ev, fid))
        for ev, fid in events:
            self._event(root, ev, "File", fid)
        self._agents(root, [ev.agent for ev, _ in events] or [f"software:{self.plan.software} {self.plan.version}"])
        return root
