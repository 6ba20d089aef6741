"""Red stamps read apart from the text: độ mật and độ khẩn marks (MẬT, TỐI MẬT, TUYỆT MẬT, KHẨN,
THƯỢNG KHẨN, HỎA TỐC) stamped in red ink on a scanned page.

The main OCR pass reads a colour page from its red channel (``LUUTRU_OCR__DROP_RED``): red ink turns
as light as the paper, so the round seal (dấu đỏ) over the signer's block stops hiding the words
under it — and a red MẬT stamp would vanish with it. This second, small pass gets the marks back:

* ``red_mask`` — the pixels where red clearly exceeds green and blue (red ink; black, blue and grey
  stay out), as black on white;
* ``regions`` — its connected components (on a grid of ``CELL`` pixels, so that the letters of a
  stamp and its frame join into one), those of a stamp's size and shape (wider than tall, between
  ``MIN_HEIGHT_IN`` and ``MAX_HEIGHT_IN`` inch high): the round seal is as tall as wide and larger;
* ``read_stamps`` — Tesseract (one line, ``--psm 7``) on each region's crop of the mask, and
  ``match_mark`` keeps a reading only when it is one of the marks (diacritics may be lost; nothing
  else is accepted, so a seal's curved text or a speck never becomes a mark).

A few small Tesseract calls per page with red ink; none on a page without (``mask.getbbox()`` is
None). Pillow only (no numpy). Pure functions but ``read_stamps`` (a Tesseract subprocess).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import unicodedata
from pathlib import Path

RED_MARGIN = 50
"""Red ink: R exceeds max(G, B) by more than this (0–255). Black text, grey paper and noise do not."""
CELL = 8
"""Pixels per cell of the grid on which regions are joined (8 at 200 dpi: 1 mm)."""
MIN_HEIGHT_IN, MAX_HEIGHT_IN = 0.08, 0.9
MIN_ASPECT = 1.3
"""A stamp's width over height at least this: the marks are words in a line, the seal is round."""
MAX_REGIONS = 8
"""At most this many regions read per page (a page painted red is not read region by region)."""

MARKS = {"TUYỆT MẬT": "security_level", "TỐI MẬT": "security_level", "MẬT": "security_level",
         "HỎA TỐC": "urgency", "THƯỢNG KHẨN": "urgency", "KHẨN": "urgency"}


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s.upper().replace("Đ", "D"))
    return "".join(c for c in s if not unicodedata.combining(c))


_FOLDED = {_fold(m): m for m in MARKS}
_WORDS = re.compile(r"[^\W\d_]+")


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def tolerance(mark: str) -> int:
    """Letters a reading of ``mark`` may get wrong once diacritics are folded: none for the short
    marks (a speck read "MA" or the word "MAI" is no MẬT), one for TỐI MẬT and HỎA TỐC, two for
    TUYỆT MẬT and THƯỢNG KHẨN (Tesseract reads a stamp's "Ệ" as "ẾỆ", its "T" as "I")."""
    return max(0, (len(mark) - 3) // 3)


def match_mark(text: str) -> tuple[str, str, bool] | None:
    """``(field, mark, exact)`` when ``text`` reads as one of the marks, else None.

    Exact: the words are the mark's, diacritics included. Otherwise the reading without diacritics
    must be within ``tolerance`` letters of the mark's, with as many words. The closest mark wins,
    the longest of equals ("TỐI MẬT", not "MẬT")."""
    words = _WORDS.findall(unicodedata.normalize("NFC", text).upper())
    if not words or len(words) > 3:
        return None
    joined = " ".join(words)
    if joined in MARKS:
        return MARKS[joined], joined, True
    folded = _fold(joined)
    best = None
    for key, mark in _FOLDED.items():
        if key.count(" ") != folded.count(" "):
            continue
        # a bold "H" is often read "II" (KHẨN as "KIIẨN")
        d = min(_distance(folded, key), _distance(folded.replace("II", "H"), key))
        if d <= tolerance(key) and (best is None or (d, -len(key)) < best[0]):
            best = ((d, -len(key)), mark)
    return (MARKS[best[1]], best[1], False) if best else None


def red_mask(image):
    """``L`` image: 0 (black) where the pixel is red ink, 255 elsewhere."""
    from PIL import ImageChops

    r, g, b = image.convert("RGB").split()
    redness = ImageChops.subtract(r, ImageChops.lighter(g, b))
    return redness.point(lambda v: 0 if v > RED_MARGIN else 255)


def regions(mask, dpi: float) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (left, top, right, bottom; pixels) of the stamp-shaped red components."""
    from PIL import ImageFilter, ImageOps

    ink = ImageOps.invert(mask)
    if ink.getbbox() is None:
        return []
    w, h = ink.size
    # a cell is inked when at least ~3 % of its pixels are, then one cell of dilation joins the
    # letters of a word and a word to its frame
    grid = ink.reduce(CELL).point(lambda v: 255 if v > 8 else 0).filter(ImageFilter.MaxFilter(3))
    cols = grid.size[0]
    boxes = []
    for _, (x0, y0, x1, y1) in _components(grid.tobytes(), cols):
        bw, bh = (x1 - x0 + 1) * CELL, (y1 - y0 + 1) * CELL
        if MIN_HEIGHT_IN * dpi <= bh <= MAX_HEIGHT_IN * dpi and bw >= MIN_ASPECT * bh:
            pad = CELL
            boxes.append((max(0, x0 * CELL - pad), max(0, y0 * CELL - pad), min(w, (x1 + 1) * CELL + pad),
                          min(h, (y1 + 1) * CELL + pad)))
    boxes.sort(key=lambda b: (b[1], b[0]))
    return boxes[:MAX_REGIONS]


def _components(ink: bytes, cols: int) -> list[tuple[list[int], tuple[int, int, int, int]]]:
    """4-connected components of the non-zero cells of a row-major grid: (cells, (x0, y0, x1, y1))."""
    seen = bytearray(len(ink))
    out = []
    for start in range(len(ink)):
        if not ink[start] or seen[start]:
            continue
        seen[start] = 1
        stack, cells = [start], []
        x0 = x1 = start % cols
        y0 = y1 = start // cols
        while stack:
            i = stack.pop()
            cells.append(i)
            x, y = i % cols, i // cols
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for j in (i - 1 if x else -1, i + 1 if x + 1 < cols else -1, i - cols, i + cols):
                if 0 <= j < len(ink) and ink[j] and not seen[j]:
                    seen[j] = 1
                    stack.append(j)
        out.append((cells, (x0, y0, x1, y1)))
    return out


def unframe(crop):
    """The crop of the mask without the stamp's frame, as Tesseract reads best: black on white,
    gaps closed (JPEG and black text crossing the stamp break its strokes), with a white margin.
    A component (pixel level) spanning most of the crop's width or height, or long and thin, is a
    piece of the frame or a rule, never a letter; a speck of a few pixels is noise."""
    from PIL import Image, ImageFilter, ImageOps

    closed = crop.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))
    ink = ImageOps.invert(closed).point(lambda v: 1 if v > 127 else 0)
    w, h = ink.size
    data = bytearray(ink.tobytes())
    for cells, (x0, y0, x1, y1) in _components(bytes(data), w):
        bw, bh = x1 - x0 + 1, y1 - y0 + 1
        line = max(bw, bh) >= 6 * min(bw, bh) and max(bw, bh) > 0.4 * h
        if bw > 0.6 * w or bh > 0.85 * h or line or len(cells) < 12:
            for i in cells:
                data[i] = 0
    clean = Image.frombytes("L", (w, h), bytes(data)).point(lambda v: 0 if v else 255)
    return ImageOps.expand(clean, border=max(10, h // 4), fill=255)


def _tesseract(image, language: str) -> str:
    with tempfile.TemporaryDirectory(prefix="luutru-stamp-") as d:
        p = Path(d) / "stamps.png"
        image.save(p, dpi=(300, 300))
        out = subprocess.run(["tesseract", str(p), "-", "-l", language, "--psm", "6"], capture_output=True,
                             timeout=120, check=False, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return out.stdout.decode("utf-8", "replace")


def read_stamps(image, dpi: float, language: str = "vie") -> list[dict]:
    """The marks stamped in red on ``image``: ``[{"field", "value", "exact", "read"}]``.

    The page's stamp-shaped regions, unframed, are stacked one under the other into one small image:
    one Tesseract call per page (loading the model costs more than reading a few words), each
    line of its answer one region."""
    from PIL import Image

    mask = red_mask(image)
    crops = [unframe(mask.crop(box)) for box in regions(mask, dpi)]
    if not crops:
        return []
    sheet = Image.new("L", (max(c.width for c in crops), sum(c.height for c in crops)), 255)
    y = 0
    for c in crops:
        sheet.paste(c, (0, y))
        y += c.height
    found: list[dict] = []
    for line in _tesseract(sheet, language).splitlines():
        hit = match_mark(line)
        if hit and all(f["value"] != hit[1] for f in found):
            found.append({"field": hit[0], "value": hit[1], "exact": hit[2], "read": line.strip()})
    return found
