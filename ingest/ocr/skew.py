"""A cheap estimate of a scanned page's skew, so that only skewed pages are straightened.

OCRmyPDF's ``--deskew`` asks Tesseract for the angle (a second layout pass, ``--psm 2``) and then
rewrites every page it OCRs, straight or not — seconds a page on this project's machines
(docs/ingest.md). ``estimate_skew`` finds the angle of the text lines from the page's pixels alone,
by a projection profile (Postl's method, as in Leptonica's ``pixFindSkew``): the page is reduced
to about 100 dpi and binarised (Otsu), and for each candidate angle the dark pixels are projected
on the page's vertical axis along lines at that angle; the angle whose profile is the most
peaked (the largest sum of squared row counts: text lines fall into few rows, the gaps between
them into empty ones) is the skew. A coarse search over ±``limit`` degrees in 0.25° steps, then a
fine one in 0.02° steps around the best: a few tens of milliseconds for an A4 page.

``ingest.ocr.confidence_plugin`` uses it in OCRmyPDF's ``get_deskew`` (instead of Tesseract's
pass) and ``ingest.ocr.engine.run_ocr`` to decide whether a document needs deskewing at all
(``LUUTRU_OCR__DESKEW=auto``).
"""

from __future__ import annotations

import math
import re

import numpy as np

THRESHOLD_DEGREES = 0.5
"""Pages whose estimated skew is at least this (in absolute value) are straightened under
``deskew=auto``; others are OCRed as they are. Why 0.5°: docs/ingest.md (``LUUTRU_OCR__DESKEW``)."""

_COARSE_STEP = 0.25
_FINE_STEP = 0.02
_MIN_INK = 2000
"""Fewer dark pixels than this (at ~100 dpi): a blank page or nearly; its angle is 0."""
_MAX_POINTS = 250_000


def _otsu(gray: np.ndarray) -> int:
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight / total - mean) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between, nan=0.0, posinf=0.0, neginf=0.0)
    return int(np.argmax(between))


def _ink(image) -> np.ndarray | None:
    """(y, x) of the dark pixels of ``image`` reduced to about 100 dpi, x centred; None if too few."""
    if image.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        # the red channel: red ink (a seal stamped across the lines) reads as paper, as for Tesseract
        # under LUUTRU_OCR__DROP_RED; black and blue ink stay dark
        gray = image.convert("RGB").getchannel("R")
    elif image.mode == "L":
        gray = image
    else:
        gray = image.convert("L")
    dpi = float((image.info.get("dpi") or (0, 0))[0] or 0)
    factor = max(1, round(dpi / 100)) if dpi >= 150 else max(1, gray.width // 1000)
    if factor > 1:
        gray = gray.reduce(factor)  # box filter: averages the sensor noise away too
    pixels = np.asarray(gray, dtype=np.uint8)
    if pixels.size == 0:
        return None
    threshold = _otsu(pixels)
    ys, xs = np.nonzero(pixels <= threshold)
    if len(ys) < _MIN_INK or len(ys) > 0.5 * pixels.size:  # blank, or a photograph / inverted page
        return None
    if len(ys) > _MAX_POINTS:
        keep = np.random.default_rng(0).choice(len(ys), _MAX_POINTS, replace=False)
        ys, xs = ys[keep], xs[keep]
    return np.stack([ys.astype(np.float64), xs.astype(np.float64) - pixels.shape[1] / 2])


def _score(points: np.ndarray, degrees: float) -> float:
    ys, xs = points
    rows = np.rint(ys + xs * np.tan(np.radians(degrees))).astype(np.int64)
    counts = np.bincount(rows - rows.min())
    return float(np.dot(counts, counts))


def estimate_skew(image, limit: float = 5.0) -> float:
    """The angle, in degrees, by which the text lines of ``image`` (a PIL image) are turned
    counter-clockwise as the page is seen (Pillow's ``rotate`` convention): ``image.rotate(-angle)``
    straightens it. 0.0 for a page with too little ink to tell, or a photograph."""
    points = _ink(image)
    if points is None:
        return 0.0
    coarse = np.arange(-limit, limit + _COARSE_STEP / 2, _COARSE_STEP)
    best = float(coarse[int(np.argmax([_score(points, a) for a in coarse]))])
    steps = round(_COARSE_STEP / _FINE_STEP)
    fine = best + _FINE_STEP * np.arange(-steps, steps + 1)
    scores = np.array([_score(points, a) for a in fine])
    # at ~100 dpi a few hundredths of a degree move no pixel across a row: the maximum is a
    # plateau (±0.06° on a straight A4 page); its middle is the estimate, not its first angle
    top = np.flatnonzero(scores >= scores.max())
    return round(float(fine[top[0]] + fine[top[-1]]) / 2, 2) + 0.0  # + 0.0: no -0.0


def needs_deskew(angle: float, threshold: float = THRESHOLD_DEGREES) -> bool:
    return abs(angle) >= threshold


def turn_for_reading(image, skew: float):
    """``image`` straightened for Tesseract alone: turned by ``-skew`` degrees about its centre,
    same size, the corners it uncovers white, its ``info`` (the DPI) kept. Grey and colour images
    are turned as they are (bicubic), others as grey or colour first (a bilevel page as grey)."""
    from PIL import Image

    if image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode in ("1", "I", "I;16", "F") else "RGB")
    fill = 255 if image.mode == "L" else (255, 255, 255)
    turned = image.rotate(-skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill)
    turned.info.update(image.info)
    return turned


_TITLE = re.compile(r"""(class=['"](\w+)['"][^>]*?title=)(['"])(.*?)\3""")
_BBOX = re.compile(r"bbox (-?\d+) (-?\d+) (-?\d+) (-?\d+)")
_BASELINE = re.compile(r"baseline ([-+]?\d*\.?\d+(?:e-?\d+)?) ([-+]?\d+)")


def hocr_to_page(hocr: str, skew: float) -> str:
    """Tesseract's hOCR of a page it read turned by ``turn_for_reading(image, skew)``, its
    coordinates brought back to the page as scanned: each element's box (word, line, paragraph,
    block) becomes the axis-aligned box of its corners turned back by ``skew`` about the image's
    centre (the ``ocr_page`` box: the image's size, which turning did not change), and each line's
    ``baseline`` the same line turned back (its slope and its intercept at the new box's left
    edge). OCRmyPDF's renderer lays each line's words along its baseline, so the text layer lies
    over the words of the skewed page image."""
    page = re.search(r"class=['\"]ocr_page['\"][^>]*?" + _BBOX.pattern, hocr)
    if page is None or not skew:
        return hocr
    width, height = int(page.group(3)), int(page.group(4))
    cx, cy = width / 2, height / 2
    a = math.radians(skew)
    cos, sin = math.cos(a), math.sin(a)

    def back(x: float, y: float) -> tuple[float, float]:
        # Pillow turned the page by -skew, counter-clockwise as seen (y downwards): turn by +skew
        dx, dy = x - cx, y - cy
        return cx + dx * cos + dy * sin, cy - dx * sin + dy * cos

    def title(m: re.Match) -> str:
        cls, text = m.group(2), m.group(4)
        box = _BBOX.search(text)
        if cls == "ocr_page" or box is None:
            return m.group(0)
        x0, y0, x1, y1 = (int(v) for v in box.groups())
        corners = [back(x, y) for x in (x0, x1) for y in (y0, y1)]
        nx0 = min(max(0, math.floor(min(p[0] for p in corners))), width)
        nx1 = min(max(0, math.ceil(max(p[0] for p in corners))), width)
        ny0 = min(max(0, math.floor(min(p[1] for p in corners))), height)
        ny1 = min(max(0, math.ceil(max(p[1] for p in corners))), height)
        new = _BBOX.sub(f"bbox {nx0} {ny0} {nx1} {ny1}", text, count=1)
        base = _BASELINE.search(new)
        if base is not None:
            slope, intercept = float(base.group(1)), int(base.group(2))
            # two points of the baseline as read: at the box's left and right edges
            p0 = back(x0, y1 + intercept)
            p1 = back(x1, y1 + intercept + slope * (x1 - x0))
            s = (p1[1] - p0[1]) / (p1[0] - p0[0]) if p1[0] != p0[0] else 0.0
            c = round(p0[1] + s * (nx0 - p0[0]) - ny1)
            new = _BASELINE.sub(f"baseline {s:.4f} {c}", new, count=1)
        return m.group(1) + m.group(3) + new + m.group(3)

    return _TITLE.sub(title, hocr)
