"""An OCRmyPDF plugin: Tesseract as OCRmyPDF runs it, plus the word confidences and the text of
each page (``COLUMNS``: side-by-side columns read one after the other, ``ingest.ocr.layout``),
(``PASSTHROUGH``) a page that is one JPEG handed to Tesseract as stored,
(``DROP_RED``) the red seal dropped from the image Tesseract sees, with (``RED_STAMPS``) the độ mật
and độ khẩn marks stamped in red read apart (``ingest.ocr.stamps``), and (``SKEW``) skewed pages
straightened for reading only: each page's skew is estimated from its pixels (``ingest.ocr.skew``),
a page skewed by at least the threshold is turned straight in the image Tesseract reads alone, and
the hOCR's coordinates are turned back onto the page as scanned, so the copy keeps its page images
(OCRmyPDF's lossless path, no ``--deskew``) and its text layer lies over the skewed words; every
page's angle is recorded (``skew-<page>.json``).

OCRmyPDF keeps Tesseract's hOCR to itself. This engine is OCRmyPDF's own Tesseract engine; after
each page it reads the hOCR it just wrote (``x_wconf`` of every word) and leaves a small JSON file
beside it, which ``ingest.ocr.engine`` collects (the folder is named by ``LUUTRU_OCR_CONFIDENCE_DIR``
… set per run through the plugin's option, never globally).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine

from ingest.ocr.layout import text_from_hocr

_WCONF = re.compile(r"class=['\"]ocrx_word['\"][^>]*?x_wconf (\d+)")
_PAGE = re.compile(r"(\d+)")

OUT_DIR: list[Path] = []
"""Set by the caller before ``ocrmypdf.ocr`` (one run at a time per worker process)."""
DROP_RED: list[bool] = []
"""``[True]``: Tesseract sees the red channel of a colour page (``LUUTRU_OCR__DROP_RED``)."""
RED_STAMPS: list[str] = []
"""``[language]``: the red marks of a colour page are read apart (``LUUTRU_OCR__RED_STAMPS``), written
to ``stamps-<page>.json`` in ``OUT_DIR``."""
COLUMNS: list[bool] = []
"""``[True]``: a page's text is rebuilt from its hOCR, a two-column paragraph (the Decree 30 header)
read column by column; otherwise Tesseract's own text."""
SKEW: list[float] = []
"""``[threshold]`` (``LUUTRU_OCR__DESKEW=auto``): ``filter_ocr_image`` estimates each page's angle
with ``ingest.ocr.skew`` and turns the image Tesseract reads when it is at least ``threshold``
degrees, ``generate_hocr`` turns the hOCR back; empty: nothing turned here (``always``: OCRmyPDF's
``--deskew``, the angle from ``get_deskew``, Tesseract's own)."""
PASSTHROUGH: list[bool] = []
"""``[True]``: a page that is one JPEG over the whole page goes to Tesseract as stored, not rendered
(``ingest.ocr.passthrough``)."""


class ConfidenceTesseractEngine(TesseractOcrEngine):
    @staticmethod
    def generate_hocr(input_file, output_hocr, output_text, options):
        TesseractOcrEngine.generate_hocr(input_file, output_hocr, output_text, options)
        if not OUT_DIR:
            return
        try:
            hocr = Path(output_hocr).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        confs = [int(c) for c in _WCONF.findall(hocr)]
        m = _PAGE.match(Path(input_file).name)
        page = int(m.group(1)) if m else None
        text = text_from_hocr(hocr) if COLUMNS else None  # columns found on the straight page
        if text is None:  # Tesseract's own text, in its order
            text = Path(output_text).read_text(encoding="utf-8", errors="replace").removesuffix("\f")
        else:  # the sidecar says the same as the record
            Path(output_text).write_text(text, encoding="utf-8")
        turned = _turned(page)
        if turned:  # read straightened: the text layer goes back over the page as scanned
            from ingest.ocr.skew import hocr_to_page

            Path(output_hocr).write_text(hocr_to_page(hocr, turned), encoding="utf-8")
        (OUT_DIR[0] / f"{Path(input_file).stem}.json").write_text(
            json.dumps({"page": page, "confidences": confs, "text": text}, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def get_deskew(input_file, options) -> float:
        """The angle OCRmyPDF rotates the page by (counter-clockwise, degrees) before recognition,
        only called with ``--deskew`` (``LUUTRU_OCR__DESKEW=always``): Tesseract's own, every page
        of the copy rewritten. The page's number and angle go to ``skew-<page>.json``."""
        angle = TesseractOcrEngine.get_deskew(input_file, options)
        m = _PAGE.match(Path(input_file).name)
        if OUT_DIR and m:
            _record_skew(int(m.group(1)), -angle, bool(angle), "tesseract", "copy")
        return angle


def _record_skew(page: int, skew: float, deskewed: bool, source: str, where: str, turned: float = 0.0) -> None:
    """``skew-<page>.json``: the angle found, whether the page was straightened, ``where``: in the
    ``copy`` (OCRmyPDF's ``--deskew``) or for ``reading`` only (``SKEW``), and by how much the
    image Tesseract read was ``turned`` (``reading``)."""
    (OUT_DIR[0] / f"skew-{page:06d}.json").write_text(json.dumps(
        {"page": page, "skew": round(skew, 2) + 0.0, "deskewed": deskewed, "by": source, "where": where,
         "turned": turned}), encoding="utf-8")


def _turned(page: int | None) -> float:
    """The skew by which ``filter_ocr_image`` turned this page for Tesseract (0.0: not turned). Read
    from the file it left, not kept in memory: the hooks run in OCRmyPDF's page worker, a thread
    here (``use_threads``) but a process under other options."""
    if not SKEW or not OUT_DIR or page is None:
        return 0.0
    try:
        row = json.loads((OUT_DIR[0] / f"skew-{page:06d}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0.0
    return float(row["turned"]) if row.get("where") == "reading" and row.get("deskewed") else 0.0


@hookimpl
def get_ocr_engine(options):
    return ConfidenceTesseractEngine()


@hookimpl
def rasterize_pdf_page(input_file, output_file, raster_device, raster_dpi, pageno, page_dpi, rotation,
                       filter_vector, stop_on_soft_error, options, use_cropbox):
    """With ``PASSTHROUGH``, a page that is one JPEG over the whole page: its bytes as stored, with
    the page's DPI (``ingest.ocr.passthrough``); otherwise None, and OCRmyPDF renders the page."""
    if not PASSTHROUGH:
        return None
    from ingest.ocr.passthrough import page_jpeg

    try:
        data = page_jpeg(Path(input_file), pageno, raster_dpi, page_dpi, rotation, filter_vector, use_cropbox)
    except Exception:  # noqa: BLE001 - a page this reader cannot follow is rendered as before
        return None
    if data is None:
        return None
    Path(output_file).write_bytes(data)
    return Path(output_file)


@hookimpl
def filter_ocr_image(page, image):
    """Only the image Tesseract reads changes here; the copy shows the page as scanned.

    With ``SKEW``, the page's skew is estimated (``ingest.ocr.skew``, on this very image: the hOCR's
    coordinates are this image's) and recorded; a page skewed by the threshold or more is turned
    straight (``turn_for_reading``), and ``generate_hocr`` turns the hOCR back.
    With ``DROP_RED``, a colour page's red channel: red ink (the round seal, dấu đỏ, stamped over
    the signer's name) turns as light as the paper, black and blue ink stay dark.
    With ``RED_STAMPS`` too, the red marks (MẬT, KHẨN…) that the red channel loses are read from the
    colour image first (as scanned, not turned: a mark is read region by region).
    Then OCRmyPDF's own Tesseract filter (downsampling of huge pages), which this first-result hook
    would otherwise replace. None (OCRmyPDF's filter alone) when nothing here applies."""
    turn = 0.0
    if SKEW and OUT_DIR:
        from ingest.ocr.skew import estimate_skew, needs_deskew

        skew = estimate_skew(image)
        deskewed = needs_deskew(skew, SKEW[0])
        turn = skew if deskewed else 0.0
        _record_skew(page.pageno + 1, skew, deskewed, "ingest.ocr.skew", "reading", turn)
    colour = image.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV")
    if not (DROP_RED and colour) and not turn:
        return None
    from ocrmypdf.builtin_plugins import tesseract_ocr

    read = image
    if DROP_RED and colour:
        rgb = image.convert("RGB")
        if RED_STAMPS and OUT_DIR:
            from ingest.ocr.stamps import read_stamps

            dpi = float((image.info.get("dpi") or (200, 200))[1])
            found = read_stamps(rgb, dpi, RED_STAMPS[0])
            (OUT_DIR[0] / f"stamps-{page.pageno + 1:06d}.json").write_text(
                json.dumps({"page": page.pageno + 1, "stamps": found}, ensure_ascii=False), encoding="utf-8")
        read = rgb.getchannel("R")
        read.info.update(image.info)  # dpi: the text layer's placement depends on it
    if turn:
        from ingest.ocr.skew import turn_for_reading

        read = turn_for_reading(read, turn)
    return tesseract_ocr.filter_ocr_image(page=page, image=read)
