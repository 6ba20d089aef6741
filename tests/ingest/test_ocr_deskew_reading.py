"""Skewed scans straightened for reading only (``LUUTRU_OCR__DESKEW=auto``): Tesseract reads the
page turned straight, the hOCR is turned back (``ingest.ocr.skew.hocr_to_page``), and the copy keeps
the page images as scanned with its text layer over the skewed words.

The page is drawn here (DejaVu Sans, 200 dpi), so where each word is drawn is known, then turned by
Pillow as a skewed scan is (``kit.corpus.scans`` turns its noisy pages the same way)."""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 200
SIZE = (1654, 2339)  # A4 at 200 dpi
SKEW = 2.5
LINES = ["Thông báo về việc tổ chức hội nghị tổng kết công tác năm của cơ quan",
         "Căn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011 và các văn bản hướng dẫn",
         "Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành chuẩn bị báo cáo đầy đủ",
         "về kết quả thực hiện nhiệm vụ được giao trong năm và phương hướng năm tới",
         "Các đơn vị gửi báo cáo bằng văn bản điện tử qua hệ thống quản lý văn bản",
         "trước ngày hai mươi tháng mười hai để tổng hợp trình lãnh đạo xem xét",
         "Đề nghị thủ trưởng các cơ quan, đơn vị quan tâm chỉ đạo thực hiện nghiêm túc"] * 3
LINES[-1] = "Nơi nhận như trên, lưu văn thư và phòng hành chính tổng hợp xong"


def _hocr(line: str, word: str) -> str:
    return ("<div class='ocr_page' id='page_1' title='image \"x.png\"; bbox 0 0 1000 2000; ppageno 0'>"
            f"<span class='ocr_line' id='line_1_1' title=\"{line}; x_size 40\">"
            f"<span class='ocrx_word' id='word_1_1' title='{word}; x_wconf 95'>chữ</span></span></div>")


def test_the_hocr_is_turned_back_onto_the_skewed_page():
    """GIVEN the hOCR of a page read turned straight (a level line, baseline 6 px above its box's
    bottom) WHEN it is turned back by the page's skew (3°, counter-clockwise as seen)
    THEN each box is the axis-aligned box of its corners turned back about the page's centre, the
    line's baseline rises to the right by tan 3° and passes where the level baseline's ends went,
    and the page's own box is unchanged; a skew of 0 changes nothing."""
    import re

    from ingest.ocr.skew import hocr_to_page

    hocr = _hocr("bbox 100 300 900 340; baseline 0 -6", "bbox 100 300 200 340")
    back = hocr_to_page(hocr, 3.0)
    assert "bbox 0 0 1000 2000" in back and hocr_to_page(hocr, 0.0) == hocr
    a = math.radians(3.0)

    def turned(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - 500, y - 1000
        return 500 + dx * math.cos(a) + dy * math.sin(a), 1000 - dx * math.sin(a) + dy * math.cos(a)

    boxes = [tuple(int(v) for v in m) for m in re.findall(r"bbox (\d+) (\d+) (\d+) (\d+)", back)][1:]
    for (x0, y0, x1, y1), (nx0, ny0, nx1, ny1) in zip(((100, 300, 900, 340), (100, 300, 200, 340)), boxes, strict=True):
        corners = [turned(x, y) for x in (x0, x1) for y in (y0, y1)]
        assert nx0 == math.floor(min(c[0] for c in corners)) and nx1 == math.ceil(max(c[0] for c in corners))
        assert ny0 == math.floor(min(c[1] for c in corners)) and ny1 == math.ceil(max(c[1] for c in corners))
    slope, intercept = re.search(r"baseline (\S+) (-?\d+)", back).groups()
    assert float(slope) == pytest.approx(-math.tan(a), abs=1e-4)  # y grows downwards: rising is negative
    lx0, _, _, ly1 = boxes[0]
    for x, y in (turned(100, 334), turned(900, 334)):  # the level baseline's two ends, turned back
        assert ly1 + int(intercept) + float(slope) * (x - lx0) == pytest.approx(y, abs=1.0)


def _page() -> tuple[Image.Image, dict[str, tuple[float, float, float, float]]]:
    """A straight page of ``LINES`` and where two words are drawn: the first word of the first line
    and the last word of the last line, far from the centre (turning moves them most)."""
    font = ImageFont.truetype(FONT, 34)
    image = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(image)
    words = {}
    for n, line in enumerate(LINES):
        y = 200 + 80 * n
        draw.text((150, y), line, font=font, fill=0)
        _, top, _, bottom = draw.textbbox((150, y), line, font=font)
        if n == 0:
            words["Thông"] = (150, top, 150 + font.getlength("Thông"), bottom)
        if n == len(LINES) - 1:
            left = 150 + font.getlength(line[:line.rindex("xong")])
            words["xong"] = (left, top, left + font.getlength("xong"), bottom)
    return image, words


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def test_a_skewed_scan_keeps_its_page_images_and_the_text_lies_over_its_words(tmp_path, ocr_ready):
    """GIVEN a two-page image-only scan, page 1 skewed by 2.5° and page 2 straight
    WHEN it is OCRed with the default settings (``deskew=auto``)
    THEN page 1 is read straightened (said in ``pages`` and ``preprocessing``), page 2 is not; the
    copy keeps both page images byte for byte (the lossless path: before 07/12/2026 OCRmyPDF's
    ``--deskew`` rewrote every page); and in the copy's text layer a word far from the centre, at
    the top and at the bottom of the skewed page, lies over the word as drawn on the skewed image
    (PDFium's character boxes; before, the layer lay over the straightened page, 10–14 pt away)."""
    import img2pdf
    import pikepdf
    import pypdfium2 as pdfium

    from ingest.ocr.engine import run_ocr

    straight, words = _page()
    skewed = straight.rotate(SKEW, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    source = tmp_path / "scan.pdf"
    source.write_bytes(img2pdf.convert([_png(skewed), _png(straight)]))

    result = run_ocr(source, "application/pdf", tmp_path / "w")
    first, second = result["pages"]
    assert first["deskewed"] and first["skew"] == pytest.approx(SKEW, abs=0.15), first
    assert not second["deskewed"] and abs(second["skew"]) < 0.5, second
    assert "deskew" in result["preprocessing"]
    assert "Thông báo" in result["texts"][0] and "tổng hợp xong" in result["texts"][0]

    def images(pdf_path: Path) -> list[str]:
        with pikepdf.open(pdf_path) as pdf:
            return [hashlib.sha256(img.read_raw_bytes()).hexdigest() for page in pdf.pages
                    for img in page.get_images().values()]

    assert images(Path(result["pdf"])) == images(source)  # as scanned, not rewritten

    doc = pdfium.PdfDocument(result["pdf"])
    try:
        page = doc[0]
        text = page.get_textpage()
        height = page.get_height()
        cx, cy = SIZE[0] / 2, SIZE[1] / 2
        a = math.radians(SKEW)
        for word, (left, top, right, bottom) in words.items():
            found = text.search(word).get_next()
            assert found is not None, word
            boxes = [text.get_charbox(i) for i in range(found[0], found[0] + found[1])]
            # the centre of the word in the layer, in pixels of the page (y downwards)...
            x = (min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2 * DPI / 72
            y = (height - (min(b[1] for b in boxes) + max(b[3] for b in boxes)) / 2) * DPI / 72
            # ...turned straight again (the inverse of Pillow's turn), inside the word as drawn
            dx, dy = x - cx, y - cy
            sx, sy = cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a)
            margin = 3 * DPI / 72  # 3 pt
            assert left - margin <= sx <= right + margin and top - margin <= sy <= bottom + margin, (
                word, (sx, sy), (left, top, right, bottom))
    finally:
        doc.close()
