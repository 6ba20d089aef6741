"""A Vietnamese syllable validator: onset + rhyme from the standard inventory, spelling rules and
the tone on an allowed vowel (the evidence detection weighs)."""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.vnlegacy.letters import _LETTER_INFO, _MODIFIED, _VOWELS

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
