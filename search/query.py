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

**Bounds.** A query is refused with ``QueryError`` (HTTP 422, CLI exit code 2), never run, when
it is longer than ``MAX_QUERY_CHARS``, nests parentheses deeper than ``MAX_NESTING``, has more
than ``MAX_WORDS`` words, or when its ``search_after`` is not a cursor a page returned; the
compiler adds the bounds on what the words expand to (``compile.MAX_MATCH_CLAUSES``…). A pasted
paragraph of 1,000 characters (about 230 syllables) is well inside every bound.

``Principal`` is who is asking (``archive.access``, the archive's one access rule, re-exported
here). The rule is applied *inside* every query, so results, totals, facets, snippets,
more-like-this and paging see the same set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Literal, Union

from archive.access import ACCESS_LEVELS, Principal  # noqa: F401  (re-exported: the query model names who asks)
from search.analysis import is_skh_like, nfc, tokens

FACETS = ("type", "agency", "signer", "year", "access_level", "signature_status", "retention_status",
          "fonds", "dossier")
"""Facet names a query may ask for."""
Sort = Literal["relevance", "date_desc", "date_asc"]
MAX_QUERY_CHARS = 1000
"""Characters of free text (after NFC): the HTTP API's limit, for every entry point."""
MAX_NESTING = 8
"""Parentheses inside parentheses. Nobody nests more than three; the parser recurses once per
level, and each level adds up to two levels to the compiled tree (``compile.MAX_DEPTH``)."""
MAX_WORDS = 400
"""Words and syllables of phrases, repeats included. A pasted paragraph of 1,000 characters of
Vietnamese has about 230 (at most 242 in the 2,681 articles of the six codes of law)."""
MAX_TIEBREAK = 2**63
"""``document.tiebreak`` is a 63-bit number."""
MAX_SCORE = 3.4028234663852886e38
"""Scores are 32-bit floats on both engines: a larger cursor score was never returned."""
DAY_MAX = date.max.toordinal()


class QueryError(ValueError):
    """A search that is refused before it runs: ``search_after`` that is not a cursor a page
    returned, or a query beyond a documented bound (length, nesting, words, what the words expand
    to). ``code`` names the case (``invalid_cursor``, ``query_too_long``, ``query_too_complex``,
    ``invalid_query``), ``message_vi`` says it to people. HTTP answers it with 422, the CLI with
    exit code 2."""

    def __init__(self, message: str, message_vi: str, *, code: str = "invalid_query"):
        super().__init__(message)
        self.message_vi = message_vi
        self.code = code


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
        unknown = set(self.facets) - set(FACETS)
        if unknown:
            raise ValueError(f"unknown facets {sorted(unknown)}; known: {', '.join(FACETS)}")
        if not 0 < self.size <= 1000:
            raise ValueError("size must be between 1 and 1000")
        if self.sort not in ("relevance", "date_desc", "date_asc"):
            raise ValueError(f"unknown sort {self.sort!r}")
        for name in ("year_from", "year_to"):
            year = getattr(self, name)
            if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999):
                raise QueryError(f"{name} must be a year between 1 and 9999", f"Năm phải từ 1 đến 9999 ({year!r})",
                                 code="invalid_query")
        if not isinstance(self.q or "", str):
            raise QueryError("q must be text", "Từ khóa phải là văn bản", code="invalid_query")
        object.__setattr__(self, "q", nfc(self.q or ""))
        if len(self.q) > MAX_QUERY_CHARS:
            raise QueryError(f"the query has {len(self.q)} characters; at most {MAX_QUERY_CHARS} are searched",
                             f"Câu tìm dài {len(self.q)} ký tự, quá giới hạn {MAX_QUERY_CHARS} ký tự",
                             code="query_too_long")
        # parsed now, so a query beyond the bounds is refused where it is made; without words a
        # "relevance" page is sorted by date (both backends), and so is its cursor
        sort = self.sort if self.tree is not None else ("date_desc" if self.sort == "relevance" else self.sort)
        object.__setattr__(self, "search_after", _cursor(self.search_after, sort))

    @cached_property
    def tree(self) -> Node | None:
        """``q`` parsed (``parse``); None when it has no words. Cached on the query."""
        return parse(self.q)

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


def _cursor(after, sort: str) -> tuple | None:
    """``search_after`` as the backends read it: ``(score, tiebreak)`` for relevance,
    ``(date_key, tiebreak)`` for a date sort — what ``SearchPage.next_after`` holds. Anything else
    (a string, one value, nulls, text, a score no engine returns, a date past 9999) is a
    ``QueryError``: a cursor is only ever given back, never made up, so a wrong one is refused
    rather than guessed at."""
    if after is None:
        return None

    def bad(why: str) -> QueryError:
        return QueryError(f"search_after is not a cursor returned as next_after ({why})",
                          "Con trỏ trang (search_after) không hợp lệ: hãy dùng đúng giá trị next_after "
                          "của trang trước", code="invalid_cursor")

    if isinstance(after, (str, bytes, dict)) or not hasattr(after, "__len__"):
        raise bad("not a pair")
    after = tuple(after)
    if len(after) != 2:
        raise bad(f"{len(after)} values, not 2")
    primary, tb = after
    for v in after:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise bad(f"{type(v).__name__} is not a number")
        if isinstance(v, float) and not math.isfinite(v):
            raise bad("not a finite number")
    if isinstance(tb, float):
        if not tb.is_integer():
            raise bad("the tiebreak is not an integer")
        tb = int(tb)
    if not 0 <= tb < MAX_TIEBREAK:
        raise bad("the tiebreak is out of range")
    if sort == "relevance":
        if abs(primary) > MAX_SCORE:
            raise bad("the score is out of range")
        return float(primary), tb
    if isinstance(primary, float):
        if not primary.is_integer():
            raise bad("the date key is not an integer")
        primary = int(primary)
    if not 0 <= primary <= DAY_MAX:
        raise bad("the date key is out of range")
    return primary, tb


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
_LEX = re.compile(r'"([^"]*)"?|(-?\()|(\))|([^\s()"]+)')
"""A phrase (to the end when its quote is not closed), a parenthesis (``-(`` negates the group), or a
word: parentheses and quotes always stand alone, so pasted text such as ``Điều 188 (tội buôn lậu);``
closes its group."""


def _lex(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _LEX.finditer(q):
        phrase, lpar, rpar, word = m.groups()
        if phrase is not None:
            out.append(("phrase", phrase))
        elif lpar:
            if lpar == "-(":
                out.append(("NOT", "-"))
            out.append(("(", "("))
        elif rpar:
            out.append((")", rpar))
        elif word in ("AND", "OR", "NOT", "&&", "||"):
            out.append(({"&&": "AND", "||": "OR"}.get(word, word), word))
        else:
            out.append(("word", word))
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
    """Recursive descent over the tokens of ``_lex``, one level per parenthesis: deeper than
    ``MAX_NESTING`` is a ``QueryError`` (490 nested parentheses used to overflow Python's stack)."""

    def __init__(self, toks: list[tuple[str, str]]):
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def group(self) -> Node | None:
        """The inside of a parenthesis just taken, up to its ``)`` (or the end: one may be missing)."""
        if self.depth >= MAX_NESTING:
            raise QueryError(f"parentheses nested deeper than {MAX_NESTING} levels",
                             f"Câu tìm lồng quá {MAX_NESTING} tầng ngoặc đơn", code="query_too_complex")
        self.depth += 1
        inner = self.parse_or()
        self.depth -= 1
        if self.peek() == ")":
            self.take()
        return inner

    def parse_or(self) -> Node | None:
        return self._joined("OR", self.parse_and, Or)

    def parse_and(self) -> Node | None:
        return self._joined("AND", self.parse_seq, And)

    def _joined(self, keyword: str, operand: Callable[[], Node | None], node: type[And | Or]) -> Node | None:
        """``operand (keyword operand)*``: the operands that are not empty, joined by ``node``; one
        alone stands for itself, none is None."""
        parts = [operand()]
        while self.peek() == keyword:
            self.take()
            parts.append(operand())
        nodes = [p for p in parts if p is not None]
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else node(tuple(nodes))

    def parse_seq(self) -> Node | None:
        items: list[Node] = []
        while self.peek() not in (None, "OR", "AND", ")"):
            kind, text = self.take()
            if kind == "NOT":
                nxt = self.parse_unit()
                if nxt is not None:
                    items.append(Not(nxt))
            elif kind == "(":
                inner = self.group()
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
            return self.group()
        if kind == "phrase":
            syl = tokens(text)
            return Phrase(tuple(syl)) if len(syl) > 1 else (Word(syl[0]) if syl else None)
        if kind == "word":
            atoms = _atoms(text)
            # several atoms are always plain Words (a negated or số ký hiệu word gives one)
            words = tuple(a.text for a in atoms if isinstance(a, Word))
            return atoms[0] if len(atoms) == 1 else (Phrase(words) if atoms else None)
        return None


def parse(q: str) -> Node | None:
    """Parse free text into a tree of Word / Skh / Phrase / Words / And / Or / Not (None: empty).

    ``QueryError`` beyond ``MAX_WORDS`` words or ``MAX_NESTING`` levels of parentheses."""
    q = nfc(q or "")
    words = len(tokens(q))
    if words > MAX_WORDS:
        raise QueryError(f"the query has {words} words; at most {MAX_WORDS} are searched",
                         f"Câu tìm có {words} từ, quá giới hạn {MAX_WORDS} từ", code="query_too_complex")
    parser = _Parser(_lex(q))
    parts: list[Node] = []
    while True:
        node = parser.parse_or()
        if isinstance(node, Words):
            parts += node.children
        elif node is not None:
            parts.append(node)
        if parser.peek() is None:
            break
        parser.take()  # a ")" without its "(" ("a) … b) …" in a pasted list): the words go on
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Words(tuple(parts))
