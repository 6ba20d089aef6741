"""Vietnamese letters: the 12 vowels with their 6 tones, the consonants, and the letters only
Unicode has (their presence proves a text is not legacy)."""

from __future__ import annotations

import re
import unicodedata

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
