"""Judged-query evaluation: nDCG@10 and success@1 (used by the quality test and
``bench/search_quality.py``). Judged keys are ``blds:651`` (articles from ``kit.search_corpus``) or
record ids of ``kit.search_corpus.synthetic(1500, seed=11)``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from kit.search_corpus import law_articles, synthetic
from search.backend import SearchBackend
from search.query import Principal, SearchQuery

JUDGED_SYNTHETIC = {"n": 1500, "seed": 11}


def judged_corpus() -> tuple[list, dict[str, str]]:
    """(documents, key → record id)."""
    docs, keys = [], {}
    for key, d in law_articles():
        docs.append(d)
        keys[key] = d.record_id
    for d in synthetic(JUDGED_SYNTHETIC["n"], seed=JUDGED_SYNTHETIC["seed"]):
        docs.append(d)
        keys[d.record_id] = d.record_id
    return docs, keys


@dataclass
class Quality:
    ndcg10: float
    success1: float
    by_kind: dict[str, tuple[float, float, int]]
    failures: list[tuple[str, list[str], list[str]]]


def evaluate(backend: SearchBackend, judged_file: Path, keys: dict[str, str]) -> Quality:
    rows = [json.loads(line) for line in judged_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    admin = Principal.admin()
    per_kind: dict[str, list[tuple[float, float]]] = {}
    failures = []
    for row in rows:
        relevant = {keys[k] for k in row["relevant"]}
        got = [h.record_id for h in backend.search(SearchQuery(q=row["query"], size=10, highlight=False), admin).hits]
        dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(got) if r in relevant)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
        ndcg, s1 = dcg / ideal, float(bool(got) and got[0] in relevant)
        per_kind.setdefault(row["kind"], []).append((ndcg, s1))
        if not s1:
            failures.append((row["query"], sorted(relevant), got[:3]))
    every = [x for v in per_kind.values() for x in v]
    return Quality(ndcg10=sum(x[0] for x in every) / len(every), success1=sum(x[1] for x in every) / len(every),
                   by_kind={k: (sum(x[0] for x in v) / len(v), sum(x[1] for x in v) / len(v), len(v))
                            for k, v in per_kind.items()}, failures=failures)
