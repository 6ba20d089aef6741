"""Vietnamese text analysis shared by every backend: the same tokens at index and at query time.

Vietnamese words are made of syllables written apart ("văn bản", "lưu trữ"), so a token is one
syllable. Text fields are indexed in up to three forms:

* **folded** (``fold``; every text field): lowercase, diacritics removed, ``đ`` → ``d``. A query
  typed without diacritics ("luu tru") finds everything; this is the form every query must match.
* **exact** (``exact_form``; title and metadata only, ``document.EXACT_FIELDS``): lowercase, NFC,
  tone marks placed one canonical way. A query typed with diacritics also scores on this form, so
  "lưu trữ" ranks "lưu trữ" above "lựu trụ".
* **bigrams** of folded syllables (``luuǂtru``; every text field): a multi-syllable word outranks
  the same syllables scattered through a text, and a quoted phrase is matched as a conjunction of
  its bigrams (no positions are indexed).

Input is normalised to NFC first (an NFD "Ủy" from a macOS file name matches an NFC "Ủy"), and the
two tone placements in use — old style "hòa", "thủy", "Ủy" and new style "hoà", "thuỷ", "Uỷ"
(Vietnamese orthography allows both, and both occur in official documents) — are brought to the
old style, which most administrative texts use.

Administrative abbreviations (UBND ↔ Ủy ban nhân dân…) come from ``data/abbreviations.json``. A
document's spelt-out forms are found at index time (``Abbreviations.found``) and indexed as the
abbreviation too, so ``UBND`` and ``Ủy ban nhân dân`` each match both with one term
(``compile.Compiler``).

Số và ký hiệu (``9545/UBND-THCB``, ``64/2007/NĐ-CP``) get their own keyword tokens (``skh_tokens``):
the whole notation, the number, the notation, its parts and the years.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data")
TOKEN_PATTERN = r"[^\W_]+"
"""A syllable: letters and digits (``_`` separates). The embedded backend's analyzers split the same
way with Tantivy's simple tokenizer (``tests/search/test_analysis.py`` checks they agree)."""
_WORD = re.compile(TOKEN_PATTERN)
_SEPARATORS = re.compile(r"[\W_]+")
_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền, sắc, hỏi, ngã, nặng


def _toned(bases: str) -> str:
    """Every precomposed letter whose base is one of ``bases`` and which carries a tone mark."""
    out = []
    for code in range(0x00C0, 0x1EFA):
        c = chr(code)
        parts = unicodedata.normalize("NFD", c)
        if parts[0] in bases and any(m in _TONES for m in parts[1:]):
            out.append(c)
    return "".join(out)


# o+a, o+e, u+y at the end of a syllable with the tone on the second vowel ("hoà", "thuỷ"): only
# these pairs are matched, so the callback runs for the syllables it changes and no others.
# "qu" is a consonant.
_TONE_PAIR_ANY = re.compile(f"(?<![qQ])(?:([oO])([{_toned('aeAE')}])|([uU])([{_toned('yY')}]))(?!\\w)")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _moved(first: str, second: str) -> str:
    parts = unicodedata.normalize("NFD", second)
    base, marks = parts[0], parts[1:]
    tone = "".join(m for m in marks if m in _TONES)
    if not tone or (first.lower(), base.lower()) not in {("o", "a"), ("o", "e"), ("u", "y")}:
        return first + second
    rest = "".join(m for m in marks if m not in _TONES)
    return nfc(first + tone) + nfc(base + rest)


def _move_tone(match: re.Match) -> str:
    return _moved(match.group(1) or match.group(3), match.group(2) or match.group(4))


def normalize_tones(text: str) -> str:
    """NFC, with the tone of a final "oa", "oe", "uy" on the first vowel: "hoà" → "hòa",
    "Uỷ" → "Ủy", "thuỷ" → "thủy". "quý" is left alone ("qu" is a consonant)."""
    return _TONE_PAIR_ANY.sub(_move_tone, nfc(text))


_OLD_PLACEMENT = re.compile("(?<![qQ])([oO][\u0300\u0301\u0309\u0303\u0323][aAeE]|[uU][\u0300\u0301\u0309\u0303\u0323][yY])$")


@lru_cache(maxsize=20_000)
def tone_placements(word: str) -> tuple[str, ...]:
    """The spellings of one syllable under both tone placements, canonical first: "hòa" →
    ("hòa", "hoà"), "thủy" → ("thủy", "thuỷ"), "luật" → ("luật",). A field indexed as written
    (``all_exact``) holds whichever placement its text used; a query looks for both, so the text
    needs no ``normalize_tones`` pass at index time."""
    canonical = normalize_tones(word)
    nfd = unicodedata.normalize("NFD", canonical)
    m = _OLD_PLACEMENT.search(nfd)
    if not m:
        return (canonical,)
    pair = m.group(1)  # vowel, tone mark, vowel
    return canonical, nfc(nfd[:m.start()] + pair[0] + pair[2] + pair[1])


def fold(text: str) -> str:
    """Lowercase, no diacritics, đ → d: "Đường Lưu Trữ" → "duong luu tru"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return nfc("".join(c for c in decomposed if not unicodedata.combining(c))).lower()


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def tokens(text: str) -> list[str]:
    """Syllables (``\\w+``) of NFC text, as written."""
    return _WORD.findall(nfc(text))


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold(word)


@lru_cache(maxsize=200_000)
def _exact_word(word: str) -> str:
    return normalize_tones(word).lower()


cached_fold = _fold_word
"""``fold`` of one syllable, cached (a corpus has a small vocabulary)."""
cached_exact = _exact_word
"""``exact_form`` of one syllable, cached."""


def exact_tokens(text: str) -> list[str]:
    # per-word caches: a corpus has a small vocabulary, so indexing is dominated by lookups
    return [_exact_word(t) for t in _WORD.findall(nfc(text))]


def fold_tokens(text: str) -> list[str]:
    return [_fold_word(t) for t in tokens(text)]


def exact_form(word: str) -> str:
    return normalize_tones(word).lower()


BIGRAM_JOINER = "ǂ"
"""Joins the two syllables of a bigram token (``luuǂtru``). A letter (U+01C2, never used in
Vietnamese), so Tantivy's simple tokenizer keeps a bigram whole while splitting on everything
that is not alphanumeric."""


def bigram(a: str, b: str) -> str:
    return f"{a}{BIGRAM_JOINER}{b}"


def bigrams(folded: Iterable[str]) -> list[str]:
    seq = list(folded)
    return [bigram(a, b) for a, b in itertools.pairwise(seq)]


def syllables(text: str) -> list[str]:
    """The syllables of NFC text as written (``TOKEN_PATTERN``), without normalising again."""
    return _WORD.findall(text)


def bigram_sources(text: str, words: list[str] | None = None) -> tuple[str, str]:
    """Two strings in which Tantivy's simple tokenizer + lowercase + ASCII folding find exactly
    ``bigrams(fold_tokens(text))``: the syllables paired (1, 2), (3, 4)… and (2, 3), (4, 5)…, each
    pair joined by ``BIGRAM_JOINER``. Folding is left to Tantivy; Python only pairs the words
    (``words``: ``syllables(text)`` when the caller has them already)."""
    w = _WORD.findall(text) if words is None else words
    return _paired(w), _paired(w[1:])


def _paired(words: list[str]) -> str:
    """``a b c d e`` → ``aǂb cǂd`` (an odd last word is left out): one ``join`` of the words
    interleaved with alternating separators, no string built per pair (~20% of ``bigram_sources``)."""
    n = len(words) - len(words) % 2
    if not n:
        return ""
    parts: list[str] = [""] * (2 * n - 1)
    parts[0::2] = words[:n]
    parts[1::2] = ([BIGRAM_JOINER, " "] * (n // 2))[:n - 1]
    return "".join(parts)


# Body analyses made elsewhere ------------------------------------------------------------------
_PARTS = "\x00"
"""Separates the parts of a serialised ``BodyAnalysis`` (never in a syllable, a pair or a space)."""


@dataclass(frozen=True)
class BodyAnalysis:
    """What the embedded index needs of a long text besides the text itself: its syllables (for the
    abbreviations) and ``bigram_sources``. The most expensive part of an index document (a regex
    over the whole text), so the extraction worker makes it beside the text (``serialise``) and the
    index takes it from ``PrecomputedAnalyses`` instead of reading the text again."""

    joined: str
    """The syllables joined by single spaces (``Abbreviations.found_joined``)."""
    first: str
    second: str

    @staticmethod
    def serialise(text: str) -> str:
        words = syllables(text)
        first, second = bigram_sources(text, words)
        return _PARTS.join((" ".join(words), first, second))

    @classmethod
    def parse(cls, data: str) -> BodyAnalysis:
        joined, first, second = data.split(_PARTS)
        return cls(joined, first, second)


class PrecomputedAnalyses:
    """Body analyses offered with their text (the ingest's extraction step), each taken once by the
    index document of the same text (``EmbeddedSearchBackend``). Keyed by the text itself: a text
    that changed on the way (OCR replaced it, the store cut it) finds nothing and is analysed
    again, so an analysis never meets another text. Bounded: the oldest go first, by number and by
    the characters held, the text and its analysis both counted (a document rejected after
    extraction leaves its analysis until then; at the default bound, ~25 MB of strings at most)."""

    def __init__(self, keep: int = 64, max_chars: int = 12_000_000):
        import threading
        from collections import OrderedDict

        self.keep, self.max_chars = keep, max_chars
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def offer(self, text: str, serialised: str) -> None:
        size = len(text) + len(serialised)
        if not text or size > self.max_chars:
            return
        with self._lock:
            old = self._kept.pop(text, None)
            if old is not None:
                self._chars -= len(text) + len(old)
            self._kept[text] = serialised
            self._chars += size
            while len(self._kept) > self.keep or self._chars > self.max_chars:
                gone, analysis = self._kept.popitem(last=False)
                self._chars -= len(gone) + len(analysis)

    def take(self, text: str) -> BodyAnalysis | None:
        with self._lock:
            serialised = self._kept.pop(text, None)
            if serialised is None:
                return None
            self._chars -= len(text) + len(serialised)
        return BodyAnalysis.parse(serialised)

    def __len__(self) -> int:
        return len(self._kept)


# Abbreviations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Abbreviations:
    """Both directions: ``short`` (folded abbreviation) → phrases, phrase (folded) → abbreviations."""

    to_long: dict[str, tuple[tuple[str, ...], ...]]
    """folded abbreviation → expansions, each a tuple of exact-form syllables."""
    to_short: dict[tuple[str, ...], tuple[str, ...]]
    """folded phrase syllables → exact-form abbreviations."""

    @classmethod
    def load(cls, path: Path | None = None) -> Abbreviations:
        raw = json.loads((path or DATA / "abbreviations.json").read_text(encoding="utf-8"))
        to_long: dict[str, list[tuple[str, ...]]] = {}
        to_short: dict[tuple[str, ...], list[str]] = {}
        for short, longs in raw.items():
            if short.startswith("_"):
                continue
            key = "".join(fold_tokens(short))
            for long in longs:
                words = tuple(exact_tokens(long))
                to_long.setdefault(key, []).append(words)
                to_short.setdefault(tuple(fold(w) for w in words), []).append(exact_form("".join(tokens(short))))
        return cls({k: tuple(v) for k, v in to_long.items()}, {k: tuple(v) for k, v in to_short.items()})

    @property
    def longest_phrase(self) -> int:
        return max((len(k) for k in self.to_short), default=0)

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the table (an index records the table its documents were analysed with)."""
        pairs = sorted((short, long) for short, longs in self.to_long.items() for long in longs)
        return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()[:16]

    @cached_property
    def _automaton(self):
        """Aho–Corasick over every spelt-out form, lowercase, framed by spaces: in both tone
        placements (``ủy``/``uỷ``) and without diacritics (``uy ban nhan dan``)."""
        import ahocorasick

        forms: dict[str, set[str]] = {}
        for short, longs in self.to_long.items():
            for words in longs:
                old = " ".join(words).lower()
                for form in (old, " ".join(_new_style(w) for w in old.split()), fold(old)):
                    forms.setdefault(f" {form} ", set()).add(short)
        automaton = ahocorasick.Automaton()
        for form, shorts in forms.items():
            automaton.add_word(form, tuple(sorted(shorts)))
        automaton.make_automaton()
        return automaton

    def found(self, *texts: list[str]) -> set[str]:
        """Folded abbreviations whose spelt-out form occurs in one of ``texts``, each the syllables
        of a text as written, in order: ``["Ủy", "ban", "nhân", "dân", "Thành", "phố"]`` →
        ``{"ubnd", "tp"}``. One pass of an Aho–Corasick automaton over the lowercased syllables of
        them all (~30 µs for 3 KB of text); a form never spans two texts."""
        return self.found_joined(*(" ".join(words) for words in texts))

    def found_joined(self, *joined: str) -> set[str]:
        """``found`` of texts whose syllables are already joined by single spaces."""
        if not self.to_long or not any(joined):
            return set()
        text = f" {f' {_SEPARATOR} '.join(joined).lower()} "
        return {short for shorts in {v for _, v in self._automaton.iter(text)} for short in shorts}


_SEPARATOR = "\x00"
"""Between the syllables of two texts given to ``Abbreviations.found`` (in no spelt-out form)."""


def _new_style(syllable: str) -> str:
    """``ủy`` → ``uỷ``, ``hòa`` → ``hoà``: the other tone placement of a final oa/oe/uy (the
    inverse of ``normalize_tones``); any other syllable unchanged."""
    if len(syllable) < 2 or syllable[-1] not in "aeyAEY" or (len(syllable) > 2 and syllable[-3] in "qQ"):
        return syllable
    first = unicodedata.normalize("NFD", syllable[-2])
    tone = "".join(m for m in first[1:] if m in _TONES)
    if not tone or first[0] not in "oOuU":
        return syllable
    rest = "".join(m for m in first[1:] if m not in _TONES)
    return syllable[:-2] + nfc(first[0] + rest) + nfc(syllable[-1] + tone)


@lru_cache(maxsize=1)
def default_abbreviations() -> Abbreviations:
    return Abbreviations.load()


# Số và ký hiệu -------------------------------------------------------------------------------
_SKH_LIKE = re.compile(r"^\w+(?:[/\-–—.]\w+)+$")
_YEAR = re.compile(r"^(19|20)\d\d$")


def skh_normal(text: str) -> str:
    """``64/2007/NĐ-CP`` → ``64/2007/nd-cp`` (folded, dashes unified, no spaces)."""
    text = re.sub(r"\s+", "", fold(text))
    return re.sub(r"[–—]", "-", text)


def is_skh_like(word: str) -> bool:
    """A query word that looks like a số ký hiệu or a part of one (``9545/UBND-THCB``,
    ``QĐ-UBND``, ``15/CT-TTg``)."""
    return bool(_SKH_LIKE.match(nfc(word))) and any(c.isalpha() for c in word)


@dataclass(frozen=True)
class SkhParts:
    full: str | None
    number: str | None
    notation: str | None
    sub_notations: tuple[str, ...]
    parts: tuple[str, ...]
    years: tuple[str, ...]


def split_skh(text: str) -> SkhParts:
    """Split a số ký hiệu (or a part of one) into its keyword tokens.

    ``64/2007/NĐ-CP`` → number ``64``, notation ``2007/nd-cp``, sub-notation ``nd-cp``, parts
    ``nd``, ``cp``, year ``2007``. ``UBND-THCB`` → notation ``ubnd-thcb`` (no number).
    """
    norm = skh_normal(text)
    pieces = norm.split("/")
    number = pieces[0] if pieces[0].isdigit() else None
    notation = "/".join(pieces[1:] if number else pieces) or None
    subs: list[str] = []
    years: list[str] = []
    if notation:
        for piece in notation.split("/"):
            if _YEAR.match(piece):
                years.append(piece)
            elif piece != notation:
                subs.append(piece)
    parts = tuple(p for p in re.split(r"[/\-.]", notation or "") if p and not _YEAR.match(p))
    full = norm if number and notation else None
    return SkhParts(full, number, notation, tuple(subs), parts, tuple(years))


def skh_tokens(code_number: str | None, code_notation: str | None, year: int | None) -> list[str]:
    """Keyword tokens of a record's số ký hiệu for the dedicated ``skh`` field."""
    out: list[str] = []
    if code_number or code_notation:
        if code_number and code_notation and code_number.isascii() and code_number.isdigit():
            # the usual case: the notation's tokens do not depend on the number (cached)
            notation, rest = _notation_tokens(code_notation)
            out += [f"{code_number}/{notation}", notation, *rest] if notation else []
        if not out:
            whole = "/".join(x for x in (code_number, code_notation) if x)
            sp = split_skh(whole)
            out += [t for t in (sp.full, sp.notation) if t]
            out += list(sp.sub_notations) + list(sp.parts) + list(sp.years)
        if code_number:
            num = skh_normal(code_number)
            out.append(num)
            if num.isdigit():
                out.append(str(int(num)))
    if year:
        out.append(str(year))
    seen: dict[str, None] = {}
    for t in out:
        seen.setdefault(t, None)
    return list(seen)


@lru_cache(maxsize=65_536)
def _notation_tokens(code_notation: str) -> tuple[str | None, tuple[str, ...]]:
    """(notation, its sub-notations + parts + years) as ``split_skh("1/" + code_notation)`` gives them."""
    sp = split_skh(f"1/{code_notation}")
    return sp.notation, sp.sub_notations + sp.parts + sp.years


def find_spans(text: str, words: set[str]) -> Iterator[tuple[int, int]]:
    """Character spans of the syllables of ``text`` whose folded form is in ``words``."""
    src = nfc(text)
    for m in _WORD.finditer(src):
        if fold(m.group(0)) in words:
            yield m.start(), m.end()
