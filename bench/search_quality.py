"""Print search quality on the judged set: ``python bench/search_quality.py``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.embedded import EmbeddedSearchBackend  # noqa: E402
from search.quality import evaluate, judged_corpus  # noqa: E402


def main() -> None:
    docs, keys = judged_corpus()
    with EmbeddedSearchBackend(None) as backend:
        backend.index(docs)
        q = evaluate(backend, ROOT / "tests" / "search" / "judged_queries.jsonl", keys)
    print(f"documents: {len(docs)}")
    print(f"all        nDCG@10 {q.ndcg10:.3f}  success@1 {q.success1:.3f}")
    for kind, (ndcg, s1, n) in sorted(q.by_kind.items()):
        print(f"{kind:<10} nDCG@10 {ndcg:.3f}  success@1 {s1:.3f}  ({n} queries)")
    for query, want, got in q.failures:
        print(f"  miss: {query!r} want {want} got {got}")


if __name__ == "__main__":
    main()
