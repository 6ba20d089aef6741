"""Extraction: text (NFC, legacy encodings repaired) and metadata from an isolated worker."""

from __future__ import annotations

import unicodedata

from ingest.describe.description import Description
from ingest.extract.base import ExtractionFailed
from ingest.extract.pool import ExtractionPool
from ingest.pipeline import IngestContext, NoCleanup, Rejected
from search.analysis import PrecomputedAnalyses


class ExtractStep(NoCleanup):
    name = "extract"

    def __init__(self, pool: ExtractionPool, analyses: PrecomputedAnalyses | None = None):
        self.pool = pool
        self.analyses = analyses
        """Where the index takes the text's analysis from (the embedded backend's): the worker
        makes it beside the text, so the ingesting process does not read the whole text again."""

    def applies(self, ctx: IngestContext) -> bool:
        return ctx.media_type is not None

    def run(self, ctx: IngestContext) -> None:
        assert ctx.media_type is not None  # applies() checked it
        try:
            extraction, structure = self.pool.extract(
                ctx.source.path, ctx.media_type, analyse=self.analyses is not None, describe=True,
                analysis_limit=self.analyses.max_chars if self.analyses is not None else None)
        except ExtractionFailed as exc:
            raise Rejected(exc.code, str(exc)) from None
        ctx.pdf = structure
        if structure and structure.get("encrypted") == "owner_password":
            ctx.warnings.append("the PDF carries permission restrictions (owner password)")
        # The worker gave NFC text, legacy fonts converted (``ingest.extract.worker.repaired``): a
        # whole text is not read again here; one the pool cut at ``max_text_chars`` is normalised
        # again, as before (cheap insurance at the cut point, for a rare huge text).
        if extraction.legacy_encoding:
            ctx.legacy_encoding = extraction.legacy_encoding
            ctx.warnings.append(f"text converted from {extraction.legacy_encoding.upper()} to Unicode "
                                f"({extraction.legacy_changed_chars} characters)")
        ctx.text = unicodedata.normalize("NFC", extraction.text) if extraction.cut else extraction.text
        if extraction.description is not None:
            ctx.parsed = (ctx.text, Description.from_dict(extraction.description))
        if self.analyses is not None and extraction.analysis is not None:
            self.analyses.offer(ctx.text, extraction.analysis)
        ctx.warnings.extend(extraction.warnings)
        pages = extraction.pages or (structure or {}).get("pages")
        ctx.extraction = {"extractor": extraction.extractor, "detected_media_type": extraction.media_type,
                          "pages": pages, "characters": len(ctx.text),
                          "metadata": {k: v for k, v in extraction.metadata.items() if len(str(v)) < 2000}}
