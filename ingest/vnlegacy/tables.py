"""The two legacy encodings as tables: TCVN3 (TCVN 5712:1993 VN3) and VNI Windows, their encoders
and decoders letter by letter, and the names they go by."""

from __future__ import annotations

import codecs
import re

from ingest.vnlegacy.letters import _LETTER_INFO, _VOWELS, _letter

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
