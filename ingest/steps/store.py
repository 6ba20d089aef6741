"""Store: the original, its text and its description in one unit of work (ArchiveService)."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from archive.dossier_state import DossierClosed, DossierLocked
from archive.errors import IntegrityError, RecordNotFound
from archive.service import ArchiveService, DuplicateRecord, InvalidMetadata, NewComponent, NewEvent
from ingest.formats import identify_components
from ingest.pipeline import DuplicateFound, IngestContext, NoCleanup, Rejected
from ingest.steps.ocr import recorded

SOFTWARE = "software:luutru ingest"


def needs_preservation(ctx: IngestContext) -> bool:
    """A PDF/A claim to validate, an OCR copy to validate, or a PDF/A-2b copy the policy asks for."""
    return bool((ctx.pdf or {}).get("pdfa") or (ctx.ocr or {}).get("status") == "done"
                or (ctx.policy or {}).get("preservation") == "pdfa-2b")


class StoreStep(NoCleanup):
    name = "store"

    def __init__(self, archive: ArchiveService, identifier=None):
        self.archive = archive
        self.identifier = identifier

    def applies(self, ctx: IngestContext) -> bool:
        return True

    def run(self, ctx: IngestContext) -> None:
        dossier_id = None
        if ctx.source.dossier_code:
            dossier_id = self.archive.find_dossier(ctx.source.dossier_code)
            if dossier_id is None:
                raise Rejected("invalid_metadata", f"không có hồ sơ {ctx.source.dossier_code}")
        report = {
            "media_type": ctx.media_type, "extension_matches": ctx.extension_matches,
            "extraction": ctx.extraction, "pdf": ctx.pdf, "legacy_encoding": ctx.legacy_encoding,
            "description": ctx.description.as_dict() if ctx.description is not None else None,
            "classification": ctx.classification, "warnings": ctx.warnings,
            "format": ctx.format, "policy": ctx.policy, "ocr": ctx.ocr,
            "declared": {k: str(v) for k, v in ctx.source.declared.items()},
        }
        derivatives = [
            NewComponent(io.BytesIO((ctx.text or "").encode("utf-8")), "text", "text/plain; charset=utf-8",
                         "text.txt"),
            NewComponent(io.BytesIO(json.dumps(report, ensure_ascii=False, indent=1, default=str).encode()),
                         "metadata", "application/json", "metadata.json", format_id="fmt/817"),
        ]
        fmt = ctx.format or {}
        events = [
            NewEvent("format identification", agent=f"software:{fmt.get('tool') or 'luutru media type'}",
                     detail=(f"{fmt['puid']} {fmt.get('name') or ''} {fmt.get('version') or ''}".strip()
                             if fmt.get("puid") else f"{ctx.media_type} (no PRONOM identifier: "
                             f"{fmt.get('warning') or 'Siegfried is not configured'})"),
                     outcome="success" if ctx.extension_matches and fmt.get("puid") else "warning",
                     data={"media_type": ctx.media_type, "extension_matches": ctx.extension_matches,
                           "puid": fmt.get("puid"), "format_name": fmt.get("name"),
                           "format_version": fmt.get("version"), "tool": fmt.get("tool"),
                           "basis": fmt.get("basis"), "warning": fmt.get("warning")}),
            NewEvent("metadata extraction", agent=f"software:{ctx.extraction.get('extractor', 'luutru')}",
                     detail=f"{ctx.extraction.get('characters', 0)} characters, "
                            f"{ctx.extraction.get('pages') or '?'} pages",
                     outcome="warning" if ctx.warnings else "success",
                     data={"warnings": ctx.warnings} if ctx.warnings else None),
        ]
        tasks: list[tuple[str, dict[str, Any]]] = []
        assert ctx.metadata is not None  # the describe step sets it (always runs before this one)
        # Every ingested file was examined: no report means unsigned (searchable as such).
        ctx.metadata.extra["signatures"] = []
        if ctx.signatures is not None and ctx.signatures.reports:
            ctx.metadata.extra["signatures"] = ctx.signatures.summaries()
            ctx.metadata.extra["signature_findings"] = ctx.signatures.findings
            derivatives.append(NewComponent(
                io.BytesIO(json.dumps(ctx.signatures.as_report(), ensure_ascii=False, indent=1, default=str).encode()),
                "signature_report", "application/json", "signatures.json", format_id="fmt/817"))
            overall = ctx.signatures.overall
            events.append(NewEvent("digital signature validation", agent="software:pyHanko via luutru",
                                   outcome="success" if overall == "VALID" else "warning",
                                   detail=f"{len(ctx.signatures.reports)} signature(s): {overall}",
                                   data={"overall": overall, "findings": ctx.signatures.findings}))
            if any(r.kind == "signature" for r in ctx.signatures.reports):
                tasks.append(("make_ltv_copy", {"record_id": None}))
        if ctx.timestamp_token is not None:
            assert ctx.timestamp_event is not None  # the timestamp step sets both
            derivatives.append(NewComponent(io.BytesIO(ctx.timestamp_token), "timestamp",
                                            "application/timestamp-token", "archive-timestamp.tst"))
            events.append(NewEvent("timestamping", agent=SOFTWARE, data=ctx.timestamp_event,
                                   detail=f"archive timestamp {ctx.timestamp_event['gen_time']}"))
        if ctx.legacy_encoding:
            events.append(NewEvent("character conversion", agent=SOFTWARE,
                                   detail=f"{ctx.legacy_encoding.upper()} → Unicode (text derivative only; "
                                          "the original is unchanged)"))
        derivatives += ctx.derivatives
        events += ctx.events + list(ctx.source.events)
        opened = []
        for attached in ctx.source.attached:  # an edXML message and its other attachments
            stream = open(attached.path, "rb")  # closed in the finally below
            opened.append(stream)
            derivatives.append(NewComponent(stream, attached.role, attached.media_type, attached.filename))
        if ctx.source.extra:
            ctx.metadata.extra.update(ctx.source.extra)
        tasks += ctx.tasks
        if ctx.ocr is not None:
            ctx.metadata.extra["ocr"] = recorded(ctx.ocr)
        if ctx.policy is not None:
            ctx.metadata.extra["format_policy"] = ctx.policy
        if ctx.pdf and ctx.pdf.get("pdfa"):
            ctx.metadata.extra["pdfa_claim"] = ctx.pdf["pdfa"]
        if needs_preservation(ctx):
            # PDF/A claims and copies are validated, preservation copies made, off the ingest path
            tasks.append(("preserve_record", {"record_id": None}))
        if self.identifier is not None:
            derivatives = identify_components(self.identifier, derivatives, ctx.workdir / "formats")
        assert ctx.media_type is not None  # the identify step sets it or rejects the file
        record_id = str(uuid.uuid4())
        for _, args in tasks:
            args["record_id"] = record_id
        try:
            with open(ctx.source.path, "rb") as stream:
                created = self.archive.create_record(
                    stream, filename=ctx.source.name, metadata=ctx.metadata, actor=ctx.source.submitter,
                    media_type=ctx.media_type, format_id=ctx.format_id, dossier_id=dossier_id,
                    expected_sha256=ctx.sha256, size=ctx.size, derivatives=derivatives, events=events,
                    tasks=tasks, record_id=record_id, original_format=ctx.format, require_open=True)
        except DuplicateRecord as dup:
            raise DuplicateFound(dup.record_id) from None
        except (DossierClosed, DossierLocked) as exc:
            # Entry points refuse a closed dossier before touching any file; this is a dossier
            # closed while the file was on its way.
            raise Rejected("dossier_closed", exc.message_vi) from None
        except IntegrityError:
            raise Rejected("unreadable", "the file changed while it was being archived") from None
        except (InvalidMetadata, RecordNotFound) as exc:
            raise Rejected("invalid_metadata", str(exc)) from None
        finally:
            for stream in opened:
                stream.close()
        ctx.record_id = created.record_id
