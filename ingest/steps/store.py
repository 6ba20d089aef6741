"""Store: the original, its text and its description in one unit of work (ArchiveService)."""

from __future__ import annotations

import io
import json

from archive.errors import IntegrityError, RecordNotFound
from archive.service import ArchiveService, DuplicateRecord, InvalidMetadata, NewComponent, NewEvent
from ingest.pipeline import DuplicateFound, IngestContext, Rejected

SOFTWARE = "software:luutru ingest"


class StoreStep:
    name = "store"

    def __init__(self, archive: ArchiveService):
        self.archive = archive

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
            "declared": {k: str(v) for k, v in ctx.source.declared.items()},
        }
        derivatives = [
            NewComponent(io.BytesIO((ctx.text or "").encode("utf-8")), "text", "text/plain; charset=utf-8",
                         "text.txt"),
            NewComponent(io.BytesIO(json.dumps(report, ensure_ascii=False, indent=1, default=str).encode()),
                         "metadata", "application/json", "metadata.json"),
        ]
        events = [
            NewEvent("format identification", detail=ctx.media_type, agent=SOFTWARE,
                     outcome="success" if ctx.extension_matches else "warning",
                     data={"media_type": ctx.media_type, "extension_matches": ctx.extension_matches}),
            NewEvent("metadata extraction", agent=f"software:{ctx.extraction.get('extractor', 'luutru')}",
                     detail=f"{ctx.extraction.get('characters', 0)} characters, "
                            f"{ctx.extraction.get('pages') or '?'} pages",
                     outcome="warning" if ctx.warnings else "success",
                     data={"warnings": ctx.warnings} if ctx.warnings else None),
        ]
        if ctx.legacy_encoding:
            events.append(NewEvent("character conversion", agent=SOFTWARE,
                                   detail=f"{ctx.legacy_encoding.upper()} → Unicode (text derivative only; "
                                          "the original is unchanged)"))
        try:
            with open(ctx.source.path, "rb") as stream:
                created = self.archive.create_record(
                    stream, filename=ctx.source.name, metadata=ctx.metadata, actor=ctx.source.submitter,
                    media_type=ctx.media_type, format_id=ctx.format_id, dossier_id=dossier_id,
                    expected_sha256=ctx.sha256, size=ctx.size, derivatives=derivatives, events=events)
        except DuplicateRecord as dup:
            raise DuplicateFound(dup.record_id) from None
        except IntegrityError:
            raise Rejected("unreadable", "the file changed while it was being archived") from None
        except (InvalidMetadata, RecordNotFound) as exc:
            raise Rejected("invalid_metadata", str(exc)) from None
        ctx.record_id = created.record_id
