"""A page's text from Tesseract's hOCR, with side-by-side columns read one after the other.

Tesseract's page segmentation reads the two-column header of a Decree 30 document (the issuing
organ on the left, Quốc hiệu and tiêu ngữ on the right) as one paragraph of lines running across
the page: "UBND THÀNH PHỐ HÀ NỘI CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / SỞ NỘI VỤ Độc lập - Tự do -
Hạnh phúc". The words are right, their order is not: the organ's name is cut in two by the motto,
a phrase search for it fails, and the whole-text CER counted it as ~3.5 % of a page's characters
(bench/ocr.py, 06/12/2026). ``page_text`` rebuilds the text of each paragraph from the words'
boxes: a paragraph in which some line has a gap between two words wider than ``WIDE_GAP`` times
the line's height, where every line can be cut at the middle of the gap common to such lines
without cutting a word, and where reading across puts a right-hand word before a left-hand one,
is read column by column (the left parts of its lines, then the right parts). Every other
paragraph reads as Tesseract's own text output does: words joined by spaces, lines by newlines, a
blank line between paragraphs.

The header: the paragraphs at the top of the page until the first one without such a cut, each
cut into rows where its lines lie further apart than ``ROW_GAP`` line heights (the row of số ký
hiệu and date, which Tesseract sometimes puts in the header's paragraph, stays one row read
across). When no paragraph at the top has such a cut — on a skewed scan Tesseract may give each
header line a paragraph of its own — but the page's first line runs across both columns, the
header is found from the geometry as the foot is (below, from the top down, ``HEAD_GAP``) and read
band by band, left column then right.

The foot (``foot``): the Nơi nhận list at the left beside the signer's block at the right
(quyền hạn, chức vụ, the space for the signature and the seal, the name). Tesseract reads it
across too ("Nơi nhận: KT. GIÁM ĐỐC / - Như trên; PHÓ GIÁM ĐỐC"), in one paragraph or in several
whose order follows no column, so a signer's name ends up among the recipients. The foot is found
from the page's geometry, whatever Tesseract's paragraphs: from the bottom of the page up, the
lines below the body that leave a strip free of words at least ``FOOT_GAP`` line heights wide
running down all of them (the body's lines, wider than ``WIDE_LINE`` of the page, cross it). Each
line is cut at the strip's middle; the foot is cut into bands where no line of either column lies
within ``ROW_GAP`` line heights, and each band is read left column first (top to bottom), then the
right one — as a person reads the page. A band of one line per column below a gap of at least
``SIGN_GAP`` line heights — the names under the signature space of two signers side by side —
belongs with the band above it (their titles), so each signer's block reads whole. A foot with
one column only (a signer without Nơi nhận) keeps Tesseract's order.

No word is dropped, added or changed: only their order — within a header paragraph, and within
the foot's lines, which are read in place of the first paragraph that holds one of them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import pairwise

WIDE_GAP = 4.0
"""A gap between two words of a line at least this many times the line's height separates columns
(word spacing is about a third of the line height; the header's columns lie 5–10 heights apart)."""

ROW_GAP = 0.8
"""Lines of a paragraph further apart than this many line heights are rows of their own: the
Decree 30 header's row of the number and the date lies well below the organ and the motto, and
Tesseract sometimes puts it in their paragraph."""

FOOT_GAP = 2.0
"""The foot's columns (Nơi nhận | signer) are separated by a strip free of words at least this many
line heights wide running down all of its lines (at 200 dpi typically 5–7 heights; word spacing in a
justified body line is well under one)."""

WIDE_LINE = 0.6
"""A line spanning at least this share of the page's width is body text (a full line of the body
spans ~78 % of an A4 page; a Nơi nhận entry at most ~36 %, a signer's line ~50 %): below the header,
the foot lies below the last such line."""

HEAD_GAP = 1.0
"""The same for the header's columns (organ | Quốc hiệu) when Tesseract made each of its lines a
paragraph: there the strip between the longest organ line and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
can be under 2 line heights."""

SIGN_GAP = 2.0
"""A band of the foot with one line in each column, at least this many line heights below the band
above it, is the names of two signers under their signature space: read with the titles above."""

_BBOX = re.compile(r"bbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")
_LINES = ("ocr_line", "ocr_caption", "ocr_textfloat", "ocr_header")


@dataclass(frozen=True)
class Word:
    text: str
    x0: int
    y0: int
    x1: int
    y1: int


Line = list[Word]
Paragraph = list[Line]


def _classes(el: ET.Element) -> set[str]:
    return set((el.get("class") or "").split())


def _bbox(el: ET.Element) -> tuple[int, int, int, int] | None:
    m = _BBOX.search(el.get("title") or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))) if m else None


def parse_page(hocr: str) -> tuple[list[Paragraph], int | None] | None:
    """Paragraphs → lines → words (text and box) of one page of hOCR, and the page's width in pixels
    (None when the hOCR does not say); None when it cannot be read."""
    try:
        root = ET.fromstring(hocr)
    except ET.ParseError:
        return None
    paragraphs: list[Paragraph] = []
    width = None

    def words_of(line_el: ET.Element) -> Line:
        words = []
        for w in line_el.iter():
            if "ocrx_word" in _classes(w):
                text = "".join(w.itertext()).strip()
                box = _bbox(w)
                if text and box:
                    words.append(Word(text, *box))
        return words

    for el in root.iter():
        classes = _classes(el)
        if "ocr_page" in classes and width is None:
            box = _bbox(el)
            width = box[2] - box[0] if box and box[2] > box[0] else None
        if "ocr_par" not in classes:
            continue
        lines = [words_of(ln) for ln in el.iter() if _classes(ln) & set(_LINES)]
        lines = [ln for ln in lines if ln]
        if lines:
            paragraphs.append(lines)
    return paragraphs, width


def parse_hocr(hocr: str) -> list[Paragraph] | None:
    """Paragraphs → lines → words (text and box) of one page of hOCR; None when it cannot be read."""
    page = parse_page(hocr)
    return None if page is None else page[0]


def _line_height(line: Line) -> float:
    heights = sorted(w.y1 - w.y0 for w in line)
    return max(1.0, float(heights[len(heights) // 2]))


def column_cut(paragraph: Paragraph, wide_gap: float = WIDE_GAP) -> float | None:
    """The x at which every line of ``paragraph`` splits into a left and a right column, or None
    when it does not read as two columns."""
    lo, hi = float("-inf"), float("inf")
    found = False
    for line in paragraph:
        words = sorted(line, key=lambda w: w.x0)
        gaps = [(b.x0 - a.x1, a.x1, b.x0) for a, b in pairwise(words)]
        if not gaps:
            continue
        width, left, right = max(gaps)
        if width >= wide_gap * _line_height(line):
            lo, hi, found = max(lo, left), min(hi, right), True
    if not found or lo >= hi or len(paragraph) < 2:
        return None
    cut = (lo + hi) / 2
    if any(w.x0 < cut < w.x1 for line in paragraph for w in line):
        return None
    return cut


def paragraph_lines(paragraph: Paragraph, wide_gap: float = WIDE_GAP) -> list[str]:
    """The lines of text of one paragraph, column by column when it has two and reading across
    would put words of the right column before words of the left one; otherwise as Tesseract
    wrote them (a signer's block with the seal's specks on the right stays as it was)."""
    across = [" ".join(w.text for w in line) for line in paragraph]
    cut = column_cut(paragraph, wide_gap)
    if cut is None:
        return across
    left = [" ".join(w.text for w in line if w.x1 <= cut) for line in paragraph]
    right = [" ".join(w.text for w in line if w.x1 > cut) for line in paragraph]
    if not any(right[i] and any(left[i + 1:]) for i in range(len(paragraph))):
        return across  # the same order of words either way
    return [t for t in left + right if t]


def rows(paragraph: Paragraph, row_gap: float = ROW_GAP) -> list[Paragraph]:
    """``paragraph`` cut where the space between two lines exceeds ``row_gap`` line heights."""
    out: list[Paragraph] = [[paragraph[0]]] if paragraph else []
    for before, line in pairwise(paragraph):
        top, bottom = min(w.y0 for w in line), max(w.y1 for w in before)
        if top - bottom > row_gap * max(_line_height(before), _line_height(line)):
            out.append([line])
        else:
            out[-1].append(line)
    return out


def leading(paragraphs: list[Paragraph], wide_gap: float = WIDE_GAP) -> int:
    """How many paragraphs at the top of the page read as columns (the header): those before the
    first paragraph none of whose rows has a column cut. The foot below the body is ``foot``'s."""
    for n, p in enumerate(paragraphs):
        if all(column_cut(row, wide_gap) is None for row in rows(p)):
            return n
    return len(paragraphs)


def _span(line: Line) -> tuple[int, int]:
    return min(w.x0 for w in line), max(w.x1 for w in line)


def _top(line: Line) -> int:
    return min(w.y0 for w in line)


def _bottom(line: Line) -> int:
    return max(w.y1 for w in line)


def _height(lines: list[Line]) -> float:
    heights = sorted(_line_height(line) for line in lines)
    return heights[len(heights) // 2] if heights else 1.0


def free_strip(lines: list[Line]) -> tuple[int, int] | None:
    """The widest strip of x free of words lying between words of ``lines`` (left edge, right edge),
    or None when their words cover one unbroken stretch."""
    boxes = sorted((w.x0, w.x1) for line in lines for w in line)
    if not boxes:
        return None
    best: tuple[int, int] | None = None
    reach = boxes[0][1]
    for x0, x1 in boxes[1:]:
        if x0 > reach and (best is None or x0 - reach > best[1] - best[0]):
            best = (reach, x0)
        reach = max(reach, x1)
    return best


def foot(lines: list[Line], page_width: float, foot_gap: float = FOOT_GAP,
         wide_line: float = WIDE_LINE, from_top: bool = False) -> tuple[list[int], float] | None:
    """The foot of a page: the indexes in ``lines`` (the lines below the header) of its lines and
    the x of the cut between its columns, or None when the page ends in one column.

    From the lowest line up, a line is taken while all the lines taken leave a strip free of words
    at least ``foot_gap`` line heights wide (the same strip: it may narrow, never move), or — before
    there are two columns — while the line is narrower than ``wide_line`` of the page (a signer's
    name and title above it, before the Nơi nhận list beside them). The first line that closes the
    strip, or a wide line before any strip, is the body: the foot lies below it. ``from_top``: the
    same from the highest line down (the header, when Tesseract gave it no paragraph of its own)."""
    order = sorted(range(len(lines)), key=lambda i: (_top(lines[i]), _bottom(lines[i])))
    taken: list[int] = []
    strip: tuple[int, int] | None = None
    for i in (order if from_top else reversed(order)):
        candidate = [*taken, i]
        chosen = [lines[k] for k in candidate]
        found = free_strip(chosen)
        if (found is not None and found[1] - found[0] >= foot_gap * _height(chosen)
                and (strip is None or (found[0] < strip[1] and strip[0] < found[1]))):
            taken, strip = candidate, found
            continue
        left, right = _span(lines[i])
        if strip is not None or right - left >= wide_line * page_width:
            break
        taken = candidate
    if strip is None or len(taken) < 2:  # one line reads the same either way
        return None
    return sorted(taken, key=order.index), (strip[0] + strip[1]) / 2


def foot_bands(lines: list[Line], cut: float, row_gap: float = ROW_GAP,
               sign_gap: float = SIGN_GAP) -> list[tuple[list[Line], list[Line]]]:
    """The foot's ``lines`` (top to bottom) cut at ``cut`` into bands, each (left parts, right parts):
    a band ends where the next line starts more than ``row_gap`` line heights below every line of it;
    a band of one line on each side ``sign_gap`` line heights or more below a band with both sides
    joins it (two signers side by side: titles, signature space, names)."""
    height = _height(lines)
    bands: list[list[Line]] = []
    bottom = None
    for line in lines:
        if bottom is None or _top(line) - bottom > row_gap * height:
            bands.append([])
        bands[-1].append(line)
        bottom = _bottom(line) if bottom is None else max(bottom, _bottom(line))

    def sides(band: list[Line]) -> tuple[list[Line], list[Line]]:
        left = [part for part in ([w for w in line if w.x1 <= cut] for line in band) if part]
        right = [part for part in ([w for w in line if w.x1 > cut] for line in band) if part]
        return left, right

    out: list[tuple[list[Line], list[Line]]] = []
    last_bottom = None
    for band in bands:
        left, right = sides(band)
        if (out and out[-1][0] and out[-1][1] and len(left) == 1 and len(right) == 1 and last_bottom is not None
                and min(_top(line) for line in band) - last_bottom >= sign_gap * height):
            out[-1][0].extend(left)
            out[-1][1].extend(right)
        else:
            out.append((left, right))
        last_bottom = max(_bottom(line) for line in band)
    return out


def foot_text(lines: list[Line], cut: float, sign_gap: float = SIGN_GAP) -> str:
    """The foot read as a person reads it: band by band, the left column top to bottom, then the right."""
    return "\n".join(" ".join(w.text for w in part) for left, right in foot_bands(lines, cut, sign_gap=sign_gap)
                     for part in (*sorted(left, key=_top), *sorted(right, key=_top)))


Key = tuple[int, int]
"""(paragraph, line) of a line of the page."""


def columns(paragraphs: list[Paragraph], wide_gap: float = WIDE_GAP, page_width: float | None = None
            ) -> tuple[int, tuple[list[Key], float] | None, tuple[list[Key], float] | None]:
    """How the page is read: the number of header paragraphs (``leading``); when there are none, the
    header's lines found from the geometry (``foot`` from the top) if the page's first line runs
    across both columns, with their cut; the foot's lines and cut (``foot``, below the rest)."""
    top = leading(paragraphs, wide_gap)
    width = page_width or max((w.x1 for p in paragraphs for line in p for w in line), default=1)
    head: tuple[list[Key], float] | None = None
    if top == 0:  # no header paragraph: the header's lines may be paragraphs of one line each
        every = [(n, k) for n in range(len(paragraphs)) for k in range(len(paragraphs[n]))]
        found = foot([paragraphs[n][k] for n, k in every], width, HEAD_GAP, from_top=True)
        if found is not None:
            n, k = every[found[0][0]]
            first, cut = paragraphs[n][k], found[1]
            if any(w.x1 <= cut for w in first) and any(w.x0 >= cut for w in first):
                head = ([every[i] for i in found[0]], cut)
    taken = set(head[0]) if head else set()
    below = [(n, k) for n in range(top, len(paragraphs)) for k in range(len(paragraphs[n])) if (n, k) not in taken]
    found = foot([paragraphs[n][k] for n, k in below], width)
    return top, head, ([below[i] for i in found[0]], found[1]) if found else None


def page_text(paragraphs: list[Paragraph], wide_gap: float = WIDE_GAP, page_width: float | None = None) -> str:
    """The page's text as Tesseract's text output lays it out, the header's columns read one after
    the other within each row of lines of its paragraphs (or, header found from the geometry, band
    by band, first on the page), and the foot's columns (``foot``) one after the other, in place of
    the first paragraph that holds a line of it (``columns``). ``page_width``: of
    the image (hOCR's ``ocr_page``); by default the right edge of the rightmost word."""
    top, head, found = columns(paragraphs, wide_gap, page_width)
    in_head = set(head[0]) if head else set()
    in_foot = set(found[0]) if found else set()
    at = {key: paragraphs[key[0]][key[1]] for key in in_head | in_foot}
    out = [foot_text([at[key] for key in head[0]], head[1], sign_gap=float("inf")) + "\n\n"] if head else []
    placed = False
    for n, p in enumerate(paragraphs):
        if n < top:
            out.append("\n".join(t for row in rows(p) for t in paragraph_lines(row, wide_gap)) + "\n\n")
            continue
        rest = [" ".join(w.text for w in line) for k, line in enumerate(p) if (n, k) not in in_foot | in_head]
        if rest:
            out.append("\n".join(rest) + "\n\n")
        if found and not placed and any((n, k) in in_foot for k in range(len(p))):
            out.append(foot_text([at[key] for key in found[0]], found[1]) + "\n\n")
            placed = True
    return "".join(out)


def text_from_hocr(hocr: str) -> str | None:
    """``page_text`` of an hOCR page; None when the hOCR cannot be read (keep Tesseract's text)."""
    page = parse_page(hocr)
    return None if page is None else page_text(page[0], page_width=page[1])
