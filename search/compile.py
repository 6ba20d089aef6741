"""From ``SearchQuery`` + ``Principal`` to a small engine-neutral clause tree.

Both backends translate *this* tree mechanically (``Term`` → a term query, ``Bool`` → a boolean
query…), so ranking rules, abbreviation expansion, số ký hiệu handling and security trimming are
written once. Logical field names (``all``, ``title``, ``title_exact``, ``all_bi``, ``skh``,
``type_key``…) are mapped to physical ones by each backend.

**Matching** happens on ``all`` (title, metadata and body folded together, plus the abbreviations
found in them, ``document.IndexDocument.abbreviations``) and ``all_bi`` (its bigrams): every word
must be in ``all``; a quoted phrase is a conjunction of bigrams of ``all_bi``
(``Compiler.adjacent``); a số ký hiệu matches its ``skh`` tokens or its parts side by side.
**Ranking** adds bonuses: the word in the title (×2) or the metadata (×0.5), its exact tones there
when typed with diacritics, adjacent words as bigrams (``all_bi`` ×1.5, ``title_bi`` ×2,
``meta_bi`` ×1), a số ký hiệu on ``skh`` (whole ×12, notation ×4–6, number ×2–4), far above any
mention in a body.

``Compiled.match`` is the matching tree and ``Compiled.bonus`` the bonus clauses
(``split``): a backend finds, counts and aggregates every match with ``match`` alone — one posting
list per word, whatever the ranking rules — and re-ranks the best ``RESCORE_WINDOW`` of them with
``match`` + ``bonus`` (Elasticsearch's *rescore*). On a million documents where a query's words are
in most documents, reading the bonus fields' postings for every match cost 2–3× the match itself.
``Compiled.query`` is the two together (one tree, for a backend that scores everything).

Abbreviations: a document's ``all`` holds the abbreviation of every spelt-out form it contains
(``Ủy ban nhân dân`` → ``ubnd``), so a word or phrase of the table matches with one term — provided
the index was built with this table (``Compiler(indexed_abbreviations=…)``); otherwise the long
forms are matched at query time as bigram conjunctions, which is correct but slower.

**Common words of a long query.** Given the index's document frequencies (``compile``'s
``doc_freqs``: each backend's own, cached per generation by ``frequency.FrequencyCache``), a long
query leaves out of its match the words held by ``LONG_COMMON_SHARE`` of the documents or more, and
must match as many fewer of the others (``Compiler._without_common``): a disjunction reads every
posting of every word it holds, and such a word — "của", "và", "được" — is in most of them while
its BM25 weight is near nil. Its adjacent pairs and its exact form still score.

**Bounds.** Repeated words, repeated bigrams and repeated branches are compiled once (a pasted
paragraph repeats its common words many times). What remains may hold at most
``MAX_MATCH_CLAUSES`` leaf clauses in its match, ``MAX_EXPANSIONS`` abbreviation expansions and
``MAX_DEPTH`` levels of nesting, or ``compile`` raises ``query.QueryError`` (HTTP 422): both
engines refuse or crash on far larger trees (OpenSearch counts at most 1,024 leaves,
``indices.query.bool.max_clause_count``; a boolean query of ~900 levels overflows Tantivy's
8 MiB stack and kills the process). The bonuses only rank, so they are trimmed instead of
refused: at most ``MAX_BONUS_CLAUSES`` leaves, adjacency in the match field (``all_bi``) kept
first, because for a long query its pairs of words are what tell its source apart. Queries up to
about 35 words keep every bonus.

Why one module over 600 lines: the clause types, ``Compiler`` and the functions that split, bound
and trim its output (``split``, ``shape``, ``trim_bonus``, ``principal_filter``) are one
translation that both backends follow, and the bounds above hold only while they change together;
the query model they compile is being reworked, and a split would follow its new shape.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from search.analysis import (
    Abbreviations,
    bigram,
    cached_exact,
    cached_fold,
    default_abbreviations,
    fold,
    fold_tokens,
    split_skh,
    tone_placements,
)
from search.document import EXACT_FIELDS, keyword
from search.frequency import DocFreqs
from search.query import (
    ACCESS_LEVELS,
    And,
    Node,
    Not,
    Or,
    Phrase,
    Principal,
    QueryError,
    SearchQuery,
    Skh,
    Word,
    Words,
)

MATCH_FIELD = "all"
"""Every word must be in it: title, metadata and body folded, and the abbreviations they spell out."""
FIELD_BOOST = {"title": 2.0, "meta": 0.5}
"""Bonus for a word in a short field, over its match in ``all`` (which holds the short fields too)."""
EXACT_BOOST = {"title": 1.8, "meta": 0.9}
"""Bonus for the exact tones of a word typed with diacritics (``EXACT_FIELDS``; a body holds most
words of a query in both tone forms anyway, and an exact body field would double the index)."""
BIGRAM_BOOST = {"all": 1.5, "title": 2.0, "meta": 1.0}
EXPANSION_FACTOR = 0.8
RESCORE_WINDOW = 100
"""How many of the best matches (by ``match`` alone) are re-ranked with the bonuses."""
SOFT_FROM = 5
"""Words typed side by side must all match up to ``SOFT_FROM - 1`` words; from ``SOFT_FROM`` on,
three in four suffice. (A minimum-should-match disjunction reads every posting of every word; a
conjunction is driven by its rarest word: on a million documents a soft four-word query took
twice as long as a strict one.)"""
LONG_FROM = 8
"""From this many distinct words (a spelt-out abbreviation counting as one) a query is read as a
pasted question or statement: a weighted disjunction (``must_match``) whose adjacent pairs score
in the match."""
LONG_MSM = 0.4
"""The share of a long query's distinct words a document must hold (``must_match``)."""
LONG_BIGRAM_BOOST = 5.0
LONG_WORD_BONUS = 0.0
"""Scale of a long query's per-word bonuses (the word in the title, metadata, exact tones)."""
MAX_MATCH_BIGRAMS = 160
"""Adjacent pairs of a long query scored in its match; the rest are ranking bonuses."""
EXACT_MATCH_FIELD = f"{MATCH_FIELD}_exact"
"""Title, metadata and body as written (lowercase, tones kept, either tone placement): scored for
the words of a long query typed with diacritics, which tell apart what folding conflates
("đưa" / "dựa" / "đua")."""
LONG_EXACT_BOOST = 12.0
"""Weight of a long query's words typed with diacritics on ``EXACT_MATCH_FIELD``, in its match."""
EXACT_FROM = 2 * LONG_FROM
"""Distinct words from which a query's words are scored on ``EXACT_MATCH_FIELD``: where the share
to match reaches ``LONG_MSM`` — a question or a statement. An officials' list of 8–10 keywords
("trách nhiệm của TAND khi bắt giữ tàu biển") is ranked as before: on the real-text set the exact
words drew such lists to articles holding their common words (abbreviations 0.813 → 0.767)."""
EXACT_UNTIL = 48
"""Distinct words up to which they are (a question has 20–40 words): a pasted paragraph (60–140
distinct words) is told apart by its pairs, which the weight of its exact words drowned — on the
synthetic corpus its own document came first for 5 paragraphs in 10 with them, 8 without."""
LONG_COMMON_SHARE = 0.25
"""A long query's word held by at least this share of the index's documents (its own document
frequencies, ``frequency.FrequencyCache``) is left out of its match: its BM25 weight is near nil
(idf ≤ 1.3), but a disjunction holding it reads its whole posting list — "của", "và", "được",
"theo" match most of an index. Its pairs and its exact form still score on what matches."""
COMMON_MIN_DOCS = 1_000
"""Documents an index must hold before a word is deemed common there (below, every word is kept:
a share of a few documents says little, and a small index is cheap to search anyway)."""
LONG_COMMON_EXACT = True
"""Whether the exact forms (``EXACT_MATCH_FIELD``) of the words left out as common still score in the
match. They do: leaving them out too cost 0.65× the CPU at 100,000 synthetic documents, but long
questions typed with diacritics fell below plain BM25 on the tuning half (0.952 → 0.928; BM25 0.938)
— "của" and "cửa", "có" and "cỏ" fold alike."""
LONG_MIN_KEPT = 3
"""Words a long query keeps in its match however common: the rarest of them, when fewer words
(that are not common) remain — a question of common words alone still matches on its rarest."""


def must_match(n: int) -> int:
    """How many of ``n`` distinct words typed side by side must match: all up to ``SOFT_FROM - 1``
    (officials' 2–4-word queries stay strict), three in four up to ``LONG_FROM - 1``, then a share
    falling to ``LONG_MSM`` of them by twice ``LONG_FROM`` words (a question holds many words its
    answer does not: "bao nhiêu", "có phải", "đúng hay sai")."""
    if n < SOFT_FROM:
        return n
    if n < LONG_FROM:
        return n - n // 4
    share = max(LONG_MSM, 0.75 - (0.75 - LONG_MSM) * (n - LONG_FROM) / LONG_FROM)
    return max(2, math.ceil(n * share))


MAX_MATCH_CLAUSES = 512
"""Leaf clauses (terms) the match of one query may hold, after repeats are removed. A 1,000-character
paragraph of Vietnamese has 60–140 distinct words; only contrived input (hundreds of distinct
numbers, a số ký hiệu of hundreds of parts) goes past it."""
MAX_BONUS_CLAUSES = 256
"""Leaf clauses of ranking bonuses kept (``trim_bonus``). With ``MAX_MATCH_CLAUSES`` and the
filters, a query stays under OpenSearch's 1,024 leaves; each bonus is one seek per document of
the re-ranked window on the embedded engine."""
MAX_EXPANSIONS = 64
"""Abbreviation expansions (UBND → ủy ban nhân dân, and back) of one query, distinct words counted once."""
MAX_DEPTH = 16
"""Levels of boolean nesting in the match. Backends wrap it once or twice more (filters, the
principal's rule), staying under Elasticsearch's ``indices.query.bool.max_nested_depth`` (20);
Tantivy uses ~8 KiB of stack per level."""


@dataclass(frozen=True)
class Term:
    field: str
    value: str
    boost: float = 1.0


@dataclass(frozen=True)
class Terms:
    """Filter: the keyword field holds one of ``values`` (none given: matches nothing)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """Filter on an integer field, bounds inclusive."""

    field: str
    lo: int | None = None
    hi: int | None = None


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class MatchNone:
    pass


@dataclass(frozen=True)
class Bool:
    must: tuple = ()
    should: tuple = ()
    must_not: tuple = ()
    filter: tuple = ()
    msm: int = 0
    """Minimum number of ``should`` clauses that must match; 0 means 1 when there is no must/filter."""
    boost: float = 1.0
    ranked: bool = False
    """Its ``should`` clauses beside ``must`` score in the match itself (``split`` leaves them there):
    the adjacency of a long query's words, which must choose the re-ranked window."""


Clause = Term | Terms | Range | MatchAll | MatchNone | Bool


@dataclass
class Compiled:
    query: Clause
    """Scored part, matching and ranking together (MatchAll for an empty ``q``)."""
    filters: list[Clause]
    """Non-scoring restrictions, the principal's rule first."""
    highlight: set[str] = field(default_factory=set)
    """Folded syllables to highlight in snippets (what the engine's highlighter is given)."""
    highlight_exact: set[str] = field(default_factory=set)
    """Exact forms of the syllables typed with diacritics: only these are kept bold for them."""
    scored: bool = True
    highlight_fold: set[str] = field(default_factory=set)
    """Folded forms of the syllables typed without diacritics (any tone is kept bold)."""
    match: Clause | None = None
    """What a document must match, with its own score (``query`` without the bonuses); None: ``query``."""
    bonus: tuple = ()
    """Ranking bonuses (each a clause scored where it matches), for the re-ranked window."""
    facet_filters: dict[str, list[Clause]] = field(default_factory=dict)
    """Disjunctive facets: for each asked facet whose own values are selected, the filters
    (principal's rule first) *without* that facet's selection, so that its other values are
    counted as the person would get them by adding one (OR within a facet, AND across facets).
    A facet absent here is counted under ``filters``."""

    def __post_init__(self) -> None:
        if self.match is None:
            self.match = self.query


def split(c: Clause, boost: float = 1.0) -> tuple[Clause, list[Clause]]:
    """``(match, bonuses)``: a ``should`` clause beside a ``must`` only adds to the score, so it is
    taken out (with the boosts of the clauses around it) and returned apart; so are the bonuses of
    the branches of a union (a bonus names the same words as its branch, so it only scores where
    that branch matches). Exclusions keep only their match."""
    if not isinstance(c, Bool):
        return c, []
    b = boost * c.boost
    neg = tuple(split(x)[0] for x in c.must_not)
    bonus: list[Clause] = []
    if c.ranked:
        parts: dict[str, list[Clause]] = {"must": [], "should": []}
        for name in parts:
            for x in getattr(c, name):
                m, bb = split(x, b)
                parts[name].append(m)
                bonus += bb
        return Bool(must=tuple(parts["must"]), should=tuple(parts["should"]), must_not=neg, filter=c.filter,
                    boost=c.boost, ranked=True), bonus
    if not (c.must or c.filter):  # a union: its should clauses decide what matches
        branches = []
        for x in c.should:
            m, bb = split(x, b)
            branches.append(m)
            bonus += bb
        return Bool(should=tuple(branches), must_not=neg, msm=c.msm, boost=c.boost), bonus
    must = []
    for m in c.must:
        mm, bb = split(m, b)
        must.append(mm)
        bonus += bb
    bonus += [x if b == 1.0 else Bool(should=(x,), boost=b) for x in c.should]
    if len(must) == 1 and not (neg or c.filter):
        inner = must[0]
        return (inner if c.boost == 1.0 else Bool(must=(inner,), boost=c.boost)), bonus
    return Bool(must=tuple(must), must_not=neg, filter=c.filter, boost=c.boost), bonus


class Compiler:
    def __init__(self, abbreviations: Abbreviations | None = None, *,
                 indexed_abbreviations: frozenset[str] | None = None):
        self.abbr = abbreviations or default_abbreviations()
        self.indexed_abbreviations = indexed_abbreviations
        """Folded abbreviations whose spelt-out forms the index holds as the abbreviation (None: the
        whole table ``abbr``, the index was built with it)."""
        self._fold_hl: set[str] = set()
        self._exact_hl: set[str] = set()
        self._hl: set[str] = set()
        self._memo: dict[tuple, Clause] = {}
        self._expansions = 0
        self._doc_freqs: DocFreqs | None = None

    def _expand(self, n: int) -> None:
        """Count ``n`` more abbreviation expansions; ``QueryError`` past ``MAX_EXPANSIONS``."""
        self._expansions += n
        if self._expansions > MAX_EXPANSIONS:
            raise QueryError(f"the query expands to more than {MAX_EXPANSIONS} abbreviations",
                             f"Câu tìm có quá nhiều chữ viết tắt (quá {MAX_EXPANSIONS} dạng mở rộng)",
                             code="query_too_complex")

    def _indexed(self, short: str) -> bool:
        return self.indexed_abbreviations is None or short in self.indexed_abbreviations

    # words ------------------------------------------------------------------------------------
    def _mark(self, text: str, hl: set[str]) -> tuple[str, str | None]:
        """(folded, exact form or None when typed without diacritics); records the highlights."""
        f = cached_fold(text)
        hl.add(f)
        if f != text.lower():  # typed with diacritics (``has_diacritics``)
            e = cached_exact(text)
            self._exact_hl.add(e)
            return f, e
        self._fold_hl.add(f)
        return f, None

    def word(self, text: str, hl: set[str]) -> Clause:
        f, e = self._mark(text, hl)
        bonus: list[Clause] = [Term(name, f, b) for name, b in FIELD_BOOST.items()]
        if e is not None:
            bonus += [Term(f"{name}_exact", e, EXACT_BOOST[name]) for name in EXACT_FIELDS]
        match: Clause = Term(MATCH_FIELD, f)
        if f.isdigit():  # a number or a year of a số ký hiệu (the year of issue is in no text)
            match = Bool(should=(match, Term("skh", f, 3.0)))
        expansions = [tuple(fold(w) for w in words) for words in self.abbr.to_long.get(f, ())]
        if expansions:
            self._expand(len(expansions))
            for folded in expansions:
                hl.update(folded)
                self._fold_hl.update(folded)
                bonus.append(self.adjacent(folded, "title", BIGRAM_BOOST["title"] * EXPANSION_FACTOR))
            if not self._indexed(f):
                match = Bool(should=(match, *[self.adjacent(folded) for folded in expansions]))
        return Bool(must=(match,), should=tuple(bonus))

    @staticmethod
    def adjacent(folded: tuple[str, ...], name: str = MATCH_FIELD, boost: float = 1.0) -> Clause:
        """Folded syllables next to each other, in order, in field ``name``: every adjacent pair is a
        bigram term of ``<name>_bi``. Exact for two syllables; for more, each pair must be adjacent
        (``a b`` and ``b c`` somewhere in the field) — no positions are indexed, and a conjunction of
        bigram postings is an order of magnitude cheaper than a positional phrase on common words."""
        pairs = tuple(dict.fromkeys(bigram(a, b) for a, b in itertools.pairwise(folded)))
        if len(pairs) == 1:
            return Term(f"{name}_bi", pairs[0], boost)
        return Bool(must=tuple(Term(f"{name}_bi", bg) for bg in pairs), boost=boost)

    def phrase(self, words: tuple[str, ...], hl: set[str], *, expand: bool = True) -> Clause:
        if len(words) == 1:
            return self.word(words[0], hl)
        marked = [self._mark(w, hl) for w in words]
        folded = tuple(f for f, _ in marked)
        match: Clause = self.adjacent(folded)
        bonus: list[Clause] = [self.adjacent(folded, name, b) for name, b in BIGRAM_BOOST.items() if name != "all"]
        shorts = self.abbr.to_short.get(folded, ()) if expand else ()
        if shorts:
            keys = tuple(dict.fromkeys(fold(short) for short in shorts))
            self._expand(len(keys))
            for fs in keys:
                hl.add(fs)
                self._fold_hl.add(fs)
                bonus += [Term(name, fs, b * EXPANSION_FACTOR) for name, b in FIELD_BOOST.items()]
            bonus.append(self.adjacent(folded, MATCH_FIELD, EXPANSION_FACTOR))  # the form typed
            alts = tuple(Term(MATCH_FIELD, fs) for fs in keys)
            if all(self._indexed(fs) for fs in keys):
                match = alts[0] if len(alts) == 1 else Bool(should=alts)
            else:
                match = Bool(should=(match, *alts))
        exact = [e for _, e in marked if e is not None]
        bonus += [Term(f"{name}_exact", e, EXACT_BOOST[name]) for e in dict.fromkeys(exact) for name in EXACT_FIELDS]
        return Bool(must=(match,), should=tuple(bonus))

    def skh(self, text: str, hl: set[str]) -> Clause:
        sp = split_skh(text)
        should: list[Clause] = []
        if sp.full:
            should.append(Term("skh", sp.full, 12.0))
        if sp.notation:
            should.append(Term("skh", sp.notation, 4.0 if sp.full else 6.0))
        for sub in sp.sub_notations:
            should.append(Term("skh", sub, 2.0))
        if sp.number:
            should.append(Term("skh", sp.number, 2.0))
        words = fold_tokens(text)
        hl.update(words)
        self._fold_hl.update(words)
        if len(words) > 1:
            # its parts side by side anywhere ("căn cứ Nghị định số 30/2020/NĐ-CP" in a body)
            should.append(self.adjacent(tuple(words), MATCH_FIELD, 0.5))
        elif words:
            should.append(Term(MATCH_FIELD, words[0], 0.5))
        return Bool(should=tuple(dict.fromkeys(should)))

    # structure --------------------------------------------------------------------------------
    def node(self, n: Node, hl: set[str]) -> Clause:
        """The clause of ``n``; a node seen before in this query (``lưu`` typed twenty times) is
        compiled once (keyed by whether it is highlighted: a negated word is not)."""
        key = (n, hl is self._hl)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._node(n, hl)
        return found

    def _node(self, n: Node, hl: set[str]) -> Clause:
        if isinstance(n, Word):
            return self.word(n.text, hl)
        if isinstance(n, Skh):
            return self.skh(n.text, hl)
        if isinstance(n, Phrase):
            return self.phrase(n.words, hl)
        if isinstance(n, Not):
            return Bool(must=(MatchAll(),), must_not=(self.node(n.child, set()),))
        if isinstance(n, And):
            return self._combine([c for c in n.children], hl, required=True)
        if isinstance(n, Or):
            pos = [self.node(c, hl) for c in n.children if not isinstance(c, Not)]
            neg = [self.node(c.child, set()) for c in n.children if isinstance(c, Not)]
            if neg:  # "a OR NOT b": keep it simple and explicit
                pos += [Bool(must=(MatchAll(),), must_not=(x,)) for x in dict.fromkeys(neg)]
            return Bool(should=tuple(dict.fromkeys(pos)))
        if isinstance(n, Words):
            return self.words(n.children, hl)
        raise TypeError(f"unknown node {n!r}")

    def _combine(self, children: list[Node], hl: set[str], *, required: bool) -> Clause:
        pos = [self.node(c, hl) for c in children if not isinstance(c, Not)]
        neg = [self.node(c.child, set()) for c in children if isinstance(c, Not)]
        return Bool(must=tuple(dict.fromkeys(pos)) if pos else (MatchAll(),), must_not=tuple(dict.fromkeys(neg)))

    def words(self, children: tuple[Node, ...], hl: set[str]) -> Clause:
        neg = [self.node(c.child, set()) for c in children if isinstance(c, Not)]
        pos_nodes = [c for c in children if not isinstance(c, Not)]
        units: list[Clause] = []
        bigram_clauses: list[Term] = []
        i = 0
        longest = self.abbr.longest_phrase
        # each word folded once (a pasted paragraph has ~230, each in up to ``longest`` windows)
        folded = [cached_fold(w.text) if isinstance(w, Word) else None for w in pos_nodes]
        while i < len(pos_nodes):
            # a run of plain words that spells out an abbreviation ("ủy ban nhân dân") is one unit
            matched = 0
            for n in range(min(longest, len(pos_nodes) - i), 1, -1):
                key = tuple(folded[i:i + n])
                if None not in key and key in self.abbr.to_short:
                    # None not in key: every node of the run is a Word
                    units.append(self.node(Phrase(tuple(w.text for w in pos_nodes[i:i + n] if isinstance(w, Word))), hl))
                    matched = n
                    break
            if matched:
                i += matched
                continue
            units.append(self.node(pos_nodes[i], hl))
            i += 1
        # a word typed again adds nothing to match (and three in four of the *distinct* words must)
        pairs = dict.fromkeys(bigram(a, b) for a, b in itertools.pairwise(folded) if a is not None and b is not None)
        for bg in pairs:
            bigram_clauses += [Term(f"{name}_bi", bg, boost) for name, boost in BIGRAM_BOOST.items()]
        units = _merged(units)
        neg = list(dict.fromkeys(neg))
        n = len(units)
        msm = must_match(n)
        core: Clause = (units[0] if n == 1 else Bool(must=tuple(units)) if msm == n
                        else Bool(should=tuple(units), msm=msm))
        if not units:
            core = MatchAll()
        if n >= LONG_FROM:
            units = [_scaled_bonus(u, LONG_WORD_BONUS) for u in units]
            kept_units, msm = self._without_common(units, msm)
            kept_set = set(kept_units)
            common = {m.value for u in units if u not in kept_set and isinstance(m := split(u)[0], Term)}
            units = kept_units
            core = Bool(should=tuple(units), msm=msm)
            # a long input is a weighted disjunction: its pairs of adjacent words score in the match
            # (they choose the re-ranked window), the rarer the pair the more; the rest are bonuses
            scored = list(pairs)[:MAX_MATCH_BIGRAMS]
            adjacent = tuple(Term(f"{MATCH_FIELD}_bi", bg, LONG_BIGRAM_BOOST) for bg in scored)
            if LONG_EXACT_BOOST and EXACT_FROM <= n <= EXACT_UNTIL:
                adjacent += tuple(Term(EXACT_MATCH_FIELD, e, LONG_EXACT_BOOST) for e in _exact_words(pos_nodes)
                                  if LONG_COMMON_EXACT or cached_fold(e) not in common)
            kept = set(scored)
            others = tuple(replace(c, boost=c.boost * (1.0 if c.field == f"{MATCH_FIELD}_bi" else LONG_WORD_BONUS))
                           for c in bigram_clauses if not (c.field == f"{MATCH_FIELD}_bi" and c.value in kept))
            others = tuple(c for c in others if c.boost)
            return Bool(must=(Bool(must=(core,), should=adjacent, ranked=True),), should=others,
                        must_not=tuple(neg))
        return Bool(must=(core,), should=tuple(bigram_clauses), must_not=tuple(neg))

    def _without_common(self, units: list[Clause], msm: int) -> tuple[list[Clause], int]:
        """A long query's units without its common words (``LONG_COMMON_SHARE`` of the documents or
        more), and how many of the others must match: ``msm`` less one per word left out (at least
        one), so that whatever matched with them and holds one of the others still matches (``msm``
        words of the query, so ``msm - k`` of the others); a document that held the common words
        alone no longer matches. The match reads the posting lists of the rarer words only.
        Unchanged without document frequencies, or on an index under ``COMMON_MIN_DOCS``."""
        if self._doc_freqs is None or LONG_COMMON_SHARE >= 1.0:
            return units, msm
        words = {i: m.value for i, u in enumerate(units)
                 if isinstance(m := split(u)[0], Term) and m.field == MATCH_FIELD}
        if not words:
            return units, msm
        docs, df = self._doc_freqs(list(words.values()))
        if docs < COMMON_MIN_DOCS:
            return units, msm
        cut = LONG_COMMON_SHARE * docs
        common = sorted((df.get(t, 0), i) for i, t in words.items() if df.get(t, 0) >= cut)
        # what may still match besides them: the rarer words, numbers and abbreviations (a word
        # absent from the index is kept, but cannot match: it costs nothing)
        others = len(units) - len(words) + sum(1 for t in words.values() if 0 < df.get(t, 0) < cut)
        dropped = {i for _, i in common[max(0, LONG_MIN_KEPT - others):]}
        if not dropped:
            return units, msm
        return [u for i, u in enumerate(units) if i not in dropped], max(1, msm - len(dropped))

    # the whole query --------------------------------------------------------------------------
    def compile(self, query: SearchQuery, principal: Principal, doc_freqs: DocFreqs | None = None) -> Compiled:
        """``QueryError`` when the query is beyond a bound (see the module docstring). ``doc_freqs``:
        the index's document frequencies of ``all`` (``frequency.DocFreqs``), asked for the words of
        a long query only; without them every word of a long query is in its match."""
        hl: set[str] = set()
        self._doc_freqs = doc_freqs
        self._hl = hl
        self._fold_hl = set()
        self._exact_hl = set()
        self._memo = {}
        self._expansions = 0
        try:
            tree = query.tree
            scored = tree is not None
            main = self.node(tree, hl) if tree is not None else MatchAll()
        finally:
            self._memo = {}
        match, bonus = split(main)
        leaves, depth = shape(match)
        if leaves > MAX_MATCH_CLAUSES or depth > MAX_DEPTH:
            raise QueryError(f"the query expands to {leaves} clauses nested {depth} deep; at most "
                             f"{MAX_MATCH_CLAUSES} clauses and {MAX_DEPTH} levels are searched",
                             "Câu tìm quá phức tạp (quá nhiều từ khác nhau, số ký hiệu quá nhiều phần hoặc "
                             "lồng quá sâu); hãy rút gọn câu tìm", code="query_too_complex")
        kept = trim_bonus(bonus)
        if len(kept) < len(bonus) or shape(main)[0] > leaves + MAX_BONUS_CLAUSES:
            main = Bool(must=(match,), should=tuple(kept))  # what is scored is what is kept
        filters: list[Clause] = []
        security = principal_filter(principal)
        if security is not None:
            filters.append(security)
        filters += query_filters(query)
        facet_filters = {}
        for name in query.facets:
            without = without_facet(query, name)
            if without is not None:
                facet_filters[name] = ([security] if security is not None else []) + query_filters(without)
        return Compiled(main, filters, hl, set(self._exact_hl), scored, set(self._fold_hl), match, tuple(kept),
                        facet_filters)


def _merged(units: list[Clause]) -> list[Clause]:
    """Units that match alike counted once: a repeated word, and words that differ only by their
    tones ("động", "đồng": one posting list of ``all``) — one match with the bonuses of each, so
    that ``must_match`` counts what can match, and a posting list is read once."""
    groups: dict[Clause, list[Clause]] = {}
    for u in dict.fromkeys(units):
        groups.setdefault(split(u)[0], []).append(u)
    out: list[Clause] = []
    for match, group in groups.items():
        if len(group) > 1 and all(isinstance(u, Bool) and u.must == (match,) and not (u.must_not or u.filter)
                                  for u in group):
            shoulds = (x for u in group if isinstance(u, Bool) for x in u.should)  # all Bools (checked above)
            out.append(Bool(must=(match,), should=tuple(dict.fromkeys(shoulds))))
        else:
            out += group
    return out


def _exact_words(nodes: Sequence[Node]) -> list[str]:
    """The exact forms (both tone placements) of the distinct words of ``nodes`` typed with
    diacritics: a word typed without them says nothing of its tones."""
    typed = dict.fromkeys(cached_exact(w.text) for w in nodes
                          if isinstance(w, Word) and cached_fold(w.text) != w.text.lower())
    return list(dict.fromkeys(v for e in typed for v in tone_placements(e)))


def _scaled_bonus(c: Clause, scale: float) -> Clause:
    """A word's clause (its match ``must``, its bonuses ``should``) with the bonuses scaled."""
    if scale == 1.0 or not (isinstance(c, Bool) and c.must and c.should):
        return c
    should = tuple(Bool(should=(x,), boost=scale) for x in c.should) if scale else ()
    return replace(c, should=should)


def shape(c: Clause) -> tuple[int, int]:
    """(leaf clauses, levels of ``Bool`` nesting) of a clause tree; iterative, for trees of any depth."""
    leaves, depth = 0, 0
    stack = [(c, 0)]
    while stack:
        x, level = stack.pop()
        if isinstance(x, Bool):
            level += 1
            depth = max(depth, level)
            stack += [(y, level) for y in (*x.must, *x.should, *x.must_not, *x.filter)]
        else:
            leaves += 1
    return leaves, depth


def _adjacency_first(c: Clause) -> int:
    """0 for a bonus on adjacent words in the match field (``all_bi``), 1 for any other."""
    while isinstance(c, Bool) and len(c.should) == 1 and not (c.must or c.must_not or c.filter):
        c = c.should[0]
    return 0 if isinstance(c, Term) and c.field == f"{MATCH_FIELD}_bi" else 1


def trim_bonus(bonus: list[Clause]) -> list[Clause]:
    """The bonuses kept for ranking: all of them up to ``MAX_BONUS_CLAUSES`` leaves; past it, the
    adjacency bonuses of the match field first, then the others, each in the order typed."""
    sizes = [shape(b)[0] for b in bonus]
    if sum(sizes) <= MAX_BONUS_CLAUSES:
        return bonus
    kept, room = [], MAX_BONUS_CLAUSES
    for _, n, b in sorted(zip(map(_adjacency_first, bonus), sizes, bonus, strict=True), key=lambda it: it[0]):
        if n <= room:
            kept.append(b)
            room -= n
    return kept


def principal_filter(p: Principal) -> Clause | None:
    """The principal's rule as a filter (None: unrestricted)."""
    if p.unrestricted:
        return None
    branches: list[Clause] = []
    if p.dossier_ids:
        branches.append(Terms("dossier_id", tuple(sorted(p.dossier_ids))))
    if p.access_levels and (p.fonds_ids is None or p.fonds_ids):
        levels = Terms("access_level", tuple(sorted(p.access_levels)))
        if p.fonds_ids is None:
            # "not one of the other levels": most readers may read most records, and excluding the
            # few they may not read costs a fraction of reading the postings of those they may.
            # Exact because every indexed record has one of ACCESS_LEVELS (IndexDocument.keys).
            others = tuple(level for level in ACCESS_LEVELS if level not in p.access_levels)
            branches.append(Bool(must_not=(Terms("access_level", others),)) if others else MatchAll())
        else:
            branches.append(Bool(filter=(levels, Terms("fonds_id", tuple(sorted(p.fonds_ids))))))
    if not branches:
        return MatchNone()
    if any(isinstance(b, MatchAll) for b in branches):
        return None
    return branches[0] if len(branches) == 1 else Bool(should=tuple(branches), msm=1)


def query_filters(q: SearchQuery) -> list[Clause]:
    out: list[Clause] = []

    def keys(values):
        return tuple(k for k in (keyword(v) for v in values) if k)

    if q.types:
        out.append(Terms("type_key", keys(q.types)))
    if q.agencies:
        out.append(Terms("agency_key", keys(q.agencies)))
    if q.signers:
        out.append(Terms("signer_key", keys(q.signers)))
    for name, values in (("dossier_id", q.dossier_ids), ("fonds_id", q.fonds_ids),
                         ("signature_status", q.signature_statuses), ("access_level", q.access_levels),
                         ("retention_status", q.retention_statuses), ("ocr_status", q.ocr_statuses)):
        if values:
            out.append(Terms(name, tuple(values)))
    lo, hi = q.date_bounds()
    if lo or hi:
        out.append(Range("date_key", lo.toordinal() if lo else 1, hi.toordinal() if hi else None))  # 0: no date
    return out


FACET_SELECTION = {"type": ("types",), "agency": ("agencies",), "signer": ("signers",),
                   "year": ("year_from", "year_to"), "access_level": ("access_levels",),
                   "signature_status": ("signature_statuses",), "retention_status": ("retention_statuses",),
                   "fonds": ("fonds_ids",), "dossier": ("dossier_ids",)}
"""Facet name → the query's fields that select its values (the year facet: ``year_from``/``year_to``;
``date_from``/``date_to`` stay a filter of every facet)."""


def without_facet(q: SearchQuery, name: str) -> SearchQuery | None:
    """The query without the selection of facet ``name`` (None: nothing of it is selected)."""
    names = FACET_SELECTION[name]
    if not any(getattr(q, n) not in (None, ()) for n in names):
        return None
    cleared: dict[str, Any] = {n: (None if n.startswith("year") else ()) for n in names}
    return replace(q, facets=(), **cleared)


FACET_FIELDS = {"type": "type_name", "agency": "organ_name", "signer": "signer_name", "year": "year",
                "access_level": "access_level", "signature_status": "signature_status",
                "retention_status": "retention_status", "fonds": "fonds_id", "dossier": "dossier_id"}
"""Facet name → the stored field whose values are counted (display values, not keys)."""
