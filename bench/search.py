"""Search benchmark: ``python bench/search.py [--count 100000] [--path DIR]``.

Indexes N synthetic administrative documents (2–5 KB) into the embedded backend and prints
indexing docs/s, index size, and p50/p95/p99 latency of term, multi-term, phrase and
filtered+faceted+highlighted top-20 queries — through the service layer
(``EmbeddedSearchBackend.search``: parsing, compilation, paging, snippets) and directly on the
Tantivy searcher with the already-translated query, with their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.corpus import synthetic  # noqa: E402
from search.embedded import EmbeddedSearchBackend  # noqa: E402
from search.query import Principal, SearchQuery  # noqa: E402

QUERIES = {
    "term": SearchQuery(q="lưu trữ", highlight=False),
    "multi-term": SearchQuery(q="ứng dụng công nghệ thông tin cơ quan nhà nước", highlight=False),
    "phrase": SearchQuery(q='"số hóa tài liệu lưu trữ"', highlight=False),
    "filtered+faceted+highlighted": SearchQuery(q="cải cách hành chính", types=("Quyết định", "Kế hoạch"),
                                                year_from=2018, facets=("type", "agency", "year"),
                                                histogram="year", highlight=True),
}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--path", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    path = args.path or Path(tempfile.mkdtemp(prefix="luutru-bench-"))
    backend = EmbeddedSearchBackend(path / "index", writer_heap=512_000_000)
    started, batch, n = time.perf_counter(), [], 0
    for doc in synthetic(args.count):
        batch.append(doc)
        if len(batch) == 5000:
            backend.index(batch)
            n += len(batch)
            batch.clear()
    backend.index(batch)
    n += len(batch)
    elapsed = time.perf_counter() - started
    size = sum(f.stat().st_size for f in (path / "index").rglob("*") if f.is_file())
    print(f"indexed {n} documents in {elapsed:.1f} s: {n / elapsed:.0f} docs/s; index {size / 1024**2:.1f} MiB")
    principal = Principal(access_levels=frozenset({"public", "internal"}))
    print(f"{'query':<30} {'service p50/p95/p99 ms':>26} {'engine p50/p95/p99 ms':>26} {'ratio p50':>9}")
    for name, q in QUERIES.items():
        svc, eng = [], []
        compiled = backend.compiler.compile(q, principal)
        tq = backend._query(compiled)
        for _ in range(args.repeat):
            t = time.perf_counter()
            backend.search(q, principal)
            svc.append(time.perf_counter() - t)
            t = time.perf_counter()
            searcher = backend.index_.searcher()
            searcher.search(tq, 20, count=True)
            eng.append(time.perf_counter() - t)
        print(f"{name:<30} {pct(svc, 50):8.2f}/{pct(svc, 95):6.2f}/{pct(svc, 99):6.2f}"
              f"   {pct(eng, 50):8.2f}/{pct(eng, 95):6.2f}/{pct(eng, 99):6.2f}"
              f"   {statistics.median(svc) / max(statistics.median(eng), 1e-9):7.1f}x")
    backend.close()


if __name__ == "__main__":
    main()
