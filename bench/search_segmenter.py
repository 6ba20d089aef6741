"""Would a Vietnamese word segmenter help the ranking? ``python bench/search_segmenter.py``.

Needs ``pip install pyvi`` (not a dependency of luutru: its CRF model ships inside the wheel, so
nothing is downloaded at run time, but it brings scikit-learn). On the real-text judged set
(``tests/data/law_search``: the six codes of law, 490 queries), in the same run, nDCG@10 per query
class and half (tuning = odd base queries, held-out = even) of:

* our ranking (``EmbeddedSearchBackend``, top 50);
* BM25 (``rank-bm25``) over pyvi's words — the text segmented as written (multi-syllable words
  joined, ``nhà_nước``), each word lowercased and folded (the query too: a word-level field of ours
  would be folded like ``all``);
* our ranking fused with it (reciprocal-rank fusion, k = 60, the words' side weighted ``w``), over
  the union of both top 50s: what a word-level field beside ours could add at best, without
  re-indexing.

Issue 17 asked to consider a segmenter "only if it measurably helps".
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kit.law_quality import Judged, documents, groups, load_queries, metrics, plain_text  # noqa: E402
from search.analysis import fold  # noqa: E402
from search.embedded import EmbeddedSearchBackend  # noqa: E402
from search.query import Principal, SearchQuery  # noqa: E402

LAW_QUERIES = ROOT / "tests" / "data" / "law_search" / "queries.jsonl"
TOP = 50
WEIGHTS = (0.1, 0.25, 0.5, 1.0)
_WORD = re.compile(r"\w", re.UNICODE)


def main() -> None:
    try:
        from pyvi import ViTokenizer
    except ImportError:
        sys.exit("pyvi is not installed: pip install pyvi (this bench only)")
    from rank_bm25 import BM25Okapi

    def words(text: str) -> list[str]:
        return [fold(w.lower()) for w in ViTokenizer.tokenize(text).split() if _WORD.search(w)]

    queries = load_queries(LAW_QUERIES)
    docs, keys = documents()
    started = time.process_time()
    bm25 = BM25Okapi([words(plain_text(d)) for d in docs])
    print(f"pyvi over {len(docs)} articles: {time.process_time() - started:.1f} s CPU")
    ids = [d.record_id for d in docs]
    admin = Principal.admin()
    with EmbeddedSearchBackend(None) as backend:
        backend.index(docs)
        ours = {q.id: [h.record_id for h in backend.search(SearchQuery(q=q.query, size=TOP, highlight=False),
                                                              admin).hits] for q in queries}
    by_words = {}
    for q in queries:
        scores = bm25.get_scores(words(q.query))
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[:TOP]
        by_words[q.id] = [ids[i] for i in best if scores[i] > 0]

    def fused(w: float):
        def rank(q: Judged) -> list[str]:
            mine = {r: i for i, r in enumerate(ours[q.id])}
            theirs = {r: i for i, r in enumerate(by_words[q.id])}
            score = {r: (1 / (60 + mine[r]) if r in mine else 0.0) + w * (1 / (60 + theirs[r]) if r in theirs else 0.0)
                     for r in {*mine, *theirs}}
            return sorted(score, key=lambda r: (-score[r], r))[:10]
        return rank

    rankers = {"ours": lambda q: ours[q.id][:10], "BM25 pyvi words": lambda q: by_words[q.id][:10]}
    rankers.update({f"ours+{w}·words": fused(w) for w in WEIGHTS})
    ndcg = {name: {q.id: metrics([keys.get(r, r) for r in rank(q)], q.relevant)[0] for q in queries}
            for name, rank in rankers.items()}
    odd = {q.id for q in queries if int(q.id[1:4]) % 2 == 1}
    print(f"nDCG@10 on {len(queries)} judged queries (tune = odd base queries, held = even)")
    print(f"{'class':<28}" + "".join(f"{name:>17}" for name in rankers))
    for name, qids in groups(queries).items():
        for half, chosen in (("tune", [i for i in qids if i in odd]), ("held", [i for i in qids if i not in odd])):
            if chosen:
                print(f"{name + ' ' + half:<28}" + "".join(f"{sum(ndcg[r][i] for i in chosen) / len(chosen):>17.3f}"
                                                           for r in rankers))


if __name__ == "__main__":
    main()
