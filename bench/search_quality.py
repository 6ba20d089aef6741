"""Search quality on judged sets: ``python bench/search_quality.py [--opensearch URL] [--split] [--only CLASS]
[--skip-generated]``.

1. The real-text set (``tests/data/law_search``: 324 queries over the 2,681 articles of six codes of
   law): nDCG@10, Recall@10 and MRR@10 of our ranking on the embedded Tantivy backend and on
   OpenSearch (``--opensearch``, default ``$OPENSEARCH_URL``; skipped when none answers), and of
   plain BM25 (``rank-bm25``, whitespace tokens, no Vietnamese processing) on the same documents in
   the same run, per query class, with and without diacritics, and the ratio ours / BM25.
   ``--split`` prints the tuning half (odd base queries: ``q001``, ``q003``…, which the test checks and
   on which weights may be chosen) and the held-out half (even ones) apart, so that a gain can be
   told from tuning; ``--only long`` scores one class (the others are not run);
   ``--common-share X`` sets ``compile.LONG_COMMON_SHARE`` for the run (1 keeps every word of a long
   query in its match, as before the commonest were left out).
2. The older generated set (``tests/search/judged_queries.jsonl``): nDCG@10 and success@1.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import search.compile as compile_module  # noqa: E402
from kit.law_quality import PlainBM25, backend_ranker, documents, groups, load_queries, score  # noqa: E402
from kit.search_quality import evaluate, judged_corpus  # noqa: E402
from search.embedded import EmbeddedSearchBackend  # noqa: E402

LAW_QUERIES = ROOT / "tests" / "data" / "law_search" / "queries.jsonl"
BULK = 250
ORDER = ["keyword", "officials", "long", "so_ky_hieu", "abbreviation", "all"]


def _opensearch(url: str):
    from search.opensearch import OpenSearchBackend

    try:
        return OpenSearchBackend(url, index_prefix=f"bench-quality-{uuid.uuid4().hex[:8]}")
    except Exception as exc:  # noqa: BLE001 - connection refused, TLS, authentication
        print(f"OpenSearch at {url}: not used ({exc})")
        return None


HALVES = {"tuning half (odd)": 1, "held-out half (even)": 0}


def half(queries, parity: int):
    """The base queries whose number has this parity (``q001``/``q001u`` → 1), both spellings."""
    return [q for q in queries if int(q.id[1:4]) % 2 == parity]


def law(opensearch_url: str | None, *, split: bool = False, only: list[str] | None = None) -> None:
    queries = load_queries(LAW_QUERIES)
    if only:
        queries = [q for q in queries if q.kind in only]
    docs, keys = documents()
    results = {"plain BM25": score(PlainBM25(docs).search, queries, keys)}
    with EmbeddedSearchBackend(None) as backend:
        backend.index(docs)
        results["ours, Tantivy"] = score(backend_ranker(backend), queries, keys)
    if opensearch_url:
        os_backend = _opensearch(opensearch_url)
        if os_backend is not None:
            try:
                for i in range(0, len(docs), BULK):  # one bulk of 2,681 times out on a loaded node
                    os_backend.index(docs[i:i + BULK])
                os_backend.refresh()
                results["ours, OpenSearch"] = score(backend_ranker(os_backend), queries, keys)
            finally:
                os_backend.drop()
                os_backend.client.indices.delete_index_template(name=os_backend.template()[0], ignore=[404])
                os_backend.close()
    print(f"Real text: {len(docs)} articles of six codes of law, {len(queries)} judged queries "
          f"(tests/data/law_search). nDCG@10 / Recall@10 / MRR@10; ×: nDCG@10 ours / plain BM25")
    parts = {name: half(queries, p) for name, p in HALVES.items()} if split else {"": queries}
    for label, part in parts.items():
        if label:
            print(f"\n{label}:")
        _table(results, groups(part))


def _table(results, g) -> None:
    names = list(results)
    print(f"{'class':<26}{'n':>4}  " + "".join(f"{n:<26}" for n in names) + "".join(
        f"× {n.removeprefix('ours, '):<10}" for n in names[1:]))
    base = results["plain BM25"]
    for kind in ORDER:
        for sub in ("", "/accents", "/no accents"):
            name = f"{kind}{sub}"
            ids = g.get(name, [])
            if not ids:
                continue
            cells = "".join("{:.3f} / {:.3f} / {:.3f}     ".format(*results[n].mean(ids)) for n in names)
            b = base.mean(ids)[0]
            ratios = "".join((f"{results[n].mean(ids)[0] / b:<12.2f}" if b else f"{'—':<12}") for n in names[1:])
            print(f"{name:<26}{len(ids):>4}  {cells}{ratios}")


def generated() -> None:
    docs, keys = judged_corpus()
    with EmbeddedSearchBackend(None) as backend:
        backend.index(docs)
        q = evaluate(backend, ROOT / "tests" / "search" / "judged_queries.jsonl", keys)
    print(f"\nGenerated set (tests/search/judged_queries.jsonl), {len(docs)} documents:")
    print(f"all        nDCG@10 {q.ndcg10:.3f}  success@1 {q.success1:.3f}")
    for kind, (ndcg, s1, n) in sorted(q.by_kind.items()):
        print(f"{kind:<10} nDCG@10 {ndcg:.3f}  success@1 {s1:.3f}  ({n} queries)")
    for query, want, got in q.failures:
        print(f"  miss: {query!r} want {want} got {got}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opensearch", default=os.environ.get("OPENSEARCH_URL"),
                    help="OpenSearch URL (default $OPENSEARCH_URL; none: Tantivy only)")
    ap.add_argument("--skip-generated", action="store_true", help="only the real-text set")
    ap.add_argument("--split", action="store_true",
                    help="print the tuning half (odd base queries) and the held-out half (even) apart")
    ap.add_argument("--only", action="append", choices=ORDER[:-1], help="score only this class (repeatable)")
    ap.add_argument("--common-share", type=float, default=compile_module.LONG_COMMON_SHARE,
                    help="compile.LONG_COMMON_SHARE for this run (1: every word of a long query in its match)")
    args = ap.parse_args()
    compile_module.LONG_COMMON_SHARE = args.common_share
    print(f"long queries: words in {args.common_share:.0%} of the documents or more left out of the match")
    law(args.opensearch, split=args.split, only=args.only)
    if not (args.skip_generated or args.only):
        generated()


if __name__ == "__main__":
    main()
