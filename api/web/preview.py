"""In-browser preview: the pages of a PDF original rendered by PDFium to PNG, cached as derivatives.

The original is read through the verified download path (``FixityService.open``: every byte is
checked against the SHA-256 recorded at ingest before it is used), written to a temporary file,
rendered with pypdfium2 at ``web.preview_width`` pixels wide (at most ``web.preview_max_pages``
pages, each at most three widths high), and the PNGs are kept in
``<data_dir>/derivatives/previews/<sha256>/w<width>/`` — outside the object store, never in place
of the original, keyed by the original's digest so a new original never shows an old picture.
A record that is damaged (fixity failed) or whose original is missing is never previewed, from
cache or not: the caller checks ``previewable`` before serving a page.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from archive.errors import FixityFailed

PDF_TYPES = ("application/pdf",)
_PDFIUM = threading.Lock()  # PDFium is not thread-safe


class PreviewUnavailable(Exception):
    """This record cannot be previewed (not a PDF, damaged, unreadable by PDFium)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Preview:
    folder: Path
    pages: int
    """Pages rendered (at most ``preview_max_pages``)."""
    total: int
    """Pages of the document."""

    def page(self, n: int) -> Path:
        return self.folder / f"p{n}.png"


def previewable(record, info: dict) -> str | None:
    """Why the record's original cannot be previewed, or None. ``reason`` codes: ``damaged``,
    ``format``."""
    if record.status != "active":
        return "damaged" if record.status == "damaged" else "status"
    if (info.get("media_type") or "").split(";")[0] not in PDF_TYPES:
        return "format"
    return None


def preview(services, record, info: dict, *, actor: str, address: str | None) -> Preview:
    """The rendered pages of the record's original, rendering them first when not cached."""
    web = services.settings.web
    folder = services.settings.data_dir / "derivatives" / "previews" / info["sha256"] / f"w{web.preview_width}"
    meta = folder / "pages.json"
    if meta.is_file():
        data = json.loads(meta.read_text(encoding="utf-8"))
        return Preview(folder, data["pages"], data["total"])
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".original-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with services.fixity.open(info, actor=actor, address=address) as content:
                    for piece in content:
                        out.write(piece)
            except FixityFailed as exc:
                raise PreviewUnavailable("damaged") from exc
        pages, total = _render(Path(tmp), folder, width=web.preview_width, max_pages=web.preview_max_pages)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _atomic_write(meta, json.dumps({"pages": pages, "total": total}).encode())
    return Preview(folder, pages, total)


def _render(pdf_path: Path, folder: Path, *, width: int, max_pages: int) -> tuple[int, int]:
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(str(pdf_path))
        except pdfium.PdfiumError as exc:
            raise PreviewUnavailable("unreadable") from exc
        try:
            total = len(pdf)
            count = min(total, max_pages)
            for i in range(count):
                page = pdf[i]
                try:
                    page_width, page_height = page.get_size()
                    scale = min(width / max(page_width, 1.0), 3 * width / max(page_height, 1.0))
                    image = page.render(scale=scale).to_pil()
                finally:
                    page.close()
                tmp = folder / f".p{i + 1}.png.tmp"
                image.save(tmp, format="PNG", optimize=True)
                os.replace(tmp, folder / f"p{i + 1}.png")
            return count, total
        finally:
            pdf.close()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
