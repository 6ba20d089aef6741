"""Detect and convert pre-Unicode Vietnamese text: TCVN3 (ABC) and VNI Windows.

Documents typed with the legacy Vietnamese fonts come out of every text extractor (PDFium,
Tika, python-docx, ...) as mojibake: the extractor reports the font's byte values as the
Latin-1 / cp1252 code points of the same number. This module recognises such text and maps it
back to NFC Unicode.

Encodings covered
-----------------
**TCVN3** -- TCVN 5712:1993, table VN3 (the 8-bit "ABC" set used by the ``.VnTime``,
``.VnArial``... fonts). VN3 has a code point for every lower-case Vietnamese letter
(``ă â ê ô ơ ư đ`` at 0xA8-0xAE and the 5 tones x 12 vowels in 0xB5-0xFE) and for the seven
upper-case letters without tone ``Ă Â Ê Ô Ơ Ư Đ`` (0xA1-0xA7). Upper-case vowels *with* a
tone mark do not exist in VN3: typists switched to the companion caps fonts (``.VnTimeH``,
``.VnArialH``...), which draw the lower-case code points as capitals. The font name is lost
on extraction, so :func:`to_unicode` restores the case from context:

* a word with no lower-case ASCII letter and an upper-case letter after its first position
  (``CéNG`` -> ``CỘNG``, ``ñY`` -> ``ỦY``) is upper-cased;
* on a line written in capitals (more caps syllables such as ``HéI`` than words with a
  lower-case ASCII letter) every word without a lower-case ASCII letter is upper-cased
  (``X·`` -> ``XÃ``, ``ë`` -> ``Ở``);
* a toned vowel that starts a sentence (start of the text, after ``. ! ?``, after a line
  ending in ``:`` or after a blank line) is capitalised (``ñy ban`` -> ``Ủy ban``).

A title-case word beginning with a toned vowel in the middle of a sentence (``... của Ủy ban``)
cannot be told apart from the lower-case word and comes back in lower case; so does a caps
word made only of toned vowels on a line that is not in capitals, and text typed in a caps
font with lower-case ASCII keys. :func:`from_unicode` writes upper-case toned vowels with
the caps-font code points (the lower-case ones), exactly as the legacy fonts did.

**VNI** -- VNI Windows (VNI-Times...), a de facto encoding: an ASCII base vowel followed by
a combining code character (``a`` + ``ù`` = ``á``, ``a`` + ``â`` = ``â``, ``a`` + ``á`` =
``ấ``, ``a`` + ``é`` = ``ắ``...), with single code points for ``ơ`` (``ô``), ``ư`` (``ö``),
``đ`` (``ñ``), ``i`` with a tone (``í ì æ ó ò``) and ``ỵ`` (``î``), and an upper-case code
for every upper-case form (``AÙ`` = ``Á``, ``Ñ`` = ``Đ``, ``Ô`` = ``Ơ``, ``Î`` = ``Ỵ``...).
All 134 letters are representable, so the conversion is exact. The decoder also accepts a
code of the other case (``Aù``) and a base followed by two codes (``aâù`` = ``ấ``).

Detection
---------
Every word that a candidate encoding would change is checked, before and after conversion,
with a small Vietnamese syllable validator (:func:`is_vietnamese_syllable`: onset + rhyme +
at most one tone, on an allowed vowel; stop endings take only the sắc/nặng tones). Words
that become valid syllables count for the encoding; words that stop being valid, words that
stay non-Vietnamese ("junk") and words holding Unicode-only Vietnamese letters (``ộ ư đ``...,
which legacy text cannot contain) count against it. The confidence combines

* the share of changed words that became valid;
* the number of *distinct* improved words (one accidental hit such as ``µm`` is not enough);
* the density, relative to the letter count, of characters and bigrams characteristic of
  the encoding and impossible in Unicode Vietnamese (``µ ¸ ¹ Ö Ü`` for TCVN3, ``aø oä uû ö
  ñ`` for VNI);
* the plausibility of the converted text (:func:`plausibility`, the share of its words that
  are valid syllables), which must rise and end high: Norwegian ``på``/``så`` become the valid
  syllables ``pồ``/``sồ`` in TCVN3, but the text around them does not.

A text that is legacy throughout is converted in one go. Otherwise (a Unicode header over a
TCVN3 body, a foreign paragraph, TCVN3 and VNI in one file) every line is scored and labelled,
lines are grouped into blocks, and each block is converted only when it passes on its own
evidence, or when the document points to the same encoding and the block's words improve.
Text that looks like UTF-8 read as cp1252 (``Cá»™ng``) is left alone: it is a different
problem.

Limits: the soft hyphen U+00AD (TCVN3 ``ư``) is deleted by some extractors and cannot be
recovered; a line that mixes legacy and Unicode words is converted word by word, skipping
words that contain Unicode-only letters. A foreign paragraph inside a legacy document is kept
when converting would garble its words (French ``été`` -> ``ộtộ``); one whose converted words
happen to be valid syllables (Norwegian ``på`` -> ``pồ``) may be converted with the rest. A
lone word, or a two-word line whose other words are not Vietnamese, is not enough evidence.
"""

from __future__ import annotations

import codecs
import operator
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "ENCODINGS",
    "VIETNAMESE_LETTERS",
    "Conversion",
    "detect",
    "fix_legacy_text",
    "from_unicode",
    "is_vietnamese_syllable",
    "plausibility",
    "to_unicode",
]

ENCODINGS = ("tcvn3", "vni")

_ALIASES = {
    "tcvn3": "tcvn3",
    "tcvn": "tcvn3",
    "abc": "tcvn3",
    "vn3": "tcvn3",
    "vni": "vni",
    "vni-win": "vni",
    "vni-windows": "vni",
    "vni windows": "vni",
}


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


# --------------------------------------------------------------------------------------------
# Vietnamese letters
# --------------------------------------------------------------------------------------------

# Tone index: 0 none (ngang), 1 sắc, 2 huyền, 3 hỏi, 4 ngã, 5 nặng.
_TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
_MODIFIED = frozenset("ăâêôơư")
_CONSONANTS = "bcdđghklmnpqrstvx"


def _letter(vowel: str, tone: int) -> str:
    out = unicodedata.normalize("NFC", vowel + _TONE_MARKS[tone])
    assert len(out) == 1, (vowel, tone)
    return out


# lower-case letter -> (vowel or consonant without tone, tone)
_LETTER_INFO: dict[str, tuple[str, int]] = {c: (c, 0) for c in _CONSONANTS}
for _v in _VOWELS:
    for _t in range(6):
        _LETTER_INFO[_letter(_v, _t)] = (_v, _t)

#: Every Vietnamese letter: 12 vowels x 6 tones x 2 cases, plus đ/Đ (the 134 letters outside
#: ASCII are the ones with a diacritic).
VIETNAMESE_LETTERS = tuple(
    [_letter(v, t) for v in _VOWELS for t in range(6)]
    + [_letter(v, t).upper() for v in _VOWELS for t in range(6)]
    + ["đ", "Đ"]
)

# Letters that only exist above U+00FF: their presence proves the text is already Unicode.
_UNICODE_ONLY_RE = re.compile(
    "[" + "".join(sorted({c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF})) + "]"
)

# --------------------------------------------------------------------------------------------
# TCVN3 (TCVN 5712:1993 VN3)
# --------------------------------------------------------------------------------------------

# vowel -> code points for (no tone, sắc, huyền, hỏi, ngã, nặng); a str is an ASCII letter.
_TCVN3_VOWELS: dict[str, tuple[str | int, ...]] = {
    "a": ("a", 0xB8, 0xB5, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB),
    "e": ("e", 0xD0, 0xCC, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6),
    "i": ("i", 0xDD, 0xD7, 0xD8, 0xDC, 0xDE),
    "o": ("o", 0xE3, 0xDF, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE),
    "u": ("u", 0xF3, 0xEF, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9),
    "y": ("y", 0xFD, 0xFA, 0xFB, 0xFC, 0xFE),
}
_TCVN3_OTHER = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}

_TCVN3_DECODE: dict[str, str] = {}  # legacy char -> Unicode letter
_TCVN3_ENCODE: dict[str, str] = {}  # Unicode letter -> legacy char
for _v, _codes in _TCVN3_VOWELS.items():
    for _t, _code in enumerate(_codes):
        if isinstance(_code, int):
            _TCVN3_DECODE[chr(_code)] = _letter(_v, _t)
            _TCVN3_ENCODE[_letter(_v, _t)] = chr(_code)
            # Upper-case toned vowels: the caps-font convention (same code point, caps glyph).
            _TCVN3_ENCODE.setdefault(_letter(_v, _t).upper(), chr(_code))
for _u, _code in _TCVN3_OTHER.items():
    _TCVN3_DECODE[chr(_code)] = _u
    _TCVN3_ENCODE[_u] = chr(_code)
assert len(_TCVN3_DECODE) == 67 + 7

_TCVN3_TABLE = str.maketrans(_TCVN3_DECODE)
# TCVN3 code points that are not Vietnamese letters in Unicode: characteristic of TCVN3.
_TCVN3_CHARACTERISTIC = frozenset(
    c for c in _TCVN3_DECODE if c.lower() not in _LETTER_INFO
)
_TCVN3_CHAR_DELETE = str.maketrans({c: None for c in _TCVN3_CHARACTERISTIC})

# --------------------------------------------------------------------------------------------
# VNI Windows
# --------------------------------------------------------------------------------------------

# Combining codes, indexed by tone 1..5 (sắc, huyền, hỏi, ngã, nặng); lower-case font forms.
_VNI_TONE = ("", "ù", "ø", "û", "õ", "ï")
_VNI_CIRC_TONE = ("â", "á", "à", "å", "ã", "ä")  # index 0: circumflex alone
_VNI_BREVE_TONE = ("ê", "é", "è", "ú", "ü", "ë")  # index 0: breve alone
_VNI_I = ("i", "í", "ì", "æ", "ó", "ò")
_VNI_HORN = {"ơ": "ô", "ư": "ö"}


def _vni_encode_letter(vowel: str, tone: int, upper: bool) -> str:
    if vowel == "i":
        out = _VNI_I[tone]
    elif vowel == "y" and tone == 5:
        out = "î"
    elif vowel in ("ă",):
        out = "a" + _VNI_BREVE_TONE[tone]
    elif vowel in ("â", "ê", "ô"):
        out = {"â": "a", "ê": "e", "ô": "o"}[vowel] + _VNI_CIRC_TONE[tone]
    elif vowel in _VNI_HORN:
        out = _VNI_HORN[vowel] + _VNI_TONE[tone]
    else:
        out = vowel + _VNI_TONE[tone]
    return out.upper() if upper else out


_VNI_ENCODE: dict[str, str] = {"đ": "ñ", "Đ": "Ñ"}
for _v in _VOWELS:
    for _t in range(6):
        for _up in (False, True):
            _ch = _letter(_v, _t).upper() if _up else _letter(_v, _t)
            if not _ch.isascii():
                _VNI_ENCODE[_ch] = _vni_encode_letter(_v, _t, _up)


def _both(chars: str) -> str:
    return "".join(sorted(set(chars + chars.upper())))


_T_CODES = _both("".join(_VNI_TONE))
_C_CODES = _both("".join(_VNI_CIRC_TONE[1:]))
_B_CODES = _both("".join(_VNI_BREVE_TONE[1:]))
# What the decoder recognises (longest match first inside each alternative).
_VNI_RE = re.compile(
    f"[aA](?:[âÂêÊ][{_T_CODES}]?|[{_T_CODES}{_C_CODES}{_B_CODES}])"
    f"|[eEoO](?:[âÂ][{_T_CODES}]?|[{_T_CODES}{_C_CODES}])"
    f"|[uUyY][{_T_CODES}]"
    f"|[ôÔöÖ][{_T_CODES}]?"
    "|[ñÑíÍìÌæÆóÓòÒîÎ]"
)


def _build_vni_decode() -> dict[str, str]:
    table: dict[str, str] = {"ñ": "đ", "Ñ": "Đ", "î": "ỵ", "Î": "Ỵ"}
    for t in range(1, 6):
        table[_VNI_I[t]] = _letter("i", t)
        table[_VNI_I[t].upper()] = _letter("i", t).upper()

    def add(base: str, codes: tuple[str, ...], vowel: str, tone: int) -> None:
        # every combination of code cases; the base letter decides the case of the result
        variants = [""]
        for code in codes:
            variants = [v + c for v in variants for c in {code.lower(), code.upper()}]
        for up in (False, True):
            b = base.upper() if up else base
            out = _letter(vowel, tone)
            for v in variants:
                table[b + v] = out.upper() if up else out

    for base in ("a", "e", "o", "u", "y"):
        for t in range(1, 6):
            add(base, (_VNI_TONE[t],), base, t)
    for base, vowel in (("a", "â"), ("e", "ê"), ("o", "ô")):
        add(base, (_VNI_CIRC_TONE[0],), vowel, 0)
        for t in range(1, 6):
            add(base, (_VNI_CIRC_TONE[t],), vowel, t)
            add(base, (_VNI_CIRC_TONE[0], _VNI_TONE[t]), vowel, t)
    add("a", (_VNI_BREVE_TONE[0],), "ă", 0)
    for t in range(1, 6):
        add("a", (_VNI_BREVE_TONE[t],), "ă", t)
        add("a", (_VNI_BREVE_TONE[0], _VNI_TONE[t]), "ă", t)
    for vowel, code in _VNI_HORN.items():
        add(code, (), vowel, 0)
        for t in range(1, 6):
            add(code, (_VNI_TONE[t],), vowel, t)
    return table


_VNI_DECODE = _build_vni_decode()
_VNI_CHARS = frozenset("".join(_VNI_DECODE)) - frozenset("aeouyAEOUY")
# VNI sequences that can also occur in correct Unicode Vietnamese (hoà, hoá, hoãn, tôi, có...).
_VNI_UNICODE_POSSIBLE = frozenset(
    {s for s in _VNI_DECODE if len(s) == 1 and s.lower() in _LETTER_INFO}
    | {b + c for b in "oO" for c in "àáãÀÁÃ"}
)


def _vni_repl(m: re.Match[str]) -> str:
    return _VNI_DECODE[m.group()]


_VNI_CHUNKS: dict[str, str] = {}  # space-separated chunk -> converted; text repeats a lot


def _vni_decode(text: str) -> str:
    """Convert VNI sequences; the regex runs once per distinct space-separated chunk."""
    if len(_VNI_CHUNKS) > 50_000:
        _VNI_CHUNKS.clear()
    get = _VNI_CHUNKS.get
    out = []
    for chunk in text.split(" "):
        conv = get(chunk)
        if conv is None:
            conv = _VNI_CHUNKS[chunk] = _VNI_RE.sub(_vni_repl, chunk)
        out.append(conv)
    return " ".join(out)


# The decoder inverts the encoder letter by letter.
assert all(_VNI_RE.sub(_vni_repl, code) == ch for ch, code in _VNI_ENCODE.items())


# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------

# 256-entry decoding table for codecs.charmap_decode (much faster than str.translate).
_TCVN3_CHARMAP = "".join(_TCVN3_DECODE.get(chr(i), chr(i)) for i in range(256))
_NON_LATIN1_RE = re.compile(r"[^\x00-\xff]+")


def _tcvn3_decode_chars(text: str) -> str:
    """Map every TCVN3 code point of ``text`` to its letter; the result has the same length."""
    try:
        return codecs.charmap_decode(text.encode("latin-1"), "strict", _TCVN3_CHARMAP)[0]
    except UnicodeEncodeError:
        pass
    parts = []
    pos = 0
    for m in _NON_LATIN1_RE.finditer(text):
        parts.append(codecs.charmap_decode(text[pos:m.start()].encode("latin-1"), "strict", _TCVN3_CHARMAP)[0])
        parts.append(m.group())
        pos = m.end()
    parts.append(codecs.charmap_decode(text[pos:].encode("latin-1"), "strict", _TCVN3_CHARMAP)[0])
    return "".join(parts)


def _canonical(encoding: str) -> str:
    try:
        return _ALIASES[encoding.strip().lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown legacy Vietnamese encoding {encoding!r}; use 'tcvn3' or 'vni'") from None


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


# --------------------------------------------------------------------------------------------
# TCVN3 case restoration (works on the legacy text: decoding is one character for one)
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Vietnamese syllable validator
# --------------------------------------------------------------------------------------------

_RHYME_INVENTORY = """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu
    iêc iêm iên iêng iêp iêt iêu
    yêm yên yêng yêt yêu
    o oc oi om on ong op ot
    oa oac oach oai oam oan oang oanh oao oap oat oay
    oăc oăm oăn oăng oăt
    oe oem oen oeo oep oet
    ooc oong
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut
    uân uâng uât uây
    uê uêch uênh
    uôc uôi uôm uôn uông uôt
    uơ
    uy uya uych uyn uynh uyp uyt uyu uyên uyêt
    ư ưa ưc ưi ưm ưn ưng ưt ưu
    ươc ươi ươm ươn ương ươp ươt ươu
    y
"""
_RHYMES = frozenset(_RHYME_INVENTORY.split())
_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu", *"bcdđghklmnprstvx")
_VOWEL_SET = frozenset(_VOWELS)
_STOP_CODAS = ("c", "ch", "p", "t")


def _onset_ok(onset: str, rhyme: str) -> bool:
    first = rhyme[0]
    if onset == "c" or onset == "ng":
        return first not in "eêiy"
    if onset == "k":
        return first in "eêiy"
    if onset in ("gh", "ngh"):
        return first in "eêi"
    if onset == "g":
        return first not in "eêy"
    if onset == "gi":
        return first != "i"
    if onset == "qu":
        return first not in "uưo"
    if onset == "":
        return not rhyme.startswith("iê")
    return True


def _tone_positions(vowels: str, coda: str) -> frozenset[int]:
    """Where a tone mark may go in a rhyme (index into ``vowels``), in the old or new style."""
    n = len(vowels)
    if n == 1:
        return frozenset({0})
    modified = [i for i, v in enumerate(vowels) if v in _MODIFIED]
    if modified:  # on the vowel with a diacritic (the last one in ươ): mười, thuở, tiếng
        return frozenset({modified[-1]})
    if coda:  # on the last vowel: hoàng, quýt, khoắc
        return frozenset({n - 1})
    if n == 2:  # hòa/hoà, khỏe/khoẻ, thủy/thuỷ; else on the first: mái, mùa, nghĩa
        return frozenset({0, 1}) if vowels in ("oa", "oe", "uy") else frozenset({0})
    return frozenset({1})  # ngoài, khuỷu


def _build_syllables() -> dict[str, tuple[frozenset[int], bool]]:
    """Every valid syllable without its tone -> (allowed tone positions, ends in a stop)."""
    table: dict[str, tuple[frozenset[int], bool]] = {}
    for onset in (*_ONSETS, ""):
        for rhyme in _RHYMES:
            if not _onset_ok(onset, rhyme):
                continue
            if rhyme[0] == "y" and len(rhyme) > 1 and onset not in ("", "qu"):
                continue
            n = 0
            while n < len(rhyme) and rhyme[n] in _VOWEL_SET:
                n += 1
            coda = rhyme[n:]
            positions = frozenset(len(onset) + k for k in _tone_positions(rhyme[:n], coda))
            base = onset + rhyme
            old = table.get(base)
            if old is not None:  # gi + a / g + ia: either split may carry the tone
                positions |= old[0]
            table[base] = (positions, coda in _STOP_CODAS)
    return table


_SYLLABLES = _build_syllables()
_STRIP_TONE = str.maketrans({c: info[0] for c, info in _LETTER_INFO.items() if info[1]})
_TONE_DIGIT = str.maketrans(
    {c: (str(info[1]) if info[1] else None) for c, info in _LETTER_INFO.items()}
)
_TONED_RE = re.compile("[" + "".join(sorted(c for c, info in _LETTER_INFO.items() if info[1])) + "]")


@lru_cache(maxsize=65536)
def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` is a well-formed Vietnamese syllable: an onset, a rhyme from the
    standard inventory, the spelling rules (c/k/q, g/gh, ng/ngh) and at most one tone mark,
    on a vowel where the old or the new orthography puts it; a syllable ending in c, ch, p or
    t takes only the sắc or nặng tone. Case-insensitive; NFC input."""
    w = word.lower()
    entry = _SYLLABLES.get(w.translate(_STRIP_TONE))
    if entry is None:
        return False
    tones = w.translate(_TONE_DIGIT)
    if not tones:
        return True
    if len(tones) > 1 or (entry[1] and tones not in "15"):
        return False
    return _TONED_RE.search(w).start() in entry[0]  # type: ignore[union-attr]


# Word tokens: word characters, plus the TCVN3/VNI code points that are not letters in Unicode.
_EXTRA_WORD_CHARS = "".join(sorted(c for c in set(_TCVN3_DECODE) | _VNI_CHARS if not re.fullmatch(r"\w", c)))
_TOKEN_RE = re.compile(f"[\\w{re.escape(_EXTRA_WORD_CHARS)}\u0300-\u036f]+")


def plausibility(text: str) -> float:
    """Share of the words of ``text`` that are valid Vietnamese syllables, counting words of two
    letters or more that hold a vowel (so numbers and abbreviations such as QĐ are left out);
    0 when there is none. Real Vietnamese prose scores about 0.9, its TCVN3/VNI mojibake well
    under 0.5."""
    return _line_stats(unicodedata.normalize("NFC", text)).plausibility()


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------

_HINT_RE = re.compile("[\u00a1-\u00ff]")
_DIGITS_RE = re.compile(r"[\d_]+")
_VOWEL_RE = re.compile(
    "[" + "".join(sorted({c + c.upper() for c, info in _LETTER_INFO.items() if info[0] in _VOWEL_SET})) + "]"
)
_MIN_DENSITY = 0.02  # characteristic characters per letter for full confidence
_THRESHOLD = 0.5
_SAMPLE = 1200  # distinct non-ASCII words scored at document level
_DISTINCT_CAP = 12  # distinct improved words counted (the support factor is flat beyond)
_MIN_PLAUSIBILITY = 0.4  # share of valid syllables after conversion below which nothing counts
_IMPROVED, _WORSENED, _KEPT_VALID, _KEPT_INVALID = 1, 2, 3, 4


def _state(before: bool, after: bool) -> int:
    if after:
        return _KEPT_VALID if before else _IMPROVED
    return _WORSENED if before else _KEPT_INVALID


def _token_info(tok: str) -> tuple[bool, bool, int, int, int, int]:
    """Evidence of one non-ASCII word of two letters or more: (Unicode-only letters, valid as it
    stands, TCVN3 state, TCVN3 characteristic chars, VNI state, VNI characteristic sequences).
    State 0: unchanged by the encoding, or no vowel either way (QĐ, HĐND: abbreviations)."""
    uni = _UNICODE_ONLY_RE.search(tok) is not None
    before = is_vietnamese_syllable(tok)
    vowel_before = _VOWEL_RE.search(tok) is not None
    s0 = c0 = s1 = c1 = 0
    conv = tok.translate(_TCVN3_TABLE)
    if conv != tok:
        c0 = len(tok) - len(tok.translate(_TCVN3_CHAR_DELETE))
        if vowel_before or _VOWEL_RE.search(conv):
            s0 = _state(before, is_vietnamese_syllable(conv))
    matches = _VNI_RE.findall(tok)
    if matches:
        c1 = sum(1 for s in matches if s not in _VNI_UNICODE_POSSIBLE)
        conv = _VNI_RE.sub(_vni_repl, tok)
        if vowel_before or _VOWEL_RE.search(conv):
            s1 = _state(before, is_vietnamese_syllable(conv))
    return uni, before, s0, c0, s1, c1


# A word's evidence, packed as 32-bit counters in one integer so that the evidence of a line, a
# block or a whole text is a plain sum():
_F_LETTERS = 0  # letters
_F_WORDS = 1  # words of two letters or more holding a vowel (the plausibility denominator)
_F_VALID = 2  # ... valid Vietnamese syllables as they stand
_F_AFTER = (3, 4)  # ... valid once converted with TCVN3 / VNI
_F_UNICODE = 5  # words holding Unicode-only Vietnamese letters
_F_CHARS = (6, 7)  # characteristic characters / sequences of TCVN3 / VNI
_F_STATE = (8, 12)  # + state - 1: words improved, worsened, kept valid, kept invalid (junk)
_N_FIELDS = 16
_BITS = 32
_MASK = (1 << _BITS) - 1
_WORD_VECTORS: dict[str, int] = {}


def _pack(values: list[int]) -> int:
    return sum(v << (f * _BITS) for f, v in enumerate(values))


def _word_vector(tok: str) -> int:
    vec = _WORD_VECTORS.get(tok)
    if vec is not None:
        return vec
    if _DIGITS_RE.search(tok):  # BIÓU_THøC1, Sè1: score the words between digits and "_"
        vec = sum(_word_vector(part) for part in _DIGITS_RE.split(tok) if part)
    else:
        v = [0] * _N_FIELDS
        v[_F_LETTERS] = len(tok)
        if tok.isascii():
            if len(tok) > 1 and tok.isalpha() and _VOWEL_RE.search(tok):
                v[_F_WORDS] = 1
                if is_vietnamese_syllable(tok):
                    v[_F_VALID] = v[_F_AFTER[0]] = v[_F_AFTER[1]] = 1
        elif len(tok) < 2:  # one-letter words (« ë) are too ambiguous to score
            v[_F_UNICODE] = int(_UNICODE_ONLY_RE.search(tok) is not None)
        else:
            uni, before, s0, c0, s1, c1 = _token_info(tok)
            v[_F_UNICODE], v[_F_CHARS[0]], v[_F_CHARS[1]] = int(uni), c0, c1
            if before or s0 or s1 or _VOWEL_RE.search(tok):  # else an abbreviation: not scored
                v[_F_WORDS] = 1
                v[_F_VALID] = int(before)
                for e, state in ((0, s0), (1, s1)):
                    if state:
                        v[_F_STATE[e] + state - 1] = 1
                    if state in (_IMPROVED, _KEPT_VALID) or (not state and before):
                        v[_F_AFTER[e]] = 1
        vec = _pack(v)
    if len(_WORD_VECTORS) > 100_000:
        _WORD_VECTORS.clear()
    _WORD_VECTORS[tok] = vec
    return vec


def _vectors(tokens: list[str]) -> list[int]:
    vecs = [_WORD_VECTORS.get(t) for t in tokens]
    if None in vecs:
        vecs = [_word_vector(t) if v is None else v for t, v in zip(tokens, vecs, strict=True)]
    return vecs  # type: ignore[return-value]


class _Stats:
    """Evidence gathered over a text, a line or a block of lines, for each encoding."""

    __slots__ = ("_distinct", "tokens", "x")

    def __init__(self, x: int = 0, tokens: list[list[str]] | None = None) -> None:
        self.x = x  # packed counters
        self.tokens = tokens if tokens is not None else []  # the words, to list the improved ones
        self._distinct: list[int] | None = None

    @classmethod
    def of(cls, tokens: list[str], counts: list[int] | None = None) -> _Stats:
        vecs = _vectors(tokens)
        x = sum(vecs) if counts is None else sum(map(operator.mul, vecs, counts))
        return cls(x, [tokens])

    def add(self, other: _Stats) -> None:
        self.x += other.x
        self.tokens.extend(other.tokens)
        self._distinct = None

    def field(self, f: int) -> int:
        return (self.x >> (f * _BITS)) & _MASK

    def set_field(self, f: int, value: int) -> None:
        self.x += (value - self.field(f)) << (f * _BITS)

    def scale(self, factor: float) -> None:
        """Scale every counter (after scoring a sample of the words)."""
        self.x = _pack([round(self.field(f) * factor) for f in range(_N_FIELDS)])

    @property
    def letters(self) -> int:
        return self.field(_F_LETTERS)

    @property
    def unicode(self) -> int:
        return self.field(_F_UNICODE)

    def count(self, e: int, state: int) -> int:
        return self.field(_F_STATE[e] + state - 1)

    def improved(self, e: int) -> int:
        return self.field(_F_STATE[e])

    def worsened(self, e: int) -> int:
        return self.field(_F_STATE[e] + 1)

    def junk(self, e: int) -> int:
        """Words the conversion changes that are still not Vietnamese."""
        return self.field(_F_STATE[e] + 3)

    def gain(self, e: int) -> int:
        """How many more words are valid syllables after converting than before."""
        return self.improved(e) - self.worsened(e)

    def n_distinct(self, e: int) -> int:
        """Distinct improved words (case-insensitive), counted up to ``_DISTINCT_CAP``."""
        if self._distinct is None:
            self._distinct = [-1, -1]
        if self._distinct[e] < 0:
            found: set[str] = set()
            if self.improved(e):
                shift = _F_STATE[e] * _BITS
                get = _WORD_VECTORS.get
                for tokens in self.tokens:
                    for t in tokens:
                        vec = get(t)
                        if vec is None:
                            vec = _word_vector(t)
                        if (vec >> shift) & _MASK:
                            found.add(t.lower())
                    if len(found) >= _DISTINCT_CAP:
                        break
            self._distinct[e] = min(len(found), _DISTINCT_CAP)
        return self._distinct[e]

    def plausibility(self, e: int | None = None) -> float:
        """Share of words that are valid syllables, as they stand or converted with ``e``."""
        words = self.field(_F_WORDS)
        valid = self.field(_F_VALID if e is None else _F_AFTER[e])
        return valid / words if words else 0.0

    def confidence(self, e: int, letters: int | None = None) -> float:
        """Confidence that this evidence is legacy text of encoding ``e`` (0..1)."""
        gain = self.gain(e)
        after = self.plausibility(e)
        if gain <= 0 or after <= self.plausibility():
            return 0.0
        # words that were valid before and after (bé -> bộ) prove nothing either way
        changed = self.improved(e) + self.worsened(e) + self.junk(e)
        ratio = gain / (changed + self.unicode)
        distinct = self.n_distinct(e)
        support = 1.0 - 0.4 ** (distinct - 1)
        density = self.field(_F_CHARS[e]) / max(self.letters if letters is None else letters, 1)
        frequency = min(1.0, density / _MIN_DENSITY)
        # Converted text must read as Vietnamese: ~0.9 for real text, ~0.3 for Norwegian "på".
        # With only two improved words, they must be most of the text ("Hµ Néi").
        floor = _MIN_PLAUSIBILITY if distinct > 2 else 0.6
        plausible = min(1.0, max(0.0, (after - floor) / 0.3))
        return max(0.0, min(1.0, ratio * support * frequency * plausible))


def _line_stats(line: str) -> _Stats:
    return _Stats.of(_TOKEN_RE.findall(line))


def _lines(text: str) -> list[str]:
    """Lines split at "\n" only (ends kept), so that they line up with :func:`_line_tokens`."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


_TOKEN_OR_NEWLINE_RE = re.compile(f"{_TOKEN_RE.pattern}|\n")


def _line_tokens(items: list[str], n_lines: int) -> list[list[str]]:
    """Split the tokens and newlines found by ``_TOKEN_OR_NEWLINE_RE`` into the word tokens of
    each line, with string operations only (tokens hold neither NUL nor newline)."""
    joined = "\0".join(items)
    out = [segment.strip("\0").split("\0") for segment in joined.split("\n")][:n_lines]
    return [tokens if tokens != [""] else [] for tokens in out]


# UTF-8 read as cp1252/Latin-1 ("Cá»™ng hÃ²a"): a lead byte followed by continuation bytes.
# Not TCVN3 or VNI, and not for this module to convert. (A no-break space is left out of the
# continuation bytes: it may follow a TCVN3 toned vowel.)
_CONTINUATION = (
    "\u0080-\u009f\u00a1-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
    "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
)
_UTF8_MOJIBAKE_RE = re.compile(
    f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}"
)


def _looks_like_utf8_mojibake(text: str, words: Counter[str]) -> bool:
    hits = len(_UTF8_MOJIBAKE_RE.findall(text))
    if hits < 3:
        return False
    non_ascii = sum(n for t, n in words.items() if not t.isascii())
    return hits >= 0.2 * non_ascii


@dataclass
class _Block:
    start: int  # first line
    end: int  # past the last line
    encoding: int
    confidence: float
    weight: int  # improved tokens


def _analyse(text: str) -> tuple[list[str], list[_Block], float]:
    """Split ``text`` into lines and find the blocks of lines to convert. Also returns the
    best candidate score seen, for the confidence of a negative answer."""
    lines = _lines(text)
    items = _TOKEN_OR_NEWLINE_RE.findall(text)  # word tokens and newlines, in one pass
    counter = Counter(items)
    counter.pop("\n", None)
    if _looks_like_utf8_mojibake(text, counter):
        return lines, [], 0.0
    if len(counter) <= _SAMPLE:
        doc = _Stats.of(list(counter), list(counter.values()))
    else:
        ascii_words = [tok for tok in counter if tok.isascii()]
        legacy_like = sorted((tok for tok in counter if not tok.isascii()), key=counter.__getitem__, reverse=True)
        unicode_only = sum(counter[tok] for tok in legacy_like if _UNICODE_ONLY_RE.search(tok))
        total = sum(counter[tok] for tok in legacy_like)
        # Score the most frequent words only and scale up: bounded work on varied text.
        sample = legacy_like[:_SAMPLE]
        doc = _Stats.of(sample, [counter[tok] for tok in sample])
        doc.scale(total / max(sum(counter[tok] for tok in sample), 1))
        doc.add(_Stats.of(ascii_words, [counter[tok] for tok in ascii_words]))
        doc.set_field(_F_UNICODE, unicode_only)
    doc_conf = [doc.confidence(0), doc.confidence(1)]
    best_score = max(doc_conf)
    gains = [doc.gain(0), doc.gain(1)]
    candidates = [e for e in (0, 1) if gains[e] > 0 and doc.n_distinct(e) >= 2]
    if not candidates:
        return lines, [], best_score
    top = max(candidates, key=lambda e: gains[e])
    candidates = [e for e in candidates if e == top or gains[e] >= 0.25 * gains[top]]

    # Fast path: the whole text is legacy text of one encoding, with nothing that the
    # conversion would break or leave as junk (a foreign paragraph, say).
    if (
        len(candidates) == 1
        and doc.unicode == 0
        and doc.worsened(top) == 0
        and doc.junk(top) <= 0.03 * doc.improved(top)
        and doc.plausibility(top) >= 0.85
        and doc_conf[top] >= _THRESHOLD
    ):
        return lines, [_Block(0, len(lines), top, doc_conf[top], doc.improved(top))], best_score

    # Mixed or doubtful text: label each line, then group lines into blocks.
    stats = [_Stats.of(toks) for toks in _line_tokens(items, len(lines))]
    labels: list[int | None] = []  # encoding, -1 for "keep as is", None for neutral
    weak: dict[int, int] = {}  # neutral lines that only convert between lines of that encoding
    untouched = _F_STATE[0] * _BITS  # counters from there on are zero: no word would change
    for i, st in enumerate(stats):
        if lines[i].isascii() or not st.x >> untouched:
            labels.append(-1 if st.unicode else None)
            continue
        margins = {e: st.gain(e) - st.unicode for e in candidates}
        best = max(candidates, key=lambda e: margins[e])
        tie = sum(1 for e in candidates if margins[e] == margins[best]) > 1
        if margins[best] > 0 and not tie and st.gain(best) > st.junk(best):
            if st.plausibility(best) >= 0.5:
                labels.append(best)  # converting helps more words than it leaves broken
            else:  # it helps a few words, but the line does not read as Vietnamese (French "où")
                labels.append(None)
                weak[i] = best
        elif st.unicode:
            labels.append(-1)
        elif margins[best] > 0 and tie:
            labels.append(None)  # both encodings fit: the neighbours decide
        elif all(st.junk(e) or st.worsened(e) for e in candidates):
            labels.append(-1)  # converting would only break words or leave junk
        else:
            labels.append(None)
    n = len(lines)
    prev_label: list[int | None] = [None] * n
    next_label: list[int | None] = [None] * n
    last: int | None = None
    for i in range(n):
        prev_label[i] = last
        last = labels[i] if labels[i] is not None else last
    last = None
    for i in range(n - 1, -1, -1):
        next_label[i] = last
        last = labels[i] if labels[i] is not None else last
    final: list[int] = []
    for i, label in enumerate(labels):
        if label is None:
            p, q = prev_label[i], next_label[i]
            cand = p if p is not None and p >= 0 else q if q is not None and q >= 0 else None
            st = stats[i]
            if i in weak:
                ok = p == q == weak[i]
            else:
                ok = cand is not None and (
                    lines[i].isascii()
                    or p == q == cand
                    or (st.count(cand, _KEPT_VALID) == 0 and st.worsened(cand) <= st.improved(cand))
                )
            label = cand if ok and cand is not None else -1  # ok implies a candidate (weak[i] is one)
        final.append(label)

    # The document's evidence: every line but those already in Unicode (not only the lines
    # that happen to improve, or three Swedish "på" would make a case).
    overall = _Stats()
    for st in stats:
        if not st.unicode:
            overall.add(st)
    doc_conf = [overall.confidence(0), overall.confidence(1)]

    # Blocks of consecutive lines with the same decision.
    spans: list[tuple[int, int, int, _Stats, int]] = []
    i = 0
    while i < n:
        enc = final[i]
        j = i
        while j < n and final[j] == enc:
            j += 1
        if enc >= 0:
            agg = _Stats()
            letters = 0
            for k in range(i, j):
                agg.add(stats[k])
                if labels[k] is not None:
                    letters += stats[k].letters
            spans.append((i, j, enc, agg, letters))
        i = j
    blocks: list[_Block] = []
    for i, j, enc, agg, letters in spans:
        conf = agg.confidence(enc, letters)
        best_score = max(best_score, conf)
        # A block stands on its own evidence, or on the document's when it points the same way.
        if (
            conf < _THRESHOLD
            and doc_conf[enc] >= _THRESHOLD
            and agg.gain(enc) > agg.junk(enc)
            and not agg.unicode
        ):
            conf = doc_conf[enc]
        if conf >= _THRESHOLD:
            blocks.append(_Block(i, j, enc, conf, agg.improved(enc)))
    return lines, blocks, best_score


def _summary(blocks: list[_Block], best_score: float) -> tuple[str | None, float]:
    if not blocks:
        return None, round(1.0 - min(best_score, 1.0), 4)
    weight = [0, 0]
    total = [0.0, 0.0]
    for b in blocks:
        weight[b.encoding] += b.weight
        total[b.encoding] += b.weight * b.confidence
    e = 0 if weight[0] >= weight[1] else 1
    return ENCODINGS[e], round(total[e] / max(weight[e], 1), 4)


def detect(text: str) -> tuple[str | None, float]:
    """Detect legacy Vietnamese text: ``("tcvn3" | "vni", confidence)`` or ``(None, confidence)``.

    For a mixed document the encoding of its legacy part is returned (the one with the most
    evidence if both occur). With None, the confidence is the certainty that no legacy text
    is present (1 minus the best rejected candidate's score).
    """
    if not text:
        return None, 1.0
    text = unicodedata.normalize("NFC", text)
    if not _HINT_RE.search(text):
        return None, 1.0
    _, blocks, best_score = _analyse(text)
    return _summary(blocks, best_score)


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
