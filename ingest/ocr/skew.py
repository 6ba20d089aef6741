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
