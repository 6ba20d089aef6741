"""Search quality on the judged set of real legal text (``tests/data/law_search``): nDCG@10,
Recall@10 and MRR@10 of a backend's ranking and, on the same documents, of plain BM25 (the
``rank-bm25`` package: whitespace tokens, lowercase, punctuation trimmed from their ends — no
Vietnamese processing, no diacritic folding, no abbreviations). Used by ``bench/search_quality.py``
and ``tests/search/test_law_search_quality.py``."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kit.search_corpus import law_articles
from search.backend import SearchBackend
from search.document import IndexDocument
from search.query import Principal, SearchQuery

K = 10
_EDGE = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Judged:
    id: str
    kind: str
    diacritics: bool
    query: str
    relevant: frozenset[str]


def load_queries(path: Path) -> list[Judged]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Judged(r["id"], r["class"], r["diacritics"], r["query"], frozenset(r["relevant"])) for r in rows]


def documents() -> tuple[list[IndexDocument], dict[str, str]]:
    """(documents, record id → article key) of the six codes of law."""
    docs, keys = [], {}
    for key, d in law_articles():
        docs.append(d)
        keys[d.record_id] = key
    return docs, keys


def plain_tokens(text: str) -> list[str]:
    """Whitespace tokens, lowercase (NFC), punctuation trimmed from their ends; nothing else."""
    out = []
    for tok in unicodedata.normalize("NFC", text).lower().split():
        tok = _EDGE.sub("", tok)
        if tok:
            out.append(tok)
    return out


def plain_text(d: IndexDocument) -> str:
    """What plain BM25 indexes of a document: the same texts as our fields (title, metadata, body)."""
    t = d.texts()
    return " ".join((t["title"], t["meta"], t["body"]))


class PlainBM25:
    """``rank_bm25.BM25Okapi`` (k1 1.5, b 0.75) over ``plain_tokens``."""

    def __init__(self, docs: Sequence[IndexDocument]):
        from rank_bm25 import BM25Okapi

        self.ids = [d.record_id for d in docs]
        self.bm25 = BM25Okapi([plain_tokens(plain_text(d)) for d in docs])

    def search(self, query: str, k: int = K) -> list[str]:
        scores = self.bm25.get_scores(plain_tokens(query))
        best = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
        return [self.ids[i] for i in best if scores[i] > 0]


def backend_ranker(backend: SearchBackend) -> Callable[[str], list[str]]:
    admin = Principal.admin()

    def rank(query: str) -> list[str]:
        return [h.record_id for h in backend.search(SearchQuery(q=query, size=K, highlight=False), admin).hits]

    return rank


def metrics(got: Sequence[str], relevant: frozenset[str]) -> tuple[float, float, float]:
    """(nDCG@10, Recall@10, MRR@10), binary relevance."""
    got = list(got)[:K]
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(got) if r in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    recall = sum(1 for r in got if r in relevant) / len(relevant)
    rr = next((1 / (i + 1) for i, r in enumerate(got) if r in relevant), 0.0)
    return dcg / ideal, recall, rr


@dataclass
class Scores:
    per_query: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def mean(self, ids: Iterable[str]) -> tuple[float, float, float]:
        rows = [self.per_query[i] for i in ids]
        if not rows:
            return (0.0, 0.0, 0.0)
        return tuple(sum(r[j] for r in rows) / len(rows) for j in range(3))  # type: ignore[return-value]


def score(rank: Callable[[str], list[str]], queries: Sequence[Judged], keys: dict[str, str]) -> Scores:
    """Each query ranked by ``rank`` (record ids), judged against its relevant article keys."""
    s = Scores()
    for q in queries:
        got = [keys.get(r, r) for r in rank(q.query)]
        s.per_query[q.id] = metrics(got, q.relevant)
    return s


def groups(queries: Sequence[Judged]) -> dict[str, list[str]]:
    """Query ids by class, by class and accents (``long/no accents``), and ``all``."""
    out: dict[str, list[str]] = {"all": [q.id for q in queries]}
    for q in queries:
        out.setdefault(q.kind, []).append(q.id)
        out.setdefault(f"{q.kind}/{'accents' if q.diacritics else 'no accents'}", []).append(q.id)
    for accents in (True, False):
        out[f"all/{'accents' if accents else 'no accents'}"] = [q.id for q in queries if q.diacritics == accents]
    return out
