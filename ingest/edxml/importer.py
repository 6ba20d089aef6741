"""Import edXML messages: parse and check everything, then one record through the ordinary pipeline.

One document message becomes **one record** (docs/interchange.md):

- the record's original is the main attachment — the first PDF, else the first attachment — so
  the ordinary pipeline runs on it unchanged (identification, text extraction, PAdES signature
  validation, description, retention, archive timestamp, store, index);
- the received message bytes, unchanged, are the component ``edxml_message`` (the evidence);
- every other attachment is a component ``attachment`` of the same record;
- the header gives the Decree 30 fields as declared metadata (``ingest.edxml.mapping``), the
  trace and the message signature's outcome become PREMIS events and ``extra["edxml"]``.

Nothing is stored before the whole message has been parsed and every attachment decoded and
checked, and the record with all its components is one unit of work: a message whose third
attachment is bad stores nothing. A status message (edxml.md §8) is not a record: it becomes an
event (and a component ``edxml_status``) of the document it answers.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from archive.catalogue.models import Component, Record
from archive.service import ArchiveService, NewComponent, NewEvent
from ingest.edxml.errors import EdxmlRejected
from ingest.edxml.mapping import STATUS_VI, declared_metadata, edxml_extra
from ingest.edxml.model import EdxmlMessage
from ingest.edxml.parse import Limits, parse_message
from ingest.edxml.signature import SignatureResult, verify_message
from ingest.pipeline import AttachedFile, SourceFile

MESSAGE_ROLE = "edxml_message"
ATTACHMENT_ROLE = "attachment"
STATUS_ROLE = "edxml_status"
AGENT = "software:luutru edXML import"


@dataclass
class EdxmlOutcome:
    outcome: str
    """ingested / duplicate / status / rejected."""
    record_id: str | None = None
    sha256: str | None = None
    """SHA-256 of the message file."""
    code: str | None = None
    message_vi: str | None = None
    message_en: str | None = None
    kind: str | None = None
    so_ky_hieu: str | None = None
    signature: str | None = None
    """The message signature: valid / invalid / unverifiable / absent."""
    signature_vi: str | None = None
    attachments: int = 0
    warnings: list[str] = field(default_factory=list)
    quarantine: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class EdxmlImportService:
    """``ingest``: the ``IngestService`` (its pipeline and quarantine); ``archive``: lookups and
    status events."""

    def __init__(self, ingest, archive: ArchiveService, limits: Limits, spool: Path):
        self.ingest = ingest
        self.archive = archive
        self.limits = limits
        self.spool = spool

    def import_file(self, path: Path, *, submitter: str, source: str = "cli", name: str | None = None) -> EdxmlOutcome:
        name = name or path.name
        sha = None
        try:
            size = path.stat().st_size
            if size > self.limits.max_message_size:  # before a byte is read
                raise EdxmlRejected("too_large", f"{size:,} > {self.limits.max_message_size:,} byte")
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            msg = parse_message(data, self.limits)
            if msg.kind == "status":
                return self._status(msg, data, sha, name, submitter)
            return self._document(msg, data, sha, name, submitter, source)
        except EdxmlRejected as rej:
            return self._reject(path, name, rej, sha, submitter, source)
        except OSError as exc:
            return self._reject(path, name, EdxmlRejected("unreadable", str(exc)), sha, submitter, source)

    # documents ----------------------------------------------------------------------------------
    def _document(self, msg: EdxmlMessage, data: bytes, sha: str, name: str, submitter: str,
                  source: str) -> EdxmlOutcome:
        if msg.business_type in (1, 2, 3):
            raise EdxmlRejected("edxml_unsupported_business", f"BussinessDocType {msg.business_type}")
        so_ky_hieu = "/".join(p for p in (msg.code_number, msg.code_notation) if p) or None
        existing = self._find_message(sha) or self._find_key(msg.key)
        signature = verify_message(msg)
        if existing:
            return EdxmlOutcome("duplicate", record_id=existing, sha256=sha, kind="document", so_ky_hieu=so_ky_hieu,
                                signature=signature.status, signature_vi=signature.message_vi,
                                attachments=len(msg.attachments), warnings=msg.warnings)
        workdir = Path(tempfile.mkdtemp(prefix="luutru-edxml-", dir=self.spool))
        try:
            files = []
            for i, att in enumerate(msg.attachments):
                target = workdir / f"{i:03d}"
                target.write_bytes(att.data)
                files.append((att, target))
            message_path = workdir / "message.edxml"
            message_path.write_bytes(data)
            main, shared = self._main(files)
            extra = edxml_extra(msg, signature, sha)
            if shared:
                # The same bytes are another record's original (an original is stored once): this
                # record's original is then the message itself (docs/interchange.md).
                msg.warnings.append("tệp đính kèm đã là bản gốc của văn bản khác trong kho ("
                                    + ", ".join(f"{a.name}: văn bản {self._label(rid)}" for a, rid in shared)
                                    + ")" + ("; bản gốc của văn bản này là chính thông điệp edXML" if main is None
                                             else ""))
                extra["shared_attachments"] = {a.content_id: rid for a, rid in shared}
            attached = [] if main is None else [AttachedFile(message_path, MESSAGE_ROLE, _xml_type(data), name)]
            attached += [AttachedFile(p, ATTACHMENT_ROLE, a.detected_type or "application/octet-stream", a.name)
                         for a, p in files if main is None or p != main[1]]
            extra["main_attachment"] = main[0].content_id if main else None
            extra["warnings"] = msg.warnings
            original, original_name = (main[1], main[0].name) if main else (message_path, name)
            outcome = self.ingest.run(SourceFile(
                path=original, submit_name=original_name, submitter=submitter, declared=declared_metadata(msg),
                source=f"edxml-{source}", attached=tuple(attached), events=tuple(_events(msg, signature, name)),
                extra={"edxml": extra}))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        common: dict[str, Any] = {"sha256": sha, "kind": "document", "so_ky_hieu": so_ky_hieu, "signature": signature.status,
                  "signature_vi": signature.message_vi, "attachments": len(msg.attachments), "warnings": msg.warnings}
        if outcome.outcome == "rejected":
            where = self._quarantine_message(data, name, outcome.code, outcome.message_vi, sha, submitter, source)
            return EdxmlOutcome("rejected", code="edxml_attachment_rejected",
                                message_vi=f"Tệp {original_name} bị từ chối: {outcome.message_vi}",
                                message_en=f"the file {original_name} was rejected: {outcome.message_en}",
                                quarantine=where, **common)
        return EdxmlOutcome(outcome.outcome, record_id=outcome.record_id, **common)

    def _main(self, files: list) -> tuple[tuple | None, list]:
        """The attachment to be the record's original: the first PDF, else the first attachment,
        among those whose bytes are not already an original in the archive; None when all are."""
        shared, free = [], []
        for att, path in files:
            rid = self.archive.find_original(hashlib.sha256(att.data).hexdigest())
            (shared.append((att, rid)) if rid else free.append((att, path)))
        main = next((f for f in free if f[0].detected_type == "application/pdf"), free[0] if free else None)
        return main, shared

    def _label(self, record_id: str) -> str:
        """A record as officials name it: its số, ký hiệu (or its short id)."""
        with self.archive.catalogue.session() as s:
            rec = s.get(Record, record_id)
            code = "/".join(p for p in (rec.code_number, rec.code_notation) if p) if rec else ""
        return code or record_id[:8]

    def _find_message(self, sha: str) -> str | None:
        with self.archive.catalogue.session() as s:
            return s.execute(sa.select(Component.record_id).where(
                Component.sha256 == sha, Component.role.in_((MESSAGE_ROLE, STATUS_ROLE)),
                Component.status != "destroyed")).scalar()

    def _find_key(self, key: str | None) -> str | None:
        """The record imported from the message with this (From/OrganId, DocumentId)."""
        if not key:
            return None
        with self.archive.catalogue.session() as s:
            return s.execute(sa.select(Record.id).where(
                Record.extra[("edxml", "key")].as_string() == key).order_by(Record.created_at)).scalar()

    # status messages ------------------------------------------------------------------------------
    def _status(self, msg: EdxmlMessage, data: bytes, sha: str, name: str, submitter: str) -> EdxmlOutcome:
        status = msg.status or {}
        rf = status.get("response_for") or {}
        target = self._find_key(f"{rf.get('organ_id')}|{rf.get('document_id')}") if rf.get("organ_id") else None
        if target is None:
            raise EdxmlRejected("edxml_status_unmatched", f"DocumentId {rf.get('document_id')}")
        code = status.get("code") or ""
        label = STATUS_VI.get(code, f"mã trạng thái {code} (chưa biết)")
        common: dict[str, Any] = {"record_id": target, "sha256": sha, "kind": "status", "warnings": msg.warnings,
                  "so_ky_hieu": self._label(target)}
        if self._find_message(sha):
            return EdxmlOutcome("duplicate", **common)
        with self.archive.catalogue.session() as s:
            extra = s.get_one(Record, target).extra or {}  # target: the record found above
        history = list((extra.get("edxml") or {}).get("statuses") or [])
        history.append({**status, "from": msg.sender.as_dict(), "label_vi": label, "message_sha256": sha})
        self.archive.amend_derived(
            target, actor=submitter,
            components=[NewComponent(_bytes_stream(data), STATUS_ROLE, _xml_type(data), name)],
            events=[NewEvent("edXML status", agent=f"organ:{msg.sender.organ_id}",
                             outcome="success" if code not in ("02", "16") else "warning",
                             detail=f"{code} {label} — {msg.sender.organ_name or msg.sender.organ_id}"
                                    + (f": {status['description']}" if status.get("description") else ""),
                             data={**status, "from": msg.sender.as_dict()})],
            extra={"edxml": {**(extra.get("edxml") or {}), "statuses": history}})
        return EdxmlOutcome("status", **common)

    # rejections ---------------------------------------------------------------------------------
    def _reject(self, path: Path, name: str, rej: EdxmlRejected, sha: str | None, submitter: str,
                source: str) -> EdxmlOutcome:
        where = None
        try:
            if path.is_file():
                where = str(self.ingest.quarantine.put(path, name=name, code=rej.code, message_vi=rej.message_vi,
                                                       message_en=rej.message_en, sha256=sha, submitter=submitter,
                                                       source=f"edxml-{source}"))
        except OSError:
            where = None
        return EdxmlOutcome("rejected", sha256=sha, code=rej.code, message_vi=rej.message_vi,
                            message_en=rej.message_en, quarantine=where)

    def _quarantine_message(self, data: bytes, name: str, code: str, message_vi: str, sha: str, submitter: str,
                            source: str) -> str | None:
        with tempfile.NamedTemporaryFile(dir=self.spool, prefix="edxml-", delete=False) as tmp:
            tmp.write(data)
        try:
            return str(self.ingest.quarantine.put(Path(tmp.name), name=name, code=code, message_vi=message_vi,
                                                  message_en=code, sha256=sha, submitter=submitter,
                                                  source=f"edxml-{source}"))
        except OSError:
            return None
        finally:
            Path(tmp.name).unlink(missing_ok=True)


def _events(msg: EdxmlMessage, signature: SignatureResult, name: str) -> list[NewEvent]:
    events = []
    for i, t in enumerate(msg.trace):
        when = t.timestamp.strftime("%d/%m/%Y %H:%M") if t.timestamp else (t.raw_timestamp or "?")
        events.append(NewEvent("transfer", agent=f"organ:{t.organ_id or 'null'}",
                               detail=f"edXML: chặng {i + 1}, {t.organ_id or '?'} lúc {when}",
                               data={"organ_id": t.organ_id, "timestamp": t.timestamp.isoformat() if t.timestamp
                                     else None, "raw": t.raw_timestamp}))
    receivers = ", ".join(r.organ_id or r.organ_name or "?" for r in msg.receivers) or "?"
    events.append(NewEvent("edXML receipt", agent=AGENT,
                           detail=f"{name}: từ {msg.sender.organ_name or '?'} ({msg.sender.organ_id}) "
                                  f"gửi {receivers}; {len(msg.attachments)} tệp đính kèm",
                           outcome="warning" if msg.warnings else "success",
                           data={"sender": msg.sender.as_dict(), "receivers": [r.as_dict() for r in msg.receivers],
                                 "document_id": msg.document_id, "dialect": msg.dialect, "warnings": msg.warnings}))
    outcome = {"valid": "success", "invalid": "failure"}.get(signature.status, "warning")
    events.append(NewEvent("digital signature validation", agent="software:signxml via luutru", outcome=outcome,
                           detail=f"edXML: {signature.message_vi}", data=signature.as_dict()))
    return events


def _xml_type(data: bytes) -> str:
    head = data[:2048].lstrip().lower()
    return "multipart/related" if head.startswith((b"mime-version:", b"content-type:")) else "application/xml"


def _bytes_stream(data: bytes):
    import io

    return io.BytesIO(data)
