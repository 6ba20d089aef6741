"""An extraction worker process: ``python -m ingest.extract.worker CONFIG_JSON``.

Reads one JSON request per line on stdin (``{"path", "media_type", "out"}``), writes the text to
``out`` (UTF-8) and answers one JSON line. The protocol uses a private copy of the original stdout;
fd 1 is pointed at stderr so that native libraries printing to stdout cannot corrupt it.

Isolation is the point: PDFium is not thread-safe and native parsers can hang or balloon on
hostile files. The parent (``ingest.extract.pool``) enforces a time and memory limit per file by
killing the process, and starts a fresh one.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import unicodedata
from pathlib import Path

from ingest.describe import parse_document
from ingest.extract.base import Extraction, ExtractionFailed
from ingest.extract.pdf import PdfiumExtractor, pdf_structure
from ingest.extract.tika import MAX_TEXT, TikaEmbeddedExtractor, TikaServerExtractor
from ingest.ocr.engine import OcrUnavailable, pdf_to_pdfa, run_ocr
from ingest.vnlegacy import fix_legacy_text
from search.analysis import BodyAnalysis


def _job(req: dict) -> dict:
    """The jobs other than extraction: ``ocr`` (a searchable PDF/A of a scan) and ``pdfa`` (a
    PDF/A copy of a PDF); results are files in ``req["work"]``, described by the answer."""
    path, work = Path(req["path"]), Path(req["work"])
    # OCRmyPDF's temporary folder inside the job's: a job killed at its limit leaves nothing in
    # /tmp (the caller removes its work folder whatever happens)
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(work / "tmp")
    try:
        return _run_job(req["op"], path, work, req)
    finally:
        tempfile.tempdir = None


def _run_job(op: str, path: Path, work: Path, req: dict) -> dict:
    if op == "ocr":
        p = req.get("params") or {}
        return run_ocr(path, req["media_type"], work, language=p.get("language", "vie"), pages=p.get("pages"),
                       deskew=p.get("deskew", "auto"), rotate_pages=p.get("rotate_pages", False),
                       clean=p.get("clean", False), drop_red=p.get("drop_red", False),
                       red_stamps=p.get("red_stamps", False))
    if op == "pdfa":
        return pdf_to_pdfa(path, work)
    raise ValueError(f"unknown job {op!r}")


def _read_text(path: Path) -> Extraction:
    with open(path, "rb") as f:
        raw = f.read(MAX_TEXT * 4)
        cut = bool(f.read(1))
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and cut and exc.start > len(raw) - 4:
                text = raw[: exc.start].decode("utf-8-sig")
                break
    else:
        text = raw.decode("latin-1")
        encoding = "latin-1"
    warnings = [f"text cut at {len(raw):,} bytes"] if cut else []
    return Extraction(text=text, extractor=f"plain-text ({encoding})", media_type="text/plain",
                      metadata={"encoding": encoding}, warnings=warnings)


class Worker:
    def __init__(self, config: dict):
        self.pdfium = PdfiumExtractor()
        self.tika = (TikaServerExtractor(config["tika_url"], config.get("timeout", 120))
                     if config.get("tika") == "server" else TikaEmbeddedExtractor())

    def run(self, path: Path, media_type: str) -> tuple[Extraction, dict | None]:
        if media_type == "application/pdf":
            structure = pdf_structure(path)
            if structure.get("encrypted") == "user_password":
                raise ExtractionFailed("encrypted", "the PDF needs a password to open")
            try:
                # the text and the pages' coverage (for the OCR decision) in one pass over the pages
                extraction, coverage = self.pdfium.extract_with_coverage(path)
                if isinstance(coverage, list):
                    structure["page_coverage"] = coverage
                else:
                    structure["errors"].append(f"page coverage: {coverage}")
                return extraction, structure
            except ExtractionFailed as first:
                try:
                    result = self.tika.extract(path, media_type)
                except ExtractionFailed:
                    raise first from None
                result.warnings.append(f"PDFium failed ({first}); text from Tika")
                return result, structure
        if media_type == "text/plain":
            return _read_text(path), None
        return self.tika.extract(path, media_type), None


def repaired(extraction: Extraction) -> Extraction:
    """The text as the archive keeps it: NFC (no extractor normalises: PDFs typed with decomposed
    Vietnamese would never match a query), and text typed in a TCVN3 or VNI font converted to
    Unicode. Done here rather than in the ingesting process: it reads the whole text (2.4 ms of
    CPU per document of the bench corpus, about 5 % of that process's, when it ran there), and a
    pathological text meets this process's time and memory limits."""
    fixed = fix_legacy_text(unicodedata.normalize("NFC", extraction.text))
    extraction.text = fixed.text
    if fixed.encoding:
        extraction.legacy_encoding, extraction.legacy_changed_chars = fixed.encoding, fixed.changed_chars
    return extraction


def main() -> None:
    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    worker = Worker(config)
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("op", "extract") != "extract":
            try:
                answer = {"ok": True, "result": _job(req)}
            except OcrUnavailable as exc:
                answer = {"ok": False, "code": "ocr_unavailable", "error": str(exc)}
            except MemoryError:
                answer = {"ok": False, "code": "resource_limit", "error": "out of memory"}
            except Exception as exc:  # noqa: BLE001 - a failed OCR is this file's problem
                answer = {"ok": False, "code": "ocr_failed", "error": f"{type(exc).__name__}: {exc}"[:2000]}
            proto.write(json.dumps(answer, ensure_ascii=False, default=str) + "\n")
            proto.flush()
            continue
        try:
            extraction, structure = worker.run(Path(req["path"]), req["media_type"])
            extraction = repaired(extraction)
            with open(req["out"], "w", encoding="utf-8") as out:
                out.write(extraction.text)
            # Work on the text done here rather than in the ingesting process, only for a text the
            # pool will not cut: the embedded index's analysis, the Decree 30 description.
            # (the pool checks the cut again when it reads the text: it bounds its own memory)
            whole = len(extraction.text) <= req.get("max_chars", 0)
            limit = req.get("analysis_limit")
            if req.get("analysis_out") and whole and (limit is None or len(extraction.text) <= limit):
                analysis = BodyAnalysis.serialise(extraction.text)
                if limit is None or len(extraction.text) + len(analysis) <= limit:  # else refused by the taker
                    with open(req["analysis_out"], "w", encoding="utf-8") as out:
                        out.write(analysis)
            described = parse_document(extraction.text).as_dict() if req.get("describe") and whole else None
            answer = {"ok": True, "extractor": extraction.extractor, "media_type": extraction.media_type,
                      "pages": extraction.pages, "metadata": extraction.metadata,
                      "warnings": extraction.warnings, "structure": structure,
                      "legacy_encoding": extraction.legacy_encoding,
                      "legacy_changed_chars": extraction.legacy_changed_chars, "description": described}
        except ExtractionFailed as exc:
            answer = {"ok": False, "code": exc.code, "error": str(exc)}
        except ConnectionError as exc:
            answer = {"ok": False, "code": "transient", "error": str(exc)}
        except RecursionError:
            answer = {"ok": False, "code": "resource_limit", "error": "structure nested too deeply"}
        except MemoryError:
            answer = {"ok": False, "code": "resource_limit", "error": "out of memory"}
        except Exception as exc:  # noqa: BLE001 - any parser crash is this file's problem
            answer = {"ok": False, "code": "corrupt", "error": f"{type(exc).__name__}: {exc}"}
        proto.write(json.dumps(answer, ensure_ascii=False, default=str) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
