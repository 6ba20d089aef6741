"""Decree 30 reading, part 1: the confidence levels, the limits, and the text as the parser sees
it: lines cleaned, folded (no diacritics, lower case) and cut into the head and tail regions."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

STRICT = 0.95
HEURISTIC = 0.9
LAYOUT_DEFECT = 0.85
INFERRED = 0.8
WEAK = 0.7
LENIENT = 0.6

MAX_REGION_LINES = 60
"""Non-empty lines read at each end; the header and closing never need more."""
MAX_RAW_LINES = 400
MAX_LINE_CHARS = 400
MAX_CELLS = 8
WHOLE_TEXT_LIMIT = 200_000
"""Above this many characters only the two ends are split into lines, so 1 MB costs no more."""
CHUNK_CHARS = 100_000

# --------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------

_CELL_GAP = re.compile(r"\s{2,}")


def _build_fold_table() -> dict[int, str]:
    """Character map to lower-case ASCII without diacritics; one character in, one out, so that
    offsets in a folded string are offsets in the original."""
    table: dict[int, str] = {cp: chr(cp + 32) for cp in range(0x41, 0x5B)}
    for cp in range(0xC0, 0x1EFA):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii() and base.isalpha():
            table[cp] = base.lower()
    for ch in "ĐđÐð":
        table[ord(ch)] = "d"
    return table


_FOLD = _build_fold_table()


@functools.lru_cache(maxsize=4096)
def _fold(s: str) -> str:
    # str.translate with a dict costs ~0.25 µs a character, so hot paths avoid folding whole
    # lines: they use diacritic-tolerant patterns on the original or fold a short prefix.
    return s.translate(_FOLD)


# Old-style tone placement ("HOÀ", "UỶ") and new style ("HÒA", "ỦY") are both in use; matching
# normalises word-final oa/oe/uy to the new style. Used only to compare, never to report.
_OLD_TONE = {}
for _old, _new in (("oà", "òa"), ("oá", "óa"), ("oả", "ỏa"), ("oã", "õa"), ("oạ", "ọa"),
                   ("oè", "òe"), ("oé", "óe"), ("oẻ", "ỏe"), ("oẽ", "õe"), ("oẹ", "ọe"),
                   ("uỳ", "ùy"), ("uý", "úy"), ("uỷ", "ủy"), ("uỹ", "ũy"), ("uỵ", "ụy")):
    _OLD_TONE[_old] = _new
    _OLD_TONE[_old.upper()] = _new.upper()
_OLD_TONE_RE = re.compile("(" + "|".join(_OLD_TONE) + r")(?![^\W\d_])")


def _tone(s: str) -> str:
    return _OLD_TONE_RE.sub(lambda m: _OLD_TONE[m.group(1)], s)


def _collapse(s: str) -> str:
    return " ".join(s.split())


@dataclass(frozen=True, slots=True)
class _Line:
    index: int
    raw: str  # stripped, inner spacing kept (column gaps are 2+ spaces)
    indent: int
    text: str  # whitespace collapsed
    cells: tuple[str, ...]  # split on column gaps, each collapsed


def _make_line(index: int, s: str) -> _Line:
    stripped = s.strip()
    text = " ".join(stripped.split())
    if "  " in stripped:
        # No real layout has more than a few columns; the cap bounds work on tables and garbage.
        cells = tuple(" ".join(c.split()) for c in _CELL_GAP.split(stripped, MAX_CELLS) if c and not c.isspace())
    else:
        cells = (text,) if text else ()
    return _Line(index, stripped, len(s) - len(s.lstrip()), text, cells)


_REPLACEMENTS = {"\t": "    ", "Ð": "Đ", "ð": "đ"}  # eth is an OCR confusable of Đ, never Vietnamese
_REPLACE = re.compile(
    "[\t\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff\ufffd"
    "\u00a0\u2000-\u200a\u202f\u205f\u3000|¦│┃Ðð]"
)


def _replacement(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    if ch in "|¦│┃":
        return "  "  # OCR of table borders: a column gap
    if ch == "\u00a0" or "\u2000" <= ch <= "\u200a" or ch in "\u202f\u205f\u3000":
        return " "
    return ""  # control and zero-width characters


def _clean_line(s: str) -> str:
    # Cut before normalising so a megabyte without line breaks costs no more than a short line
    # (NFD text is up to ~2x longer than NFC, hence the margin).
    s = unicodedata.normalize("NFC", s[: 3 * MAX_LINE_CHARS])
    return _REPLACE.sub(_replacement, s)[:MAX_LINE_CHARS]


def _take(raw: list[str], base: int, *, from_end: bool, cache: dict[int, _Line]) -> list[_Line]:
    out: list[_Line] = []
    non_empty = 0
    positions = range(len(raw) - 1, -1, -1) if from_end else range(len(raw))
    for count, i in enumerate(positions):
        if count >= MAX_RAW_LINES or non_empty >= MAX_REGION_LINES:
            break
        line = cache.get(base + i)
        if line is None:
            line = cache[base + i] = _make_line(base + i, _clean_line(raw[i]))
        non_empty += bool(line.text)
        out.append(line)
    if from_end:
        out.reverse()
    return out


def _regions(text: str) -> tuple[list[_Line], list[_Line]]:
    """The head and tail lines, NFC-normalised and cleaned. They overlap for a short text (the
    parser then reads the closing only below the header). Only these lines are normalised, and
    for a long text only its two ends are split into lines at all."""
    cache: dict[int, _Line] = {}
    if len(text) <= WHOLE_TEXT_LIMIT:
        raw = text.splitlines()  # also splits on \r, \f, \v, \x1c-\x1e, \x85, \u2028, \u2029
        return _take(raw, 0, from_end=False, cache=cache), _take(raw, 0, from_end=True, cache=cache)
    head = text[:CHUNK_CHARS].splitlines()
    tail = text[-CHUNK_CHARS:].splitlines()
    return (_take(head, 0, from_end=False, cache=cache),
            _take(tail, 10**9, from_end=True, cache=cache))
