"""The Decree 30 parser on OCR text: repair the typical misreadings of a scanned header first.

Tesseract reads a clean 200 dpi header well, but a skewed, stamped or photocopied page gives
"Dộc lập - Tự do - Hạnh phủc", "CỘNG HÒA XÃ HỘĨ CHỦ NGHĨA", "QD" for "QĐ", "2O19" for "2019", a
date broken over two lines. ``repair_header`` fixes those in the first lines only (the header
region the parser reads), on evidence: a line is rewritten only when it is close to a fixed phrase
of the Decree 30 layout, or when a number or a date keyword sits where the layout puts one.
``parse_ocr_document`` then runs the ordinary parser and lowers every field's confidence (OCR text
is never as sure as born-digital text), flagging ``ocr_text`` and, for fields read from a repaired
line, ``ocr_repaired``. Declared metadata still wins (``Description.merged``).

Pure and total: any string gives a ``Description`` (possibly empty); nothing raises.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from ingest.describe.decree30 import parse_document
from ingest.describe.description import Description, Field

HEADER_LINES = 40
OCR_FACTOR = 0.85
"""Confidence of a field read from OCR text, relative to the same reading of born-digital text."""
REPAIRED_FACTOR = 0.9
"""A further factor for a field read from a line this module rewrote."""

PHRASES = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ỦY BAN NHÂN DÂN",
           "HỘI ĐỒNG NHÂN DÂN")
MIN_RATIO = 0.8

_DATE_WORDS = {"ngay": "ngày", "thang": "tháng", "nam": "năm"}
_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
_NUMERIC_TOKEN = re.compile(r"(?<![^\W\d_])([0-9OoIl|SB]{1,4})(?![^\W\d_])")
# a dash between the label and the number: the edge of a stamp, or a speck, read as "-" ("Số:-23/…")
_SO_LABEL = re.compile(r"^\s*(S[ốôoóòỗồổộ6][\s:;.,\-–—]*|S6[\s:;.,\-–—]*)(?=[0-9OoIl|])")


def fold(s: str) -> str:
    """Lower case without diacritics (đ → d), the comparison key for OCR text."""
    s = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in s if unicodedata.category(c) != "Mn").lower()


def _fix_phrases(line: str) -> tuple[str, bool]:
    """A run of words close to a fixed phrase of the layout (same word count) becomes the phrase,
    in the run's case (upper case stays upper case)."""
    words = line.split()
    changed = False
    for phrase in PHRASES:
        target = phrase.split()
        n = len(target)
        key = fold(phrase)
        best, best_start = MIN_RATIO, None
        for start in range(len(words) - n + 1):
            window = " ".join(words[start:start + n])
            if window.lower() == phrase.lower():
                best_start = None
                break
            ratio = difflib.SequenceMatcher(None, fold(window), key).ratio()
            if ratio >= best:  # the best-aligned run, not the first one close enough
                best, best_start = ratio, start
        if best_start is not None:
            window = " ".join(words[best_start:best_start + n])
            replacement = phrase.upper() if window.isupper() else phrase
            words[best_start:best_start + n] = replacement.split()
            changed = True
    return (" ".join(words), True) if changed else (line, False)


def _fix_date(line: str) -> tuple[str, bool]:
    """``ngảy 24 thảng O2 năm 2O19`` → ``ngày 24 tháng 02 năm 2019`` (only with two date words)."""
    tokens = line.split(" ")
    folded = [fold(t).strip(",.;:") for t in tokens]
    hits = [i for i, f in enumerate(folded) if f in _DATE_WORDS or
            (any(difflib.SequenceMatcher(None, f, w).ratio() >= 0.75 for w in ("thang",)) and len(f) == 5)]
    if len(hits) < 2:
        return line, False
    changed = False
    for i in hits:
        f = folded[i] if folded[i] in _DATE_WORDS else "thang"
        canonical = _DATE_WORDS[f]
        if i + 1 < len(tokens) and _NUMERIC_TOKEN.fullmatch(tokens[i + 1].rstrip(",.;")):
            fixed = tokens[i + 1].translate(_DIGITISH)
            if fixed != tokens[i + 1]:
                tokens[i + 1], changed = fixed, True
            if tokens[i].lower() != canonical:
                keep_upper = tokens[i][:1].isupper()
                tokens[i] = canonical.capitalize() if keep_upper else canonical
                changed = True
    return " ".join(tokens), changed


def _fix_number(line: str) -> tuple[str, bool]:
    """``Sô: 3l8/QĐ-UBND`` → ``Số: 318/QĐ-UBND`` (the number before the slash only)."""
    m = _SO_LABEL.match(line)
    if not m:
        return line, False
    rest = line[m.end():]
    slash = rest.find("/")
    if slash <= 0 or slash > 6:
        return line, False
    number = rest[:slash].strip()
    fixed = number.translate(_DIGITISH)
    if not fixed.isdigit():
        return line, False
    out = "Số: " + fixed + rest[slash:]
    return out, out != line


def _join_broken(lines: list[str]) -> tuple[list[str], int]:
    """Join a header line cut after ``-``/``/`` (a symbol) or a date cut before ``năm``."""
    out: list[str] = []
    joined = 0
    for line in lines:
        stripped = line.strip()
        if out and stripped:
            prev = out[-1].rstrip()
            prev_fold = fold(prev)
            if (re.search(r"\bso\s*:?\s*\d+/\S*[-/]$", prev_fold)
                    or (re.search(r"\bngay\b.*\bthang\b", prev_fold) and not re.search(r"\bnam\s+\d", prev_fold)
                        and re.match(r"nam\s+\S", fold(stripped)))):
                sep = "" if prev.endswith(("-", "/")) else " "
                out[-1] = prev + sep + stripped
                joined += 1
                continue
        out.append(line)
    return out, joined


def repair_header(text: str) -> tuple[str, list[str]]:
    """The text with its header repaired, and the names of the repairs made (empty: unchanged)."""
    if not isinstance(text, str) or not text:
        return "" if not isinstance(text, str) else text, []
    text = unicodedata.normalize("NFC", text)
    lines = text.split("\n")
    head, tail = lines[:HEADER_LINES], lines[HEADER_LINES:]
    fixes: list[str] = []
    head, joined = _join_broken(head)
    if joined:
        fixes.append("joined_lines")
    for i, line in enumerate(head):
        for name, fix in (("phrase", _fix_phrases), ("number", _fix_number), ("date", _fix_date)):
            line, changed = fix(line)
            if changed:
                fixes.append(name)
        head[i] = line
    return "\n".join(head + tail), sorted(set(fixes))


FIELDS_BY_REPAIR = {
    "number": ("number", "so_ky_hieu", "notation", "year_in_number"),
    "date": ("issued_date", "issued_date_raw", "place"),
    "joined_lines": ("number", "so_ky_hieu", "notation", "issued_date", "issued_date_raw", "place"),
}


SEVERITY = {"security_level": ("MẬT", "TỐI MẬT", "TUYỆT MẬT"), "urgency": ("KHẨN", "THƯỢNG KHẨN", "HỎA TỐC")}
"""The marks in rising order: of several stamps of one field, the most severe is kept."""
STAMP_CONFIDENCE = {True: 0.8, False: 0.6}
"""Confidence of a mark read from a red stamp, exactly or without its diacritics."""


def with_stamps(description: Description, stamps: list[dict] | None) -> Description:
    """``description`` with the độ mật / độ khẩn read from red stamps (``ingest.ocr.stamps``) where the
    text gave none (source ``ocr:red_stamp``); a mark read in the text is kept."""
    fields = dict(description.fields)
    for name, order in SEVERITY.items():
        marks = [m for m in stamps or () if m.get("field") == name and m.get("value") in order]
        if name in fields or not marks:
            continue
        best = max(marks, key=lambda m: (order.index(m["value"]), bool(m.get("exact"))))
        flags = ("ocr_text", "red_stamp", *(() if best.get("exact") else ("marking_without_diacritics",)))
        fields[name] = Field(value=best["value"], confidence=STAMP_CONFIDENCE[bool(best.get("exact"))],
                             source="ocr:red_stamp", flags=flags)
    return Description(fields)


def parse_ocr_document(text: str, stamps: list[dict] | None = None) -> tuple[Description, list[str]]:
    """Parse OCR text: header repaired, every confidence lowered (see the module docstring); the
    marks of red ``stamps`` added where the text has none (``with_stamps``)."""
    repaired, fixes = repair_header(text if isinstance(text, str) else "")
    parsed = parse_document(repaired)
    touched = {name for fix in fixes for name in FIELDS_BY_REPAIR.get(fix, ())}
    fields = {}
    for name, f in parsed.fields.items():
        factor = OCR_FACTOR * (REPAIRED_FACTOR if name in touched else 1.0)
        flags = (*f.flags, "ocr_text", *(("ocr_repaired",) if name in touched else ()))
        fields[name] = Field(value=f.value, confidence=round(f.confidence * factor, 3), source=f.source, flags=flags)
    return with_stamps(Description(fields), stamps), fixes
