"""The one query model every backend translates: ``SearchQuery``, ``Principal`` and the parsed
free text.

Free-text syntax (``q``)::

    lưu trữ hồ sơ            words: all must match (from 4 words on, 3 of 4 suffice), and
                              adjacent words that form a word ("lưu trữ") rank higher
    "văn bản điện tử"        a phrase
    a AND b, a OR b, NOT a   operators (upper case); "-a" is NOT a; parentheses group
    9545/UBND-THCB           a số ký hiệu, or part of one (UBND-THCB, QĐ-UBND, 15/CT-TTg)

Words are matched without diacritics (and rank higher with the diacritics typed), and
abbreviations expand both ways (UBND ↔ Ủy ban nhân dân).

``Principal`` is who is asking. Its rule, applied *inside* every query (so results, totals,
facets, snippets, more-like-this and paging see the same set): a record is readable when the
principal is unrestricted, or the record's dossier is in ``dossier_ids`` (an explicit grant), or
its access level is in ``access_levels`` and — when ``fonds_ids`` is set — its fonds is in
``fonds_ids``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, Union

from search.analysis import is_skh_like, nfc, tokens

ACCESS_LEVELS = ("public", "internal", "restricted", "secret")
FACETS = ("type", "agency", "signer", "year", "access_level", "signature_status", "retention_status",
          "fonds", "dossier")
"""Facet names a query may ask for."""
Sort = Literal["relevance", "date_desc", "date_asc"]


@dataclass(frozen=True)
class Principal:
    """What the caller may read (see the module docstring for the rule)."""

    access_levels: frozenset[str] = frozenset({"public"})
    dossier_ids: frozenset[str] = frozenset()
    fonds_ids: frozenset[str] | None = None
    """None: every fonds. A set: only these (a staff member of one agency)."""
    unrestricted: bool = False
    """An administrator: reads everything."""
    name: str = "anonymous"

    def __post_init__(self) -> None:
        unknown = set(self.access_levels) - set(ACCESS_LEVELS)
        if unknown:
            raise ValueError(f"unknown access levels {sorted(unknown)}")

    @classmethod
    def admin(cls, name: str = "admin") -> Principal:
        return cls(access_levels=frozenset(ACCESS_LEVELS), unrestricted=True, name=name)

    def may_read(self, *, access_level: str, dossier_id: str | None, fonds_id: str | None) -> bool:
        """The same rule as the backends apply inside the query (used for tests and MLT sources)."""
        if self.unrestricted or (dossier_id is not None and dossier_id in self.dossier_ids):
            return True
        return access_level in self.access_levels and (self.fonds_ids is None or fonds_id in self.fonds_ids)


@dataclass(frozen=True)
class SearchQuery:
    """A search: free text, filters, facets, sort and paging. Empty ``q`` matches everything."""

    q: str = ""
    types: tuple[str, ...] = ()
    """Tên loại văn bản (``Quyết định``); matched without case or diacritics."""
    agencies: tuple[str, ...] = ()
    """Cơ quan ban hành, the whole name (case and diacritics ignored)."""
    signers: tuple[str, ...] = ()
    """Người ký, the whole name (case and diacritics ignored)."""
    date_from: date | None = None
    date_to: date | None = None
    year_from: int | None = None
    year_to: int | None = None
    dossier_ids: tuple[str, ...] = ()
    fonds_ids: tuple[str, ...] = ()
    signature_statuses: tuple[str, ...] = ()
    """valid / invalid / indeterminate / unsigned / unknown."""
    access_levels: tuple[str, ...] = ()
    retention_statuses: tuple[str, ...] = ()
    """permanent / temporary / unassigned."""
    ocr_statuses: tuple[str, ...] = ()
    """OCR of scans (``search.indexer.ocr_status``): none / done / low_confidence / pending / missing."""
    facets: tuple[str, ...] = ()
    histogram: Literal["year", "month"] | None = None
    sort: Sort = "relevance"
    size: int = 20
    search_after: tuple | None = None
    """``SearchPage.next_after`` of the previous page."""
    highlight: bool = True

    def __post_init__(self) -> None:
        for name in ("types", "agencies", "signers", "dossier_ids", "fonds_ids", "signature_statuses",
                     "access_levels", "retention_statuses", "ocr_statuses", "facets"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value))
        if self.search_after is not None:
            object.__setattr__(self, "search_after", tuple(self.search_after))
        unknown = set(self.facets) - set(FACETS)
        if unknown:
            raise ValueError(f"unknown facets {sorted(unknown)}; known: {', '.join(FACETS)}")
        if not 0 < self.size <= 1000:
            raise ValueError("size must be between 1 and 1000")
        if self.sort not in ("relevance", "date_desc", "date_asc"):
            raise ValueError(f"unknown sort {self.sort!r}")
        object.__setattr__(self, "q", nfc(self.q or ""))

    def date_bounds(self) -> tuple[date | None, date | None]:
        lo, hi = self.date_from, self.date_to
        if self.year_from is not None:
            y = date(self.year_from, 1, 1)
            lo = max(lo, y) if lo else y
        if self.year_to is not None:
            y = date(self.year_to, 12, 31)
            hi = min(hi, y) if hi else y
        return lo, hi

    def next_page(self, after: tuple | list | None) -> SearchQuery:
        return replace(self, search_after=tuple(after) if after is not None else None)


# Parsed free text ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    text: str
    """One syllable as typed (NFC)."""


@dataclass(frozen=True)
class Skh:
    text: str
    """A số ký hiệu or a part of one, as typed."""


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Words:
    """Words typed side by side: a soft AND (``minimum_should_match``) with adjacency bonus."""

    children: tuple[Node, ...] = field(default=())


Node = Union[Word, Skh, Phrase, And, Or, Not, Words]  # noqa: UP007 - a recursive alias
_LEX = re.compile(r'"([^"]*)"?|(\()|(\))|(\S+)')


def _lex(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _LEX.finditer(q):
        phrase, lpar, rpar, word = m.groups()
        if phrase is not None:
            out.append(("phrase", phrase))
        elif lpar:
            out.append(("(", lpar))
        elif rpar:
            out.append((")", rpar))
        elif word in ("AND", "OR", "NOT", "&&", "||"):
            out.append(({"&&": "AND", "||": "OR"}.get(word, word), word))
        else:
            # parentheses glued to words: "(a" / "b)"
            lead = len(word) - len(word.lstrip("("))
            trail = len(word) - len(word.rstrip(")"))
            out += [("(", "(")] * lead
            core = word[lead:len(word) - trail] if trail else word[lead:]
            if core:
                out.append(("word", core))
            out += [(")", ")")] * trail
    return out


def _atoms(word: str) -> list[Node]:
    neg = word.startswith("-") and len(word) > 1
    if neg:
        word = word[1:]
    if is_skh_like(word):
        nodes: list[Node] = [Skh(word)]
    else:
        syl = tokens(word)
        nodes = [Word(s) for s in syl]
        if neg and len(syl) > 1:
            nodes = [Phrase(tuple(syl))]
    if neg:
        return [Not(n) for n in nodes]
    return nodes


class _Parser:
    def __init__(self, toks: list[tuple[str, str]]):
        self.toks = toks
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse_or(self) -> Node | None:
        parts = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.parse_and())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node | None:
        parts = [self.parse_seq()]
        while self.peek() == "AND":
            self.take()
            parts.append(self.parse_seq())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_seq(self) -> Node | None:
        items: list[Node] = []
        while self.peek() not in (None, "OR", "AND", ")"):
            kind, text = self.take()
            if kind == "NOT":
                nxt = self.parse_unit()
                if nxt is not None:
                    items.append(Not(nxt))
            elif kind == "(":
                inner = self.parse_or()
                if self.peek() == ")":
                    self.take()
                if inner is not None:
                    items.append(inner)
            elif kind == "phrase":
                syl = tokens(text)
                if len(syl) == 1:
                    items.append(Word(syl[0]))
                elif syl:
                    items.append(Phrase(tuple(syl)))
            else:
                items += _atoms(text)
        if not items:
            return None
        return items[0] if len(items) == 1 else Words(tuple(items))

    def parse_unit(self) -> Node | None:
        if self.peek() is None:
            return None
        kind, text = self.take()
        if kind == "(":
            inner = self.parse_or()
            if self.peek() == ")":
                self.take()
            return inner
        if kind == "phrase":
            syl = tokens(text)
            return Phrase(tuple(syl)) if len(syl) > 1 else (Word(syl[0]) if syl else None)
        if kind == "word":
            atoms = _atoms(text)
            return atoms[0] if len(atoms) == 1 else (Phrase(tuple(a.text for a in atoms)) if atoms else None)
        return None


def parse(q: str) -> Node | None:
    """Parse free text into a tree of Word / Skh / Phrase / Words / And / Or / Not (None: empty)."""
    return _Parser(_lex(nfc(q or ""))).parse_or()
