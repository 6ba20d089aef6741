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

Only the header is read so: the paragraphs at the top of the page until the first one without
such a cut, each cut into rows where its lines lie further apart than ``ROW_GAP`` line heights
(the row of số ký hiệu and date, which Tesseract sometimes puts in the header's paragraph, stays
one row read across). The foot — Nơi nhận beside the signer's block — stays as Tesseract reads
it: which of the two comes first has no single answer, and the reference text of bench/ocr.py
puts the signer first.

No word is dropped, added or changed: only their order within such a paragraph.
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


def parse_hocr(hocr: str) -> list[Paragraph] | None:
    """Paragraphs → lines → words (text and box) of one page of hOCR; None when it cannot be read."""
    try:
        root = ET.fromstring(hocr)
    except ET.ParseError:
        return None
    paragraphs: list[Paragraph] = []

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
        if "ocr_par" not in _classes(el):
            continue
        lines = [words_of(ln) for ln in el.iter() if _classes(ln) & set(_LINES)]
        lines = [ln for ln in lines if ln]
        if lines:
            paragraphs.append(lines)
    return paragraphs


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
    first paragraph none of whose rows has a column cut. The signer's block at the foot, beside
    the Nơi nhận list, is left in Tesseract's order: which of the two comes first has no answer."""
    for n, p in enumerate(paragraphs):
        if all(column_cut(row, wide_gap) is None for row in rows(p)):
            return n
    return len(paragraphs)


def page_text(paragraphs: list[Paragraph], wide_gap: float = WIDE_GAP) -> str:
    """The page's text as Tesseract's text output lays it out, the header's columns read one after
    the other within each row of lines of its paragraphs."""
    top = leading(paragraphs, wide_gap)
    return "".join("\n".join(t for row in rows(p) for t in paragraph_lines(row, wide_gap)) + "\n\n" if n < top
                   else "\n".join(" ".join(w.text for w in line) for line in p) + "\n\n"
                   for n, p in enumerate(paragraphs))


def text_from_hocr(hocr: str) -> str | None:
    """``page_text`` of an hOCR page; None when the hOCR cannot be read (keep Tesseract's text)."""
    paragraphs = parse_hocr(hocr)
    return None if paragraphs is None else page_text(paragraphs)
