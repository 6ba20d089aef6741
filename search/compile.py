"""From ``SearchQuery`` + ``Principal`` to a small engine-neutral clause tree.

Both backends translate *this* tree mechanically (``Term`` → a term query, ``Bool`` → a boolean
query…), so ranking rules, abbreviation expansion, số ký hiệu handling and security trimming are
written once. Logical field names (``title``, ``title_exact``, ``title_bi``, ``skh``,
``type_key``…) are mapped to physical ones by each backend.

Scoring, in short: every word must match its folded form somewhere (title ×3, metadata ×1.5,
body ×1); a word typed with diacritics also scores on the exact form of the title and metadata;
adjacent words score again as a bigram; a số ký hiệu scores on the dedicated ``skh`` field (whole
×12, notation ×4–6, number ×2–4), far above any mention in a body. A quoted phrase matches where
each adjacent pair of its syllables is a bigram of one field (``Compiler.adjacent``).

Speed: a clause costs what its posting lists cost, and common syllables are in most documents,
so the tree reads each word's folded postings once per field, exact forms only on the short
fields, and phrases as bigram conjunctions (no positions are indexed).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from search.analysis import (
    Abbreviations,
    bigram,
    default_abbreviations,
    exact_form,
    fold,
    fold_tokens,
    has_diacritics,
    split_skh,
)
from search.document import EXACT_FIELDS, keyword
from search.query import (
    ACCESS_LEVELS,
    And,
    Node,
    Not,
    Or,
    Phrase,
    Principal,
    SearchQuery,
    Skh,
    Word,
    Words,
    parse,
)

FIELD_BOOST = {"title": 3.0, "meta": 1.5, "body": 1.0}
EXACT_FACTOR = 0.6
"""Exact tones (``EXACT_FIELDS``) score on the short fields only: a body holds most words of a query in both tone
forms anyway, and an exact body field would double the postings every query reads."""
BIGRAM_BOOST = {"title": 2.0, "meta": 1.0, "body": 1.5}
EXPANSION_FACTOR = 0.8
SOFT_FROM = 5
"""Words typed side by side must all match up to ``SOFT_FROM - 1`` words; from ``SOFT_FROM`` on,
three in four suffice. (A minimum-should-match disjunction reads every posting of every word; a
conjunction is driven by its rarest word: on a million documents a soft four-word query took
twice as long as a strict one.)"""


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


Clause = Term | Terms | Range | MatchAll | MatchNone | Bool


@dataclass
class Compiled:
    query: Clause
    """Scored part (MatchAll for an empty ``q``)."""
    filters: list[Clause]
    """Non-scoring restrictions, the principal's rule first."""
    highlight: set[str] = field(default_factory=set)
    """Folded syllables to highlight in snippets (what the engine's highlighter is given)."""
    highlight_exact: set[str] = field(default_factory=set)
    """Exact forms of the syllables typed with diacritics: only these are kept bold for them."""
    scored: bool = True
    highlight_fold: set[str] = field(default_factory=set)
    """Folded forms of the syllables typed without diacritics (any tone is kept bold)."""


class Compiler:
    def __init__(self, abbreviations: Abbreviations | None = None):
        self.abbr = abbreviations or default_abbreviations()
        self._fold_hl: set[str] = set()
        self._exact_hl: set[str] = set()

    # words ------------------------------------------------------------------------------------
    def _mark(self, text: str, hl: set[str]) -> tuple[str, str | None]:
        """(folded, exact form or None when typed without diacritics); records the highlights."""
        f = fold(text)
        hl.add(f)
        if has_diacritics(text):
            e = exact_form(text)
            self._exact_hl.add(e)
            return f, e
        self._fold_hl.add(f)
        return f, None

    def word(self, text: str, hl: set[str]) -> Clause:
        f, e = self._mark(text, hl)
        should: list[Clause] = [Term(name, f, b) for name, b in FIELD_BOOST.items()]
        if f.isdigit():
            should.append(Term("skh", f, 3.0))  # a number or a year of a số ký hiệu
        if e is not None:
            should += [Term(f"{name}_exact", e, FIELD_BOOST[name] * EXACT_FACTOR) for name in EXACT_FIELDS]
        clause: Clause = Bool(should=tuple(should))
        expansions = self.abbr.to_long.get(f)
        if expansions:
            alts = [self.phrase(words, hl, boost=EXPANSION_FACTOR) for words in expansions]
            clause = Bool(should=(clause, *alts))
        return clause

    @staticmethod
    def adjacent(folded: tuple[str, ...], boost: float = 1.0) -> Clause:
        """Folded syllables next to each other, in order, in one field: every adjacent pair is a
        bigram term of that field. Exact for two syllables; for more, each pair must be adjacent
        (``a b`` and ``b c`` somewhere in the field) — no positions are indexed, and a conjunction of
        bigram postings is an order of magnitude cheaper than a positional phrase on common words."""
        pairs = tuple(dict.fromkeys(bigram(a, b) for a, b in itertools.pairwise(folded)))
        per_field = [Bool(must=tuple(Term(f"{name}_bi", bg) for bg in pairs), boost=b * boost)
                     for name, b in FIELD_BOOST.items()]
        return Bool(should=tuple(per_field))

    def phrase(self, words: tuple[str, ...], hl: set[str], *, boost: float = 1.0,
               expand: bool = True) -> Clause:
        if len(words) == 1:
            return self.word(words[0], hl)
        marked = [self._mark(w, hl) for w in words]
        folded = tuple(f for f, _ in marked)
        match: Clause = self.adjacent(folded, boost)
        shorts = self.abbr.to_short.get(folded, ()) if expand else ()
        if shorts:
            alts: list[Clause] = [match]
            for short in shorts:
                fs = fold(short)
                hl.add(fs)
                self._fold_hl.add(fs)
                alts += [Term(name, fs, b * boost * EXPANSION_FACTOR) for name, b in FIELD_BOOST.items()]
                alts.append(Term("skh", fs, boost * EXPANSION_FACTOR))
            match = Bool(should=tuple(alts))
        exact = [e for _, e in marked if e is not None]
        if not exact:
            return match
        bonus = tuple(Term(f"{name}_exact", e, FIELD_BOOST[name] * boost * EXACT_FACTOR)
                      for e in dict.fromkeys(exact) for name in EXACT_FIELDS)
        return Bool(must=(match,), should=bonus)

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
            # written without spaces ("9545/UBND-THCB"), so not bigrams: all its parts in one field
            should += [Bool(must=tuple(Term(name, w) for w in dict.fromkeys(words)), boost=b * 0.5)
                       for name, b in FIELD_BOOST.items()]
        elif words:
            should += [Term(name, words[0], b * 0.5) for name, b in FIELD_BOOST.items()]
        return Bool(should=tuple(should))

    # structure --------------------------------------------------------------------------------
    def node(self, n: Node, hl: set[str]) -> Clause:
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
                pos += [Bool(must=(MatchAll(),), must_not=(x,)) for x in neg]
            return Bool(should=tuple(pos))
        if isinstance(n, Words):
            return self.words(n.children, hl)
        raise TypeError(f"unknown node {n!r}")

    def _combine(self, children: list[Node], hl: set[str], *, required: bool) -> Clause:
        pos = [self.node(c, hl) for c in children if not isinstance(c, Not)]
        neg = [self.node(c.child, set()) for c in children if isinstance(c, Not)]
        return Bool(must=tuple(pos) if pos else (MatchAll(),), must_not=tuple(neg))

    def words(self, children: tuple[Node, ...], hl: set[str]) -> Clause:
        neg = [self.node(c.child, set()) for c in children if isinstance(c, Not)]
        pos_nodes = [c for c in children if not isinstance(c, Not)]
        units: list[Clause] = []
        bigram_clauses: list[Clause] = []
        i = 0
        longest = self.abbr.longest_phrase
        while i < len(pos_nodes):
            # a run of plain words that spells out an abbreviation ("ủy ban nhân dân") is one unit
            matched = 0
            for n in range(min(longest, len(pos_nodes) - i), 1, -1):
                window = pos_nodes[i:i + n]
                if all(isinstance(w, Word) for w in window):
                    key = tuple(fold(w.text) for w in window)
                    if key in self.abbr.to_short:
                        units.append(self.phrase(tuple(w.text for w in window), hl))
                        matched = n
                        break
            if matched:
                i += matched
                continue
            units.append(self.node(pos_nodes[i], hl))
            i += 1
        for a, b in itertools.pairwise(pos_nodes):
            if isinstance(a, Word) and isinstance(b, Word):
                bg = bigram(fold(a.text), fold(b.text))
                bigram_clauses += [Term(f"{name}_bi", bg, boost) for name, boost in BIGRAM_BOOST.items()]
        n = len(units)
        msm = n if n <= SOFT_FROM - 1 else n - n // 4
        core: Clause = (units[0] if n == 1 else Bool(must=tuple(units)) if msm == n
                        else Bool(should=tuple(units), msm=msm))
        if not units:
            core = MatchAll()
        return Bool(must=(core,), should=tuple(bigram_clauses), must_not=tuple(neg))

    # the whole query --------------------------------------------------------------------------
    def compile(self, query: SearchQuery, principal: Principal) -> Compiled:
        hl: set[str] = set()
        self._fold_hl: set[str] = set()
        self._exact_hl: set[str] = set()
        tree = parse(query.q)
        scored = tree is not None
        main = self.node(tree, hl) if tree is not None else MatchAll()
        filters: list[Clause] = []
        security = principal_filter(principal)
        if security is not None:
            filters.append(security)
        filters += query_filters(query)
        return Compiled(main, filters, hl, set(self._exact_hl), scored, set(self._fold_hl))


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
                         ("retention_status", q.retention_statuses)):
        if values:
            out.append(Terms(name, tuple(values)))
    lo, hi = q.date_bounds()
    if lo or hi:
        out.append(Range("date_key", lo.toordinal() if lo else 1, hi.toordinal() if hi else None))  # 0: no date
    return out


FACET_FIELDS = {"type": "type_name", "agency": "organ_name", "signer": "signer_name", "year": "year",
                "access_level": "access_level", "signature_status": "signature_status",
                "retention_status": "retention_status", "fonds": "fonds_id", "dossier": "dossier_id"}
"""Facet name → the stored field whose values are counted (display values, not keys)."""
