"""PDF: text through PDFium (fast; not thread-safe, so one document at a time per process) and
structure through pypdf (page count, version, PDF/A claim, signature fields, encryption, embedded
files, incremental updates)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ingest.extract.base import Extraction, ExtractionFailed

PDF_TYPES = {"application/pdf"}


class PdfiumExtractor:
    name = "pdfium"

    def score(self, media_type: str) -> int | None:
        return 100 if media_type in PDF_TYPES else None

    def extract(self, path: Path, media_type: str) -> Extraction:
        return self.extract_with_coverage(path, coverage=False)[0]

    def extract_with_coverage(self, path: Path, *, coverage: bool = True) -> tuple[Extraction, list[dict] | str | None]:
        """The text and, in the same pass over the pages, the OCR decision's coverage (per page
        ``chars`` of text and ``image``, the share of the page covered by images), or the error that
        stopped reading it (a str). One pass: a separate reading of the document and of every page's
        text for the coverage (``page_coverage``, removed) cost as much CPU as the extraction."""
        import pypdfium2 as pdfium

        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            code = "encrypted" if "password" in str(exc).lower() else "corrupt"
            raise ExtractionFailed(code, f"PDFium: {exc}") from None
        pages: list[dict] | str | None = [] if coverage else None
        try:
            parts = []
            for page in doc:
                if isinstance(pages, list):
                    try:
                        image = image_share(page)
                    except Exception as exc:  # noqa: BLE001 - the OCR decision then sees no scan
                        pages = f"{type(exc).__name__}: {exc}"
                textpage = page.get_textpage()
                parts.append(textpage.get_text_bounded())
                textpage.close()
                page.close()
                if isinstance(pages, list):
                    pages.append({"chars": len(parts[-1].strip()), "image": image})
            # PDFium separates lines with CRLF; pages with a form feed, as pdftotext does.
            text = "\f".join(p.replace("\r\n", "\n") for p in parts)
            return Extraction(text=text, extractor=self.name, media_type="application/pdf", pages=len(parts)), pages
        finally:
            doc.close()


def image_share(page: Any) -> float:
    """The share of a PDFium page covered by images (counted for the OCR decision,
    ``ingest.ocr.engine.pages_needing_ocr``)."""
    import pypdfium2.raw as raw

    w, h = page.get_size()
    area = max(w * h, 1.0)
    covered = 0.0
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        try:
            left, bottom, right, top = obj.get_bounds()
        except Exception:  # noqa: BLE001 - a broken object covers nothing
            continue
        covered += max(0.0, min(right, w) - max(left, 0)) * max(0.0, min(top, h) - max(bottom, 0))
    return round(min(1.0, covered / area), 3)


_PDFA = re.compile(rb"<pdfaid:part(?:\s[^>]*)?>\s*(\d)\s*</pdfaid:part>|pdfaid:part=[\"'](\d)[\"']")
_PDFA_CONF = re.compile(rb"<pdfaid:conformance(?:\s[^>]*)?>\s*([ABUabu])\s*</pdfaid:conformance>"
                        rb"|pdfaid:conformance=[\"']([ABUabu])[\"']")


def pdf_structure(path: Path) -> dict:
    """What pypdf reads from the file's structure. Never raises: problems become ``errors``.

    ``encrypted`` is "user_password" when the document cannot be opened without a password,
    "owner_password" when it opens but carries permission restrictions, else False.
    """
    import pypdf

    info: dict = {"errors": []}
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
        m = re.search(rb"%PDF-(\d\.\d)", head)
        info["version"] = m.group(1).decode() if m else None
        with open(path, "rb") as f:
            # incremental updates: each revision ends with its own %%EOF
            info["revisions"] = sum(chunk.count(b"%%EOF") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError as exc:
        info["errors"].append(f"read: {exc}")
    try:
        reader = pypdf.PdfReader(str(path), strict=False)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        info["errors"].append(f"pypdf: {type(exc).__name__}: {exc}")
        info["readable"] = False
        return info
    info["readable"] = True
    try:
        if reader.is_encrypted:
            opened: int  # a PasswordType (an IntEnum: NOT_DECRYPTED is 0)
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001
                opened = 0
            info["encrypted"] = "owner_password" if opened else "user_password"
            if not opened:
                return info
        else:
            info["encrypted"] = False
        info["pages"] = len(reader.pages)
        fields = reader.get_fields() or {}
        info["signature_fields"] = sorted(name for name, f in fields.items() if f.get("/FT") == "/Sig")
        info["signed_fields"] = sorted(name for name, f in fields.items()
                                       if f.get("/FT") == "/Sig" and f.get("/V") is not None)
        try:
            info["embedded_files"] = sorted(reader.attachments.keys())
        except Exception:  # noqa: BLE001
            info["embedded_files"] = []
        xmp = None
        try:
            meta = reader.root_object.get("/Metadata")
            xmp = meta.get_object().get_data() if meta is not None else None
        except Exception:  # noqa: BLE001
            xmp = None
        if xmp:
            part, conf = _PDFA.search(xmp), _PDFA_CONF.search(xmp)
            if part:
                level = (part.group(1) or part.group(2)).decode()
                c = (conf.group(1) or conf.group(2)).decode().lower() if conf else ""
                info["pdfa"] = f"PDF/A-{level}{c}"
        try:
            docinfo: dict[Any, Any] = reader.metadata or {}
            info["info"] = {k.lstrip("/"): str(v) for k, v in docinfo.items() if isinstance(k, str)}
        except Exception:  # noqa: BLE001
            info["info"] = {}
    except RecursionError:
        info["errors"].append("pypdf: structure nested too deeply")
    except Exception as exc:  # noqa: BLE001
        info["errors"].append(f"pypdf: {type(exc).__name__}: {exc}")
    return info
