"""Extraction: text and metadata in an isolated worker, then NFC and legacy-encoding repair."""

from __future__ import annotations

import unicodedata

from ingest.extract.base import ExtractionFailed
from ingest.extract.pool import ExtractionPool
from ingest.pipeline import IngestContext, NoCleanup, Rejected
from ingest.vnlegacy import fix_legacy_text


class ExtractStep(NoCleanup):
    name = "extract"

    def __init__(self, pool: ExtractionPool):
        self.pool = pool

    def applies(self, ctx: IngestContext) -> bool:
        return ctx.media_type is not None

    def run(self, ctx: IngestContext) -> None:
        assert ctx.media_type is not None  # applies() checked it
        try:
            extraction, structure = self.pool.extract(ctx.source.path, ctx.media_type)
        except ExtractionFailed as exc:
            raise Rejected(exc.code, str(exc)) from None
        ctx.pdf = structure
        if structure and structure.get("encrypted") == "owner_password":
            ctx.warnings.append("the PDF carries permission restrictions (owner password)")
        # No extractor normalises: PDFs typed with decomposed Vietnamese would never match a query.
        text = unicodedata.normalize("NFC", extraction.text)
        fixed = fix_legacy_text(text)
        if fixed.encoding:
            ctx.legacy_encoding = fixed.encoding
            ctx.warnings.append(f"text converted from {fixed.encoding.upper()} to Unicode "
                                f"({fixed.changed_chars} characters)")
        ctx.text = fixed.text
        ctx.warnings.extend(extraction.warnings)
        pages = extraction.pages or (structure or {}).get("pages")
        ctx.extraction = {"extractor": extraction.extractor, "detected_media_type": extraction.media_type,
                          "pages": pages, "characters": len(ctx.text),
                          "metadata": {k: v for k, v in extraction.metadata.items() if len(str(v)) < 2000}}
