"""Conversion: :func:`to_unicode` and :func:`from_unicode` (no detection), and
:func:`fix_legacy_text` (detect, then convert block by block)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.vnlegacy.case import _restore_tcvn3_case
from ingest.vnlegacy.detection import _HINT_RE, _analyse, _summary
from ingest.vnlegacy.evidence import _TOKEN_RE
from ingest.vnlegacy.letters import _UNICODE_ONLY_RE
from ingest.vnlegacy.tables import (
    _NON_LATIN1_RE,
    _TCVN3_DECODE,
    _TCVN3_ENCODE,
    _VNI_CHARS,
    _VNI_ENCODE,
    _canonical,
    _tcvn3_decode_chars,
    _vni_decode,
)


@dataclass(frozen=True)
class Conversion:
    """Result of :func:`fix_legacy_text`.

    ``confidence`` is the detector's certainty about ``encoding``; when ``encoding`` is None it
    is the certainty that no legacy text is present (1 minus the best candidate's score).
    """

    text: str  # NFC Unicode
    encoding: str | None  # "tcvn3" | "vni" | None when nothing was converted
    confidence: float  # how sure the detector was (0..1)
    changed_chars: int  # legacy code characters rewritten (VNI: not counting the ASCII base letters)

def to_unicode(text: str, encoding: str, *, restore_case: bool = True, sentence_start: bool = True) -> str:
    """Convert legacy ``text`` (Latin-1 code points of the font bytes) to NFC Unicode.

    Everything is converted, without detection; characters outside the encoding's table are
    kept. For TCVN3, ``restore_case`` applies the caps-font rules of the module docstring and
    ``sentence_start`` says whether ``text`` begins a sentence (its first toned vowel is then
    capitalised). ``encoding`` is ``"tcvn3"`` or ``"vni"`` (aliases: ``abc``, ``vni-windows``).
    """
    enc = _canonical(encoding)
    if not text:
        return text
    text = unicodedata.normalize("NFC", text)
    if enc == "tcvn3":
        out = _tcvn3_decode_chars(text)
        if restore_case:
            out = _restore_tcvn3_case(text, out, sentence_start)
    else:
        out = _vni_decode(text)
    return unicodedata.normalize("NFC", out)


def from_unicode(text: str, encoding: str, errors: str = "strict") -> str:
    """Encode Unicode Vietnamese ``text`` as a legacy font shows it once extracted (the inverse
    of :func:`to_unicode`); used to generate test material.

    TCVN3 writes upper-case toned vowels with the caps-font (lower-case) code points. A
    Latin-1 character that the encoding uses for something else (``ç`` in TCVN3, ``ö`` in
    VNI) cannot be represented: ``errors`` is ``"strict"`` (ValueError), ``"replace"`` (``?``)
    or ``"ignore"``. Any other character is kept as it is.
    """
    enc = _canonical(encoding)
    if errors not in ("strict", "replace", "ignore"):
        raise ValueError(f"errors must be 'strict', 'replace' or 'ignore', not {errors!r}")
    table = _TCVN3_ENCODE if enc == "tcvn3" else _VNI_ENCODE
    reserved = _TCVN3_DECODE.keys() if enc == "tcvn3" else _VNI_CHARS
    out = []
    for i, ch in enumerate(unicodedata.normalize("NFC", text)):
        code = table.get(ch)
        if code is not None:
            out.append(code)
        elif ch in reserved:
            if errors == "strict":
                raise ValueError(f"{ch!r} at position {i} cannot be represented in {enc}")
            if errors == "replace":
                out.append("?")
        else:
            out.append(ch)
    return "".join(out)

def _convert_block(text: str, enc: int, sentence_start: bool) -> tuple[str, int]:
    """Convert one block; words that already hold Unicode-only letters are kept as they are."""
    keep = []
    if _UNICODE_ONLY_RE.search(text):
        keep = [m.span() for m in _TOKEN_RE.finditer(text) if _UNICODE_ONLY_RE.search(m.group())]
    changed = _count_changed(text, enc) - sum(_count_changed(text[s:e], enc) for s, e in keep)
    if enc == 0:
        decoded = _tcvn3_decode_chars(text)
        if keep:
            decoded = _splice(decoded, text, keep)
        out = _restore_tcvn3_case(text, decoded, sentence_start)
    elif keep:
        pieces = []
        pos = 0
        for s, e in keep:
            pieces.append(_vni_decode(text[pos:s]))
            pieces.append(text[s:e])
            pos = e
        pieces.append(_vni_decode(text[pos:]))
        out = "".join(pieces)
    else:
        out = _vni_decode(text)
    return unicodedata.normalize("NFC", out), changed


def _splice(decoded: str, original: str, spans: list[tuple[int, int]]) -> str:
    """Put the ``original`` text back into ``decoded`` (same length) at ``spans``."""
    pieces = []
    pos = 0
    for s, e in spans:
        pieces.append(decoded[pos:s])
        pieces.append(original[s:e])
        pos = e
    pieces.append(decoded[pos:])
    return "".join(pieces)


_COUNT_DELETE = (
    bytes(sorted(ord(c) for c in _TCVN3_DECODE)),
    bytes(sorted(ord(c) for c in _VNI_CHARS)),
)


def _count_changed(text: str, enc: int) -> int:
    """Legacy code characters in ``text``: the characters a conversion rewrites (for VNI the
    ASCII base letter that a code combines with is not counted)."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        raw = _NON_LATIN1_RE.sub("", text).encode("latin-1")
    return len(raw) - len(raw.translate(None, _COUNT_DELETE[enc]))


_SENTENCE_END_RE = re.compile(r"(?:[.!?:\u2026][\"'\u201d\u2019)\]]*\s*|\n[ \t]*\r?\n\s*)$")


def fix_legacy_text(text: str) -> Conversion:
    """Detect TCVN3/VNI text and convert it, block of lines by block of lines, when confident.

    Text that is not (or not confidently) legacy comes back NFC-normalised with encoding None.
    """
    if not text:
        return Conversion("", None, 1.0, 0)
    text = unicodedata.normalize("NFC", text)
    if not _HINT_RE.search(text):
        return Conversion(text, None, 1.0, 0)
    lines, blocks, best_score = _analyse(text)
    encoding, confidence = _summary(blocks, best_score)
    if not blocks:
        return Conversion(text, None, confidence, 0)
    out: list[str] = []
    changed = 0
    pos = 0
    for b in blocks:
        out.extend(lines[pos:b.start])
        before = "".join(lines[max(0, b.start - 2):b.start])
        sentence_start = not before.strip() or bool(_SENTENCE_END_RE.search(before))
        converted, n = _convert_block("".join(lines[b.start:b.end]), b.encoding, sentence_start)
        out.append(converted)
        changed += n
        pos = b.end
    out.extend(lines[pos:])
    return Conversion(unicodedata.normalize("NFC", "".join(out)), encoding, confidence, changed)
