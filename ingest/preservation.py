"""OCR and preservation work on records already archived (background tasks and ``luutru ocr``).

* ``ocr_record`` — OCR a record's original (the pages the format policy and the page coverage
  choose): a new ``text`` component (the newest wins in the index), the searchable PDF/A-2b
  ``ocr_copy``, the per-page confidence in ``extra["ocr"]``, the Decree 30 header fields read from
  the OCR text where the record has none (declared and corrected values are never replaced), a
  PREMIS event naming the tools. Used by the deferred task of a slow OCR and by ``luutru ocr``.
* ``preserve_record`` — validate with veraPDF the PDF/A the original claims to be and the
  searchable copy; make the PDF/A-2b preservation copy the policy asks for (LibreOffice for
  DOCX/ODT/XLSX/ODS, Ghostscript for a PDF that is not PDF/A; a signed PDF is never converted: its
  preservation copy is the long-term-validation copy), validate it, store it with its events.
  Idempotent: what is done is recorded in ``extra["preservation"]`` and not done twice.
* ``missing_ocr`` / ``low_confidence`` — the records for ``luutru ocr --missing`` and the report.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from archive.catalogue.models import Component, Record
from archive.service import ArchiveService, NewComponent, NewEvent
from ingest.describe.ocr_text import parse_ocr_document
from ingest.extract.base import ExtractionFailed
from ingest.formats import identify_components
from ingest.ocr.engine import OcrUnavailable, tools
from ingest.pdfa import ConversionFailed, ToolMissing, VeraPdfValidator, office_to_pdfa
from ingest.policy import OFFICE
from ingest.steps.ocr import OCR_ROLE, merge_text, ocr_event, ocr_params, pages_to_ocr, recorded, summarise

AGENT = "software:luutru"
PRESERVATION_ROLE = "preservation_copy"
FILLABLE = ("type_name", "code_number", "code_notation", "issued_date", "place", "organ_name", "subject",
            "signer_position", "signer_name", "page_amount", "urgency")
"""Decree 30 fields an OCR after ingest fills where the record has none. Not ``security_level``: a
độ mật read late restricts the record instead (``_restrict_if_marked``)."""


class NothingToDo(Exception):
    """The record has no page to OCR (the message says why)."""


class AlreadyDone(NothingToDo):
    """The record was OCRed already: the ``ocr_record`` task ran before (tasks are at least once)."""


class PreservationService:
    def __init__(self, archive: ArchiveService, pool, policy_store, identifier, ocr_settings, formats_settings,
                 validator: VeraPdfValidator | None = None, *, allow_state_secrets: bool = False):
        self.archive = archive
        self.allow_state_secrets = allow_state_secrets
        self.pool = pool
        self.policy_store = policy_store
        self.identifier = identifier
        self.ocr = ocr_settings
        self.formats = formats_settings
        self.validator = validator

    # reading --------------------------------------------------------------------------------
    def _original(self, record_id: str, work: Path) -> tuple[Path, dict, dict]:
        with self.archive.catalogue.session() as s:
            rec = s.get(Record, record_id)
            extra = dict(rec.extra or {}) if rec is not None else {}
        info, reader = self.archive.open_component(record_id, actor=AGENT)
        suffix = Path(info.get("filename") or "original").suffix.lower()[:10]
        path = work / f"original{suffix}"
        with reader, open(path, "wb") as f:
            for chunk in reader:
                f.write(chunk)
        return path, info, extra

    def _roles(self, record_id: str) -> set[str]:
        with self.archive.catalogue.session() as s:
            return set(s.execute(sa.select(Component.role).where(Component.record_id == record_id,
                                                                 Component.status == "present")).scalars())

    # OCR ------------------------------------------------------------------------------------
    def ocr_record(self, record_id: str, *, actor: str = AGENT, force: bool = False) -> dict:
        """OCR one record now; returns its ``ocr`` summary. Raises ``OcrUnavailable``, ``NothingToDo``."""
        missing = tools(self.ocr.language)["missing"]
        if missing:
            raise OcrUnavailable("; ".join(missing))
        with tempfile.TemporaryDirectory(prefix="luutru-ocr-") as tmp:
            work = Path(tmp)
            path, info, extra = self._original(record_id, work)
            media_type = info["media_type"]
            if (extra.get("ocr") or {}).get("status") == "done" and not force:
                raise AlreadyDone("the record was OCRed already (use --force to OCR it again)")
            try:
                extraction, structure = self.pool.extract(path, media_type)
            except ExtractionFailed as exc:
                raise NothingToDo(f"the original cannot be read: {exc}") from None
            structure = structure or {}
            rule = self.policy_store.current().rule_for(media_type=media_type, puid=None,
                                                        pdfa=bool(structure.get("pdfa")),
                                                        signed=bool(structure.get("signed_fields")))
            pages = pages_to_ocr(media_type, rule.ocr, structure.get("page_coverage"), self.ocr)
            if pages == []:
                raise NothingToDo(f"no page to OCR (format policy rule {rule.name!r}: ocr={rule.ocr})")
            n_pages = len(pages) if pages else (extraction.pages or structure.get("pages") or 1)
            timeout = max(300.0, self.ocr.timeout_seconds_per_page * n_pages)
            try:
                result = self.pool.job("ocr", path, media_type, work / "ocr",
                                       params={**ocr_params(self.ocr), "pages": pages}, timeout=timeout)
            except ExtractionFailed as exc:
                failed = {"status": "failed", "pages": pages, "error": str(exc)[:500]}
                self.archive.amend_derived(record_id, actor=actor, events=[ocr_event(failed)], extra={"ocr": failed})
                raise
            summary = summarise(result, self.ocr)
            text = merge_text(extraction.text, result["texts"], pages)
            fill, description = {}, None
            repairs: list[str] = []
            if any(p["page"] == 1 for p in summary["pages"]):
                from ingest.steps.describe import to_record_metadata

                description, repairs = parse_ocr_document(text, summary.get("stamps"))
                meta, _ = to_record_metadata(description, len(result["texts"]), {})
                fill = {k: getattr(meta, k) for k in FILLABLE if getattr(meta, k) not in (None, "")}
            with open(result["pdf"], "rb") as pdf:
                components = identify_components(self.identifier, [
                    NewComponent(io.BytesIO(text.encode("utf-8")), "text", "text/plain; charset=utf-8", "text.txt"),
                    NewComponent(pdf, OCR_ROLE, "application/pdf", "ocr.pdf")], work / "formats")
                new_extra: dict[str, Any] = {"ocr": recorded(summary)}
                if repairs:
                    new_extra["ocr_header_repairs"] = repairs
                if description is not None and not (extra.get("description") or {}):
                    new_extra["description"] = description.as_dict()
                self.archive.amend_derived(record_id, actor=actor, components=components, events=[ocr_event(summary)],
                                           extra=new_extra, fill=fill,
                                           tasks=[("preserve_record", {"record_id": record_id})])
            if description is not None:
                level = description.value("security_level")
                self._restrict_if_marked(record_id, level if isinstance(level, str) else None)
            return summary

    def _restrict_if_marked(self, record_id: str, level: str | None) -> None:
        """A độ mật (MẬT, TỐI MẬT, TUYỆT MẬT) that only the OCR after ingest could read — text or
        red stamp — restricts the record at once, as ingest would have: its access level becomes
        ``secret`` through a correction (history, audit, out of the index for other readers before
        the commit). Where state secrets may be kept the độ mật itself is set; where they may not,
        the record cannot be refused any more (an accepted original is never removed), so it is
        restricted and a warning event asks the archivists to take it out of this system by the
        procedure for state secrets. Nothing is done for a record already marked or already secret."""
        from archive.corrections import CorrectionService
        from ingest.steps.describe import SECRET_LEVELS

        if level not in SECRET_LEVELS:
            return
        with self.archive.catalogue.session() as s:
            rec = s.get(Record, record_id)
            if rec is None or rec.security_level:
                return
            access = rec.access_level
        if self.allow_state_secrets:
            changes: dict[str, Any] = {"security_level": level}
        elif access != "secret":
            changes = {"access_level": "secret"}
        else:
            return
        reason = (f"Nhận dạng chữ (OCR) sau khi nộp lưu đọc được độ mật «{level}» trên bản gốc: "
                  "hạn chế truy cập ở mức mật")
        CorrectionService(self.archive).edit(record_id, changes, reason=reason, actor=AGENT,
                                             allow_state_secrets=self.allow_state_secrets)
        if not self.allow_state_secrets:
            self.archive.amend_derived(record_id, actor=AGENT, events=[NewEvent(
                "metadata modification", outcome="warning", agent=AGENT,
                detail=(f"OCR read the security mark {level} after ingest; this archive may not hold state "
                        "secrets: access restricted to secret, to be removed by the procedure for state secrets"),
                data={"security_level": level, "code": "state_secret_found"})],
                extra={"state_secret_found": {"security_level": level}})

    def ocr_task(self, record_id: str) -> None:
        """The ``ocr_record`` background task: OCR, or record why not (never raises for the file)."""
        try:
            self.ocr_record(record_id)
        except AlreadyDone:
            return  # the task ran twice (a retry, a second pass): its summary and events stay as they are
        except (NothingToDo, OcrUnavailable) as exc:
            status = "unavailable" if isinstance(exc, OcrUnavailable) else "not_needed"
            summary = {"status": status, "missing": [str(exc)]} if status == "unavailable" else {"status": status}
            self.archive.amend_derived(record_id, actor=AGENT, events=[NewEvent(
                "creation", outcome="warning", agent=AGENT, detail=f"OCR not done: {exc}", data=summary)],
                extra={"ocr": summary})
        except ExtractionFailed:
            pass  # recorded as failed by ocr_record; ``luutru ocr --missing`` retries it

    def missing_ocr(self) -> list[str]:
        """Records whose OCR is pending, failed, unavailable or disabled."""
        return self._by_ocr_status(("deferred", "failed", "unavailable", "disabled"))

    def low_confidence(self) -> list[dict]:
        out = []
        with self.archive.catalogue.session() as s:
            for rec in s.execute(sa.select(Record).order_by(Record.created_at)).scalars():
                ocr = (rec.extra or {}).get("ocr") or {}
                if ocr.get("low_confidence"):
                    out.append({"record_id": rec.id, "so_ky_hieu": rec.so_ky_hieu, "subject": rec.subject,
                                "filename": rec.original_filename, "mean_confidence": ocr.get("mean_confidence"),
                                "pages": ocr.get("low_confidence_pages"), "threshold": ocr.get("threshold")})
        return out

    def _by_ocr_status(self, statuses: tuple[str, ...]) -> list[str]:
        with self.archive.catalogue.session() as s:
            rows = s.execute(sa.select(Record.id, Record.extra).where(Record.status == "active")
                             .order_by(Record.created_at)).all()
        return [rid for rid, extra in rows if ((extra or {}).get("ocr") or {}).get("status") in statuses]

    # preservation ---------------------------------------------------------------------------
    def preserve_record(self, record_id: str, *, actor: str = AGENT) -> dict:
        """Validate PDF/A claims and copies, make the policy's preservation copy (see module doc)."""
        with tempfile.TemporaryDirectory(prefix="luutru-preserve-") as tmp:
            work = Path(tmp)
            path, info, extra = self._original(record_id, work)
            done = dict(extra.get("preservation") or {})
            events: list[NewEvent] = []
            components: list[NewComponent] = []
            roles = self._roles(record_id)
            policy = extra.get("format_policy") or {}
            if extra.get("pdfa_claim") and "original_validation" not in done:
                done["original_validation"] = self._validate(path, extra["pdfa_claim"], "original", events)
            if OCR_ROLE in roles and "ocr_copy_validation" not in done:
                copy = self._component(record_id, OCR_ROLE, work / "ocr_copy.pdf")
                done["ocr_copy_validation"] = self._validate(copy, "PDF/A-2b", OCR_ROLE, events)
            if policy.get("preservation") == "pdfa-2b" and PRESERVATION_ROLE not in roles and "copy" not in done:
                done["copy"] = self._make_copy(path, info["media_type"], extra, work, events, components)
            with _closing(components):
                if components:
                    components = identify_components(self.identifier, components, work / "formats")
                if events or components:
                    self.archive.amend_derived(record_id, actor=actor, components=components, events=events,
                                               extra={"preservation": done})
            return done

    def _component(self, record_id: str, role: str, target: Path) -> Path:
        _, reader = self.archive.open_component(record_id, actor=AGENT, role=role)
        with reader, open(target, "wb") as f:
            for chunk in reader:
                f.write(chunk)
        return target

    def _validate(self, path: Path, claim: str, what: str, events: list[NewEvent]) -> dict:
        flavour = claim.replace("PDF/A-", "").lower() if claim else None
        if self.validator is None:
            events.append(NewEvent("validation", outcome="warning", agent=AGENT,
                                   detail=f"{claim} of the {what} not validated: veraPDF is not installed "
                                          "(deploy/tools/install)", data={"component": what, "claim": claim}))
            return {"validated": False, "reason": "veraPDF not installed"}
        result = self.validator.validate(path, flavour)
        data = {"component": what, "claim": claim, **result.as_dict()}
        if result.compliant is None:
            outcome, detail = "failure", f"{claim} of the {what}: veraPDF could not validate ({result.error})"
        elif result.compliant:
            outcome, detail = "success", f"{what} is a valid {claim} ({result.tool}, {result.passed_rules} rules passed)"
        else:
            outcome, detail = "failure", (f"{what} claims {claim} but is not compliant ({result.tool}: "
                                          f"{result.failed_rules} rules failed)")
        events.append(NewEvent("validation", outcome=outcome, agent=f"software:{result.tool}", detail=detail, data=data))
        return {"validated": True, "compliant": result.compliant, "flavour": result.flavour, "tool": result.tool}

    def _make_copy(self, path: Path, media_type: str, extra: dict, work: Path, events: list[NewEvent],
                   components: list[NewComponent]) -> dict:
        if extra.get("signatures"):
            events.append(NewEvent("normalization", outcome="warning", agent=AGENT,
                                   detail="signed PDF: never converted (its preservation copy is the LTV copy)"))
            return {"made": False, "reason": "signed"}
        try:
            if media_type in OFFICE:
                out_dir = work / "lo"
                out_dir.mkdir()
                pdf = office_to_pdfa(path, out_dir, command=self.formats.libreoffice or "",
                                     timeout=self.formats.tool_timeout_seconds)
                from ingest.pdfa import libreoffice_version

                tool = libreoffice_version(self.formats.libreoffice or "") or "LibreOffice"
            elif media_type == "application/pdf":
                result = self.pool.job("pdfa", path, media_type, work / "pdfa", timeout=self.formats.tool_timeout_seconds)
                pdf, tool = Path(result["pdf"]), result["tools"]
            else:
                return {"made": False, "reason": f"no PDF/A conversion for {media_type}"}
        except (ToolMissing, OcrUnavailable) as exc:
            events.append(NewEvent("normalization", outcome="warning", agent=AGENT,
                                   detail=f"no PDF/A-2b preservation copy: {exc}"))
            return {"made": False, "reason": str(exc)}
        except (ConversionFailed, ExtractionFailed) as exc:
            events.append(NewEvent("normalization", outcome="failure", agent=AGENT,
                                   detail=f"PDF/A-2b preservation copy failed: {exc}"))
            return {"made": False, "reason": str(exc)[:300]}
        validation = self._validate(pdf, "PDF/A-2b", PRESERVATION_ROLE, events)
        events.insert(len(events) - 1, NewEvent("normalization", agent=f"software:{tool}",
                                                detail=f"PDF/A-2b preservation copy made with {tool} "
                                                       "(the original is unchanged)", data={"tool": tool}))
        keep = work / "preservation.pdf"
        shutil.copyfile(pdf, keep)
        components.append(NewComponent(open(keep, "rb"), PRESERVATION_ROLE, "application/pdf",
                                       "preservation.pdf"))
        return {"made": True, "tool": tool, "validation": validation}

    def preserve_task(self, record_id: str) -> None:
        self.preserve_record(record_id)


class _closing:
    def __init__(self, components: list[NewComponent]):
        self.components = components

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for c in self.components:
            c.stream.close()


