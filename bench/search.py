"""Search benchmark: ``python bench/search.py [--count 100000] [--path DIR] [--reuse]``.

Indexes N synthetic administrative documents (2–5 KB) into the embedded backend (batches of 5,000,
one commit each) and prints indexing docs/s, the time the merges still take after the last
commit, index size, and p50/p95/p99 latency of top-20 queries: term, multi-term, phrase,
filtered+faceted+highlighted, and *officials' mix* (2–4 words, optional filters, highlights and
facets, cycling through ``MIX``) — through the service layer (``EmbeddedSearchBackend.search``:
parsing, compilation, paging, snippets, facets) and on the Tantivy searcher alone with the
already-translated query (the same engine work done serially: one ``search`` with the count, plus
one ``aggregate`` when the query asks for facets or a histogram), with their ratio.
``--reuse`` queries an index left in ``--path`` by an earlier run instead of indexing again.
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


FACETS = ("type", "agency", "year")
MIX = [
    SearchQuery(q="lưu trữ", facets=FACETS),
    SearchQuery(q="cải cách hành chính", types=("Quyết định", "Kế hoạch"), year_from=2018, facets=FACETS,
                histogram="year"),
    SearchQuery(q="tuyển dụng viên chức", agencies=("Sở Nội vụ tỉnh Nghệ An",), facets=FACETS),
    SearchQuery(q="phòng cháy chữa cháy", facets=FACETS),
    SearchQuery(q="ngân sách nhà nước", year_from=2020, year_to=2022, facets=FACETS, histogram="month"),
    SearchQuery(q="UBND Hà Nội", facets=FACETS),
    SearchQuery(q="chinh ly tai lieu", facets=FACETS),
    SearchQuery(q="thiên tai", signature_statuses=("valid",), facets=FACETS),
    SearchQuery(q="đất đai giấy chứng nhận", facets=FACETS, sort="date_desc"),
    SearchQuery(q="Tết Nguyên đán", types=("Công văn",), facets=FACETS),
]
"""Officials' mix: 2–4 words, with and without diacritics, some filters, highlights, facets."""


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--path", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--reuse", action="store_true", help="query the index already in --path")
    args = ap.parse_args()
    path = args.path or Path(tempfile.mkdtemp(prefix="luutru-bench-"))
    backend = EmbeddedSearchBackend(path / "index", writer_heap=512_000_000)
    if not args.reuse:
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
        print(f"indexed {n} documents in {elapsed:.1f} s: {n / elapsed:.0f} docs/s")
        started = time.perf_counter()
        backend.close()  # waits for the merges still running
        print(f"merges after the last commit: {time.perf_counter() - started:.1f} s")
        backend = EmbeddedSearchBackend(path / "index")
    size = sum(f.stat().st_size for f in (path / "index").rglob("*") if f.is_file())
    searcher = backend.index_.searcher()
    print(f"index: {searcher.num_docs} documents, {searcher.num_segments} segments, {size / 1024**2:.1f} MiB")
    principal = Principal(access_levels=frozenset({"public", "internal"}))
    print(f"{'query':<30} {'service p50/p95/p99 ms':>26} {'engine p50/p95/p99 ms':>26} {'ratio p50':>9}")
    classes = {name: [q] for name, q in QUERIES.items()}
    classes["officials' mix"] = MIX
    for name, queries in classes.items():
        svc, eng = [], []
        prepared = []
        for q in queries:
            compiled = backend.compiler.compile(q, principal)
            aggs = backend._aggregations(q)
            prepared.append((q, backend._query(compiled), aggs))
        for i in range(args.repeat):
            q, tq, aggs = prepared[i % len(prepared)]
            t = time.perf_counter()
            backend.search(q, principal)
            svc.append(time.perf_counter() - t)
            t = time.perf_counter()
            searcher = backend.index_.searcher()
            searcher.search(tq, 20, count=True)
            if aggs:
                searcher.aggregate(tq, aggs)
            eng.append(time.perf_counter() - t)
        print(f"{name:<30} {pct(svc, 50):8.2f}/{pct(svc, 95):6.2f}/{pct(svc, 99):6.2f}"
              f"   {pct(eng, 50):8.2f}/{pct(eng, 95):6.2f}/{pct(eng, 99):6.2f}"
              f"   {statistics.median(svc) / max(statistics.median(eng), 1e-9):7.1f}x")
    backend.close()


if __name__ == "__main__":
    main()
