"""OCR at ingest: which pages are scans, OCR them in a worker, merge the text, keep the copy.

The format policy (``ingest.policy``) says whether a format is OCRed: ``always`` (images: every
page), ``scanned_pages`` (PDFs: the pages with fewer than ``min_page_chars`` characters of text and
at least ``min_image_coverage`` of their area covered by images, read by PDFium in the
extraction worker) or ``never``. The OCR runs in the extraction pool (``ingest.ocr.engine``).

Never a silent loss:

* done — the recognised text (NFC) replaces the empty text of the scanned pages; the searchable
  PDF/A-2b copy is stored as the ``ocr_copy`` component (the original is untouched); each page's
  mean word confidence is kept, and pages below ``low_confidence`` flag the record;
* longer than ``wait_seconds`` — the record is stored now, without the text, and the
  ``ocr_record`` task (the outbox, then the dispatcher) OCRs it in the background;
* Tesseract missing, OCR disabled or failed — the record is stored with ``ocr.status`` saying so
  and a warning event; ``luutru ocr --missing`` OCRs such records later.

An OCR problem never rejects a file: the original is archived whatever happens.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from archive.service import NewComponent, NewEvent
from ingest.extract.base import ExtractionFailed
from ingest.ocr.engine import IMAGE_TYPES, pages_needing_ocr, tool_names, tools
from ingest.pipeline import IngestContext

OCR_EVENT = "creation"
"""PREMIS event type of the searchable copy's creation (its detail says OCR and names the tools)."""
OCR_ROLE = "ocr_copy"


def ocr_params(settings) -> dict:
    return {"language": settings.language, "deskew": settings.deskew, "rotate_pages": settings.rotate_pages,
            "clean": settings.clean, "drop_red": settings.drop_red, "red_stamps": settings.red_stamps}


def pages_to_ocr(media_type: str | None, rule_ocr: str, coverage: list[dict] | None, settings) -> list[int] | None:
    """Pages to OCR: None for every page, [] for none."""
    if rule_ocr == "never" or media_type is None:
        return []
    if media_type in IMAGE_TYPES or rule_ocr == "always":
        return None
    if media_type == "application/pdf":
        return pages_needing_ocr(coverage or [], min_chars=settings.min_page_chars,
                                 min_image=settings.min_image_coverage)
    return []


def summarise(result: dict, settings) -> dict:
    """The record's ``ocr`` summary: status, per-page confidence, the low-confidence pages."""
    pages = result["pages"]
    words = sum(p["words"] for p in pages)
    mean = round(sum(p["confidence"] * p["words"] for p in pages) / words, 1) if words else 0.0
    low = [p["page"] for p in pages if p["confidence"] < settings.low_confidence]
    return {"status": "done", "pages": pages, "mean_confidence": mean, "low_confidence_pages": low,
            "low_confidence": bool(low), "threshold": settings.low_confidence, "tools": result["tools"],
            "language": result["language"], "preprocessing": result.get("preprocessing", []),
            "stamps": result.get("stamps", []), "deskew": result.get("deskew"),
            "seconds": result.get("seconds")}


RECORDED_PAGE_FIELDS = ("page", "confidence", "words", "skew", "deskewed")
"""What a record keeps of each OCRed page in ``extra["ocr"]``: not its text (that is the text
component), but the confidence, the words, the skew found and whether the page was straightened (for
reading under ``LUUTRU_OCR__DESKEW=auto``, in the copy under ``always``: the summary's ``deskew``)."""


def recorded(summary: dict) -> dict:
    """The OCR summary as the record keeps it (``extra["ocr"]``): each page without its text; the
    pages of a deferred or failed run, page numbers only, are left out."""
    return {k: v for k, v in summary.items() if k != "pages"} | {
        "pages": [{k: p[k] for k in RECORDED_PAGE_FIELDS if k in p} for p in summary.get("pages") or []
                  if isinstance(p, dict)]}


def merge_text(base: str | None, texts: list[str], pages: list[int] | None) -> str:
    """The document's text: OCR text on the OCRed pages, the extracted text elsewhere (NFC)."""
    ocr = [unicodedata.normalize("NFC", t).strip() for t in texts]
    if pages is None:
        return "\f".join(ocr)
    merged = (base or "").split("\f")
    merged += [""] * (len(ocr) - len(merged))
    for n in pages:
        if 0 < n <= len(ocr):
            merged[n - 1] = ocr[n - 1]
    return "\f".join(merged)


def ocr_event(summary: dict) -> NewEvent:
    status = summary.get("status")
    if status == "done":
        pages = summary["pages"]
        detail = (f"OCR ({summary['tools']}): {len(pages)} page(s), mean word confidence "
                  f"{summary['mean_confidence']}; searchable PDF/A-2b copy made (the original is unchanged)")
        straightened = [p for p in pages if p.get("deskewed")]
        if straightened:  # LUUTRU_OCR__DESKEW: auto turns the image Tesseract reads, always the copy's pages
            detail += ("; straightened in the copy: " if summary.get("deskew") == "copy" else
                       "; straightened for reading only (the copy keeps the pages as scanned): ") + ", ".join(
                f"page {p['page']} ({abs(p['skew']):.1f}°)" for p in straightened)
        if summary["low_confidence"]:
            detail += f"; low confidence on page(s) {', '.join(map(str, summary['low_confidence_pages']))}"
        return NewEvent(OCR_EVENT, outcome="warning" if summary["low_confidence"] else "success",
                        agent=f"software:{summary['tools']}", detail=detail, data=summary)
    messages: dict[str | None, str] = {
        "unavailable": "OCR not done: " + "; ".join(summary.get("missing", [])),
        "disabled": "OCR not done: disabled by LUUTRU_OCR__ENABLED",
        "deferred": "OCR takes longer than LUUTRU_OCR__WAIT_SECONDS: it runs as a background task",
        "failed": f"OCR failed: {summary.get('error')}",
    }
    return NewEvent(OCR_EVENT, outcome="failure" if status == "failed" else "warning", agent="software:luutru ocr",
                    detail=messages.get(status, f"OCR {status}"), data=summary)


class OcrStep:
    name = "ocr"

    def __init__(self, pool, policy_store, settings):
        self.pool = pool
        self.policy_store = policy_store
        self.settings = settings

    def applies(self, ctx: IngestContext) -> bool:
        return ctx.media_type is not None

    def run(self, ctx: IngestContext) -> None:
        pdf = ctx.pdf or {}
        rule = self.policy_store.current().rule_for(
            media_type=ctx.media_type, puid=ctx.format_id, pdfa=bool(pdf.get("pdfa")),
            signed=bool(pdf.get("signed_fields")))
        ctx.policy = rule.as_dict()
        pages = pages_to_ocr(ctx.media_type, rule.ocr, pdf.get("page_coverage"), self.settings)
        if pages == []:
            return
        wanted = {"pages": pages}
        if not self.settings.enabled:
            ctx.ocr = {"status": "disabled", **wanted}
        elif tools(self.settings.language)["missing"]:
            ctx.ocr = {"status": "unavailable", "missing": tools(self.settings.language)["missing"], **wanted}
        else:
            self._ocr(ctx, pages)
        assert ctx.ocr is not None  # _ocr sets it on every path
        if ctx.ocr["status"] != "done":
            ctx.warnings.append(ocr_event(ctx.ocr).detail or "")  # ocr_event always gives a detail
        ctx.events.append(ocr_event(ctx.ocr))

    def _ocr(self, ctx: IngestContext, pages: list[int] | None) -> None:
        work = ctx.workdir / "ocr"
        try:
            result = self.pool.job("ocr", ctx.source.path, ctx.media_type, work,
                                   params={**ocr_params(self.settings), "pages": pages},
                                   timeout=self.settings.wait_seconds)
        except ExtractionFailed as exc:
            if exc.code == "timeout":
                ctx.ocr = {"status": "deferred", "pages": pages, "tools": tool_names(self.settings.language)}
                ctx.tasks.append(("ocr_record", {"record_id": None}))
            else:
                ctx.ocr = {"status": "failed", "pages": pages, "error": str(exc)[:500]}
            return
        ctx.ocr = summarise(result, self.settings)
        ctx.text = merge_text(ctx.text, result["texts"], pages)
        ctx.extraction["characters"] = len(ctx.text)
        if pages is None:
            ctx.extraction["pages"] = len(result["texts"])
        ctx.derivatives.append(NewComponent(open(Path(result["pdf"]), "rb"), OCR_ROLE,
                                            "application/pdf", "ocr.pdf"))

    def cleanup(self, ctx: IngestContext) -> None:
        for d in ctx.derivatives:
            if d.role == OCR_ROLE and not d.stream.closed:
                d.stream.close()


def header_from_ocr(ctx: IngestContext) -> bool:
    """Whether the header (page 1) was read by OCR, so the OCR-tolerant parser applies."""
    ocr = ctx.ocr or {}
    return ocr.get("status") == "done" and any(p["page"] == 1 for p in ocr.get("pages", []))
