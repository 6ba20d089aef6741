"""How close OCR text is to its ground truth: the measures ``bench/ocr.py`` and ``bench/ocr_red.py`` print.

* ``cer`` — the strict character error rate: Levenshtein distance over the whole text (NFC,
  whitespace runs collapsed to one space) divided by the truth's length. A block read in another
  order than the truth's counts as errors, however well its characters are read.
* ``line_errors`` — each line of the truth against the substring of its page's OCR text it matches
  best (free ends): recognition errors only, whatever the order. A lower bound: OCR text that no
  line of the truth claims (words read twice, specks read as letters) is not counted.
* ``flexible_character_accuracy`` — the flexible character accuracy (FCA) of C. Clausner,
  S. Pletschacher and A. Antonacopoulos, "Flexible character accuracy measure for
  reading-order-independent evaluation", Pattern Recognition Letters 131 (2020) 390–397,
  doi:10.1016/j.patrec.2020.02.003. Lines of the truth are matched, longest first, to the parts of
  OCR lines they fit best (a penalty weighing the edit distance, the difference in length, where in
  the longer line the match lies, and its length, with the paper's grid of coefficients, the best
  result kept); what is left of a line after a match goes back into the pool; what no match takes
  counts as deleted (truth) or inserted (OCR). Independent of the order of text blocks, but unlike
  the line CER every character the OCR adds counts. ``1 - accuracy`` is its error rate, beside the
  strict CER.
* ``diacritic_word_accuracy`` — the share of the truth's words with diacritics found, in order.

OCR-D's dinglehopper, which the paper's authors' colleagues wrote, has an FCA only in a branch
never released (dinglehopper 0.11 on PyPI has none) and pulls OCR-D's core; this one is written
from the paper and checked against the paper's own examples (figures 3 and 4) in
``tests/ingest/test_ocr_accuracy.py``. The edit operations come from RapidFuzz.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from rapidfuzz.distance import Levenshtein

COEFFICIENTS: tuple[tuple[int, int, int, int], ...] = tuple(
    product(range(15, 31, 5), range(0, 24, 3), range(0, 4), range(0, 6)))
"""The paper's grid of penalty coefficients (edit distance, length difference, offset, length):
FCA is the best accuracy over them."""


def normalize(text: str) -> str:
    """NFC, whitespace runs collapsed to one space, no space at either end."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def cer(truth: str, ocr: str) -> tuple[int, int]:
    """(errors, characters): Levenshtein distance of the normalised texts and the truth's length."""
    t, o = normalize(truth), normalize(ocr)
    return Levenshtein.distance(t, o), len(t)


def line_distance(line: str, text: str) -> int:
    """Edit distance of ``line`` to the substring of ``text`` it matches best (free ends in
    ``text``): its recognition errors, wherever the page's reading order put it."""
    prev = [0] * (len(text) + 1)
    for i, a in enumerate(line, 1):
        cur = [i] + [0] * len(text)
        for j, b in enumerate(text, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b))
        prev = cur
    return min(prev)


def line_errors(truth: str, ocr: str) -> tuple[int, int]:
    """(errors, characters) of the truth's lines, page by page (form feeds), each against the OCR
    text of its page."""
    errors = chars = 0
    ocr_pages = ocr.split("\f")
    for n, page in enumerate(truth.split("\f")):
        got = normalize(ocr_pages[n]) if n < len(ocr_pages) else ""
        for line in page.splitlines():
            line = normalize(line)
            if line:
                errors += line_distance(line, got)
                chars += len(line)
    return errors, chars


def _has_diacritic(word: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", word)) or "đ" in word.lower()


def diacritic_word_accuracy(truth: str, ocr: str) -> tuple[int, int]:
    """(matched, total) of the truth's words with diacritics, aligned in order."""
    t, o = normalize(truth).split(), normalize(ocr).split()
    matcher = difflib.SequenceMatcher(None, t, o, autojunk=False)
    matched: set[int] = set()
    for block in matcher.get_matching_blocks():
        matched.update(range(block.a, block.a + block.size))
    wanted = [i for i, w in enumerate(t) if _has_diacritic(w)]
    return sum(i in matched for i in wanted), len(wanted)


@dataclass(frozen=True)
class Edits:
    """Edit operations between matched text: characters equal, replaced, inserted (in the OCR), deleted."""
    match: int = 0
    replace: int = 0
    insert: int = 0
    delete: int = 0

    def __add__(self, other: Edits) -> Edits:
        return Edits(self.match + other.match, self.replace + other.replace, self.insert + other.insert,
                     self.delete + other.delete)

    @property
    def errors(self) -> int:
        return self.replace + self.insert + self.delete

    @property
    def characters(self) -> int:
        """Of the truth."""
        return self.match + self.replace + self.delete

    @property
    def accuracy(self) -> float:
        """1 − errors / characters (below 0 when the OCR adds more than the truth holds; 1 for two
        empty texts)."""
        if not self.characters:
            return 1.0 if not self.errors else -float(self.errors)
        return 1.0 - self.errors / self.characters

    @property
    def weighted(self) -> int:
        """A replacement weighs as a deletion and an insertion: the distance matches are chosen by."""
        return self.insert + self.delete + 2 * self.replace


@lru_cache(maxsize=200_000)
def _edits(gt: str, ocr: str) -> Edits:
    counts = {"replace": 0, "insert": 0, "delete": 0}
    for op in Levenshtein.editops(gt, ocr):
        counts[op.tag] += 1
    return Edits(match=len(gt) - counts["delete"] - counts["replace"], **counts)


@lru_cache(maxsize=200_000)
def _align(gt: str, ocr: str) -> tuple[int, int, int, int, Edits] | None:
    """The best local match of two line parts (the paper's naive alignment): the shorter slides
    along the longer, compared with each stretch of its own length, and the two whole parts are
    compared too; the least weighted distance wins (the whole parts on a tie), then a stretch is
    lengthened at its end while that lowers the distance (a character dropped or added inside).
    Returns (gt start, gt end, ocr start, ocr end, edits), or None when deleting the truth's part
    costs less than that match (its weighted distance is not below the part's length)."""
    n = min(len(gt), len(ocr))
    if n == 0:
        return None
    best = (0, len(gt), 0, len(ocr), _edits(gt, ocr))
    if len(gt) >= len(ocr):
        windows = [(i, i + n, 0, n) for i in range(len(gt) - n + 1)]
    else:
        windows = [(0, n, j, j + n) for j in range(len(ocr) - n + 1)]
    for gs, ge, os_, oe in windows:
        edits = _edits(gt[gs:ge], ocr[os_:oe])
        if edits.weighted < best[4].weighted:
            best = (gs, ge, os_, oe, edits)
    gs, ge, os_, oe, edits = best
    if (ge - gs, oe - os_) != (len(gt), len(ocr)):
        for k in range(1, edits.replace + edits.delete + edits.insert + 1):
            if ge + k > len(gt) and oe + k > len(ocr):
                break
            longer = (gs, min(len(gt), ge + k), os_, min(len(ocr), oe + k))
            e = _edits(gt[longer[0]:longer[1]], ocr[longer[2]:longer[3]])
            if e.weighted < best[4].weighted:
                best = (*longer, e)
    return best if best[4].match > 0 and best[4].weighted < len(gt) else None


def _penalty(gt: str, ocr: str, found: tuple[int, int, int, int, Edits], coef: tuple[int, int, int, int]) -> float:
    """The paper's penalty of a match: weighted edit distance, difference in length, distance of the
    match from either end of the longer line (a match in its middle cuts it in two), minus length."""
    c_edit, c_diff, c_offset, c_length = coef
    diff = abs(len(gt) - len(ocr))
    offset = 0.0
    if diff > 1:
        position = max(found[0], found[2])
        offset = diff / 2 - abs(position - diff / 2)
    return c_edit * found[4].weighted + c_diff * diff + c_offset * offset - c_length * min(len(gt), len(ocr))


def _lines(text: str) -> list[str]:
    return [line for line in (unicodedata.normalize("NFC", ln) for ln in text.splitlines()) if line]


def _match(gt_lines: list[str], ocr_lines: list[str], coef: tuple[int, int, int, int]) -> Edits:
    """Steps 1–6 of the paper for one set of coefficients: the edits of all matches, deletions and insertions."""
    gt, ocr = list(gt_lines), list(ocr_lines)
    total = Edits()
    while gt and ocr:
        gt.sort(key=len, reverse=True)
        line = gt.pop(0)
        best: tuple[float, int, tuple[int, int, int, int, Edits]] | None = None
        for k, other in enumerate(ocr):
            found = _align(line, other)
            if found is None:
                continue
            penalty = _penalty(line, other, found, coef)
            if best is None or penalty < best[0]:
                best = (penalty, k, found)
        if best is None:  # nothing in the OCR shares a character with it: deleted
            total += Edits(delete=len(line))
            continue
        _, k, (gs, ge, os_, oe, edits) = best
        other = ocr.pop(k)
        total += edits
        gt += [part for part in (line[:gs], line[ge:]) if part]
        ocr += [part for part in (other[:os_], other[oe:]) if part]
    return total + Edits(delete=sum(map(len, gt)), insert=sum(map(len, ocr)))


@dataclass(frozen=True)
class Fca:
    accuracy: float
    edits: Edits

    @property
    def error_rate(self) -> float:
        return 1.0 - self.accuracy


def flexible_character_accuracy(truth: str, ocr: str,
                                coefficients: Iterable[tuple[int, int, int, int]] = COEFFICIENTS) -> Fca:
    """The flexible character accuracy of ``ocr`` against ``truth`` (text lines separated by line
    breaks; line breaks are not characters), with its edit operations: the best over
    ``coefficients``."""
    gt_lines, ocr_lines = _lines(truth), _lines(ocr)
    best: Fca | None = None
    for coef in coefficients:
        edits = _match(gt_lines, ocr_lines, coef)
        if best is None or edits.accuracy > best.accuracy:
            best = Fca(edits.accuracy, edits)
        if best.accuracy >= 1.0:
            break
    return best if best is not None else Fca(Edits().accuracy, Edits())
