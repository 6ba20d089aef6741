"""TCVN3 case restoration: the caps fonts (``.VnTimeH``) drew lower-case code points as capitals;
the case comes back from context (works on the legacy text: decoding is one character for one)."""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.vnlegacy.letters import _LETTER_INFO
from ingest.vnlegacy.syllables import is_vietnamese_syllable
from ingest.vnlegacy.tables import _TCVN3_DECODE

_L1_LETTER = "A-Za-z\u00a1-\u00ff"
_TCVN3_LOWER_CODES = "".join(sorted(c for c, u in _TCVN3_DECODE.items() if u.islower()))
_TCVN3_TONED_CODES = "".join(sorted(c for c, u in _TCVN3_DECODE.items() if _LETTER_INFO.get(u, ("", 0))[1]))
# Words without a lower-case ASCII letter that hold a code point of a lower-case letter.
_CAPS_CANDIDATE_RE = re.compile(
    rf"(?<![{_L1_LETTER}])[A-Z\u00a1-\u00ff]*[{re.escape(_TCVN3_LOWER_CODES)}]"
    rf"[A-Z\u00a1-\u00ff]*(?![{_L1_LETTER}])"
)
# A toned vowel opening a sentence. Every branch starts with a literal, which lets the regex
# engine skip ahead quickly; the start of the text is checked apart.
_QUOTES_SPACE = r"[\"'\u201d\u2019)\]]*\s+"
_BULLET = r"([-\u2013\u2014\u2022*+\"'\u201c\u2018(\[]\s*)?"
_SENTENCE_START_RE = re.compile(
    rf"(?:\.{_QUOTES_SPACE}|!{_QUOTES_SPACE}|\?{_QUOTES_SPACE}|\u2026{_QUOTES_SPACE}"
    r"|:[ \t]*\r?\n\s*|\n[ \t]*\r?\n\s*)"
    rf"{_BULLET}([{re.escape(_TCVN3_TONED_CODES)}])"
)
_TEXT_START_RE = re.compile(rf"\s*{_BULLET}([{re.escape(_TCVN3_TONED_CODES)}])")
_WORD_RE = re.compile(r"[^\W\d_]+")
_ASCII_LOWER_RE = re.compile("[a-z]")


@lru_cache(maxsize=4096)  # page headers repeat
def _is_caps_line(line: str) -> bool:
    """More caps syllables (``CỘNG``, ``HOÀ``) than words with lower-case ASCII letters."""
    caps = lower = 0
    for w in _WORD_RE.findall(line):
        if len(w) < 2:
            continue
        if _ASCII_LOWER_RE.search(w):
            lower += 1
        elif not w[1:].islower() and is_vietnamese_syllable(w):
            caps += 1
    return caps > lower


def _restore_tcvn3_case(legacy: str, decoded: str, sentence_start: bool) -> str:
    edits: list[tuple[int, int]] = []  # spans of ``decoded`` to upper-case
    caps_at: dict[int, bool] = {}  # line start -> line in capitals
    for m in _CAPS_CANDIDATE_RE.finditer(legacy):
        start, end = m.span()
        if end - start > 1 and not decoded[start + 1:end].islower():  # CéNG, ñY, §ÞNH
            edits.append((start, end))
            continue
        line_start = legacy.rfind("\n", 0, start) + 1
        caps = caps_at.get(line_start)
        if caps is None:
            line_end = legacy.find("\n", end)
            caps = caps_at[line_start] = _is_caps_line(decoded[line_start:line_end if line_end >= 0 else None])
        if caps:
            edits.append((start, end))
    if sentence_start:
        first = _TEXT_START_RE.match(legacy)
        if first:
            edits.append(first.span(2))
    for m in _SENTENCE_START_RE.finditer(legacy):
        edits.append(m.span(2))
    if not edits:
        return decoded
    edits.sort()
    out = []
    pos = 0
    for start, end in edits:
        if start < pos:  # already upper-cased as part of a caps word
            continue
        out.append(decoded[pos:start])
        out.append(decoded[start:end].upper())
        pos = end
    out.append(decoded[pos:])
    return "".join(out)
