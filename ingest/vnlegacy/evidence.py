"""The evidence for an encoding: per word (valid before / after conversion, characteristic
characters), packed into integers that add up over a line, a block or a text (``_Stats``), and
the confidence computed from it."""

from __future__ import annotations

import operator
import re
import unicodedata

from ingest.vnlegacy.letters import _LETTER_INFO, _UNICODE_ONLY_RE
from ingest.vnlegacy.syllables import _VOWEL_SET, is_vietnamese_syllable
from ingest.vnlegacy.tables import (
    _TCVN3_CHAR_DELETE,
    _TCVN3_DECODE,
    _TCVN3_TABLE,
    _VNI_CHARS,
    _VNI_RE,
    _VNI_UNICODE_POSSIBLE,
    _vni_repl,
)

# Word tokens: word characters, plus the TCVN3/VNI code points that are not letters in Unicode.
_EXTRA_WORD_CHARS = "".join(sorted(c for c in set(_TCVN3_DECODE) | _VNI_CHARS if not re.fullmatch(r"\w", c)))
_TOKEN_RE = re.compile(f"[\\w{re.escape(_EXTRA_WORD_CHARS)}\u0300-\u036f]+")


def plausibility(text: str) -> float:
    """Share of the words of ``text`` that are valid Vietnamese syllables, counting words of two
    letters or more that hold a vowel (so numbers and abbreviations such as QĐ are left out);
    0 when there is none. Real Vietnamese prose scores about 0.9, its TCVN3/VNI mojibake well
    under 0.5."""
    return _line_stats(unicodedata.normalize("NFC", text)).plausibility()

_DIGITS_RE = re.compile(r"[\d_]+")
_VOWEL_RE = re.compile(
    "[" + "".join(sorted({c + c.upper() for c, info in _LETTER_INFO.items() if info[0] in _VOWEL_SET})) + "]"
)
_MIN_DENSITY = 0.02  # characteristic characters per letter for full confidence

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
