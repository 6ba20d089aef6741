"""Search benchmark: ``python bench/search.py [--count 100000] [--path DIR] [--reuse] [--only CLASS]``.

Indexes N synthetic administrative documents (2–5 KB) into the embedded backend (batches of 5,000,
one commit each) and prints indexing docs/s, the time the merges still take after the last commit,
index size, and p50/p95/p99 latency of top-20 queries: term, multi-term, phrase,
filtered+faceted+highlighted, *officials' mix* (2–4 words, optional filters, highlights and facets,
cycling through ``MIX``), *long question* (``LONG``: 20–40-word questions and statements, as pasted,
with facets; and the same compiled as before issue 17 — three in four words must match, no pairs in
the match — without the exact words on ``all_exact``, with every word in the match, the commonest
too (``compile.LONG_COMMON_SHARE``), as the baselines of the same run; and a variant without the
exact forms of the common words, ``compile.LONG_COMMON_EXACT``) and
*pasted paragraph* (1,000 characters of the text of ten documents of the index itself, with
highlights and facets: what an official pastes to find a document again; ``pasted``) — through the
service layer (``EmbeddedSearchBackend.search``: parsing, compilation, paging, snippets, facets) and
on the Tantivy searcher alone with the already-translated queries (the same engine work done
serially: one ``search`` of the match with the count — for relevance, of the best ``rescore_window``
matches, then one ``search`` re-ranking them with the bonuses — plus one ``aggregate`` when the
query asks for facets or a histogram), with their ratio; and the engine doing all of an official's
page — also loading the 20 stored documents and, when highlights are asked for, Tantivy's snippets
(``SnippetGenerator`` on body, then title) — with that ratio too (``svc/eng`` and ``svc/page``). The
load average is printed first: wall-clock figures depend on it, so the median CPU time of the
process (all its threads) per search is printed too, for the service (p50/p95) and for the engine's
page (p50), with their ratio (``cpu svc/page``): other processes disturb CPU time far less than
wall-clock time.
``--reuse`` queries an index left in ``--path`` by an earlier run instead of indexing again;
``--common-share X`` sets ``compile.LONG_COMMON_SHARE`` for the run.

``--backend opensearch`` (with ``OPENSEARCH_URL``, e.g. the node ``tests/servers/start`` runs) also
indexes the same N documents into OpenSearch (an index of its own prefix, dropped at the end) and
prints a second table, side by side: indexing docs/s, then p50/p95 of the same query classes
through the service layer of each backend, and their ratio (OpenSearch ÷ Tantivy) — the same
corpus in the same run. OpenSearch answers over HTTP from another process (a JVM with its own
caches), so the comparison is of what an API process waits for, not of engine CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tantivy import Order, Query  # noqa: E402

import search.compile as compile_module  # noqa: E402
from kit.search_corpus import synthetic  # noqa: E402
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
LONG = [
    SearchQuery(q="Cho biết kế hoạch số hóa tài liệu lưu trữ của Sở Nội vụ tỉnh Nghệ An năm 2021 đã được "
                  "phê duyệt chưa và kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước nào?", facets=FACETS),
    SearchQuery(q="Ủy ban nhân dân các quận, huyện có trách nhiệm gì trong việc chỉnh lý tài liệu tồn đọng và nộp "
                  "lưu hồ sơ đúng hạn theo quy định của pháp luật về lưu trữ?", facets=FACETS),
    SearchQuery(q="Văn bản nào hướng dẫn việc bảo đảm an toàn giao thông dịp Tết Nguyên đán và giao cơ quan nào "
                  "chủ trì, phối hợp kiểm tra, đôn đốc thực hiện?", facets=FACETS),
    SearchQuery(q="thu tuc tuyen dung vien chuc nam 2023 cua so noi vu gom nhung buoc nao va ho so can nop "
                  "truoc ngay bao nhieu thang 12", facets=FACETS),
    SearchQuery(q="Nhận định sau đúng hay sai: thủ trưởng các cơ quan, đơn vị chịu trách nhiệm trước Chủ tịch Ủy "
                  "ban nhân dân về kết quả thực hiện công tác phòng cháy, chữa cháy tại khu dân cư.", facets=FACETS),
    SearchQuery(q="Cơ quan nhà nước ứng dụng công nghệ thông tin, xây dựng chính quyền điện tử, chính quyền số "
                  "như thế nào và báo cáo kết quả gửi về đâu?", facets=FACETS),
]
"""Long questions and statements (20–40 words, as pasted), with facets and highlights."""


def pasted(backend: EmbeddedSearchBackend, count: int = 10, chars: int = 1000) -> dict[SearchQuery, str]:
    """1,000 characters (cut at a word) from the middle of the text of ``count`` documents of the
    index that have 1,200 or more, each with the id of its document: pasted paragraphs that should
    find their document again, on any corpus."""
    searcher = backend.index_.searcher()
    out = {}
    for _, addr in searcher.search(Query.all_query(), 200 * count).hits:
        doc = searcher.doc(addr)
        body = backend.stored_body(doc) or ""
        if len(body) >= chars + chars // 5:
            start = body.index(" ", min(len(body) // 3, len(body) - chars - 1)) + 1
            text = body[start:start + chars]
            out[SearchQuery(q=text[:text.rindex(" ")], facets=FACETS, highlight=True)] = doc.get_first("record_id")
        if len(out) == count:
            break
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def index_corpus(backend, count: int, *, batch: int) -> int:
    """The first ``count`` synthetic documents into ``backend``, ``batch`` per call; how many."""
    docs, n = [], 0
    for doc in synthetic(count):
        docs.append(doc)
        if len(docs) == batch:
            backend.index(docs)
            n += len(docs)
            docs.clear()
    backend.index(docs)
    return n + len(docs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--path", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--reuse", action="store_true", help="query the index already in --path")
    ap.add_argument("--backend", choices=("embedded", "opensearch"), default="embedded",
                    help="opensearch: also index the corpus into OPENSEARCH_URL and compare side by side")
    ap.add_argument("--only", action="append", default=None, metavar="CLASS",
                    help="run only this query class (repeatable): term, multi-term, phrase, "
                         "filtered+faceted+highlighted, mix, long, pasted")
    ap.add_argument("--common-share", type=float, default=compile_module.LONG_COMMON_SHARE,
                    help="compile.LONG_COMMON_SHARE for this run (the \"common words (before)\" rows use 1)")
    args = ap.parse_args()
    compile_module.LONG_COMMON_SHARE = args.common_share
    path = args.path or Path(tempfile.mkdtemp(prefix="luutru-bench-"))
    backend = EmbeddedSearchBackend(path / "index", writer_heap=512_000_000)
    if not args.reuse:
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}; {} CPUs".format(*os.getloadavg(), os.cpu_count()))
        started, cpu = time.perf_counter(), time.process_time()
        n = index_corpus(backend, args.count, batch=5000)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"indexed {n} documents in {elapsed:.1f} s: {n / elapsed:.0f} docs/s;"
              f" CPU {cpu:.1f} s (all threads): {n / cpu:.0f} docs per CPU-second")
        started = time.perf_counter()
        backend.close()  # waits for the merges still running
        print(f"merges after the last commit: {time.perf_counter() - started:.1f} s")
        backend = EmbeddedSearchBackend(path / "index")
    size = sum(f.stat().st_size for f in (path / "index").rglob("*") if f.is_file())
    searcher = backend.index_.searcher()
    print(f"index: {searcher.num_docs} documents, {searcher.num_segments} segments, {size / 1024**2:.1f} MiB")
    principal = Principal(access_levels=frozenset({"public", "internal"}))
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}; {} CPUs".format(*os.getloadavg(), os.cpu_count()))
    print(f"{'query':<30} {'service p50/p95/p99 ms':>24} {'engine p50/p95/p99 ms':>24}"
          f" {'engine+page p50/p95/p99':>24} {'svc/eng':>7} {'svc/page':>8}"
          f" {'svc cpu p50/p95':>16} {'page cpu':>8} {'cpu svc/page':>12}")
    LONG_FROM, LONG_EXACT_BOOST = compile_module.LONG_FROM, compile_module.LONG_EXACT_BOOST
    LONG_COMMON_SHARE, LONG_COMMON_EXACT = compile_module.LONG_COMMON_SHARE, compile_module.LONG_COMMON_EXACT
    classes = {name: [q] for name, q in QUERIES.items()}
    classes["officials' mix"] = MIX
    classes["long question"] = LONG
    classes["long, 3/4 model (before)"] = LONG
    classes["long, no all_exact (before)"] = LONG
    classes["long, common words (before)"] = LONG
    classes["long, no common exact (variant)"] = LONG
    sources = pasted(backend)
    classes["pasted paragraph"] = list(sources)
    classes["pasted, 3/4 model (before)"] = list(sources)
    classes["pasted, no all_exact (before)"] = list(sources)
    classes["pasted, common words (before)"] = list(sources)
    if args.only:
        classes = {name: qs for name, qs in classes.items() if name in args.only or (name == "officials' mix"
                                                                                      and "mix" in args.only)
                   or (name.startswith("pasted") and "pasted" in args.only)
                   or (name.startswith("long") and "long" in args.only)}
    classes = {name: qs for name, qs in classes.items() if qs}
    for name, queries in classes.items():
        # the baseline in the same run: long input compiled as before issue 17 (3/4 of its words)
        compile_module.LONG_FROM = 10**9 if name.endswith("3/4 model (before)") else LONG_FROM
        # and without the exact words of a question typed with diacritics (all_exact)
        compile_module.LONG_EXACT_BOOST = 0.0 if name.endswith("no all_exact (before)") else LONG_EXACT_BOOST
        # and with the commonest words in the match (every word of it)
        compile_module.LONG_COMMON_SHARE = 1.0 if name.endswith("common words (before)") else LONG_COMMON_SHARE
        # a variant: without the exact forms of the words left out as common
        compile_module.LONG_COMMON_EXACT = False if name.endswith("no common exact (variant)") else LONG_COMMON_EXACT
        svc, eng, full, svc_cpu, full_cpu = [], [], [], [], []
        prepared = []
        for q in queries:
            compiled = backend.compiler.compile(q, principal, backend.doc_freqs)
            aggs = backend._aggregations(q)
            rescore = bool(compiled.scored and q.sort == "relevance" and compiled.bonus)
            prepared.append((q, compiled, backend._query(compiled), aggs, rescore))
        for i in range(args.repeat):
            q, compiled, tq, aggs, rescore = prepared[i % len(prepared)]
            c, t = time.process_time(), time.perf_counter()
            backend.search(q, principal)
            svc.append(time.perf_counter() - t)
            svc_cpu.append(time.process_time() - c)
            c, t = time.process_time(), time.perf_counter()
            searcher = backend.index_.searcher()
            if rescore:  # the best matches by the match alone, then the bonuses on them
                res = searcher.search(tq, backend.rescore_window, count=True)
                tbs = searcher.fast_field_values("tiebreak", [a for _, a in res.hits])
                if tbs:
                    searcher.search(backend._rescore_query(compiled, tbs), len(tbs))
            elif q.sort == "relevance":
                res = searcher.search(tq, 20, count=True)
            else:
                res = searcher.search(tq, 20, count=True, order_by_field="date_key",
                                      order=Order.Asc if q.sort == "date_asc" else Order.Desc)
            if aggs:
                searcher.aggregate(tq, aggs)
            eng.append(time.perf_counter() - t)
            docs = [searcher.doc(addr) for _, addr in res.hits[:20]]  # a page (the window has 100)
            gen = backend._snippet_generator(searcher, compiled) if q.highlight else None
            if gen is not None:
                for doc in docs:
                    sn = backend.snippet(gen, backend.stored_body(doc))
                    if not sn.highlighted():
                        sn = backend.snippet(gen, doc.get_first("title"))
                    sn.to_html()
            full.append(time.perf_counter() - t)
            full_cpu.append(time.process_time() - c)
        m = statistics.median
        print(f"{name:<30} {pct(svc, 50):8.2f}/{pct(svc, 95):6.2f}/{pct(svc, 99):6.2f}"
              f" {pct(eng, 50):8.2f}/{pct(eng, 95):6.2f}/{pct(eng, 99):6.2f}"
              f" {pct(full, 50):8.2f}/{pct(full, 95):6.2f}/{pct(full, 99):6.2f}"
              f" {m(svc) / max(m(eng), 1e-9):6.1f}x {m(svc) / max(m(full), 1e-9):7.1f}x"
              f" {pct(svc_cpu, 50):8.2f}/{pct(svc_cpu, 95):7.2f} {pct(full_cpu, 50):8.2f}"
              f" {m(svc_cpu) / max(m(full_cpu), 1e-9):11.1f}x")
    compile_module.LONG_FROM, compile_module.LONG_EXACT_BOOST = LONG_FROM, LONG_EXACT_BOOST
    compile_module.LONG_COMMON_SHARE, compile_module.LONG_COMMON_EXACT = LONG_COMMON_SHARE, LONG_COMMON_EXACT
    if "pasted paragraph" in classes:
        admin = Principal.admin()
        pages = [backend.search(q, admin) for q in sources]
        first = sum(bool(p.hits) and p.hits[0].record_id == rid for p, rid in zip(pages, sources.values(), strict=True))
        print(f"pasted paragraph: {len(sources)} paragraphs of {statistics.median(len(q.q) for q in sources):.0f} "
              f"characters (median); their own document first for {first}; matches median "
              f"{statistics.median(p.total for p in pages):.0f} of {searcher.num_docs}")
    if args.backend == "opensearch":
        own = {name: qs for name, qs in classes.items() if not name.endswith(("(before)", "(variant)"))}
        side_by_side(backend, args.count, own, principal, args.repeat)
    backend.close()


def side_by_side(embedded: EmbeddedSearchBackend, count: int, classes: dict[str, list[SearchQuery]],
                 principal: Principal, repeat: int) -> None:
    """The same corpus indexed into OpenSearch; the same query classes through both backends."""
    from search.opensearch import OpenSearchBackend

    url = os.environ.get("OPENSEARCH_URL")
    if not url:
        sys.exit("--backend opensearch needs OPENSEARCH_URL (tests/servers/start prints it)")
    os_backend = OpenSearchBackend(url, index_prefix=f"luutru-bench-{os.getpid()}", replicas=0, timeout=120)
    try:
        started = time.perf_counter()
        n = index_corpus(os_backend, count, batch=2000)
        os_backend.refresh()
        elapsed = time.perf_counter() - started
        print(f"\nOpenSearch at {url}: indexed {n} documents in {elapsed:.1f} s: {n / elapsed:.0f} docs/s "
              "(bulk of 2,000, one refresh at the end)")
        for q in (SearchQuery(q="lưu trữ", size=1), SearchQuery(size=1)):  # the same documents answer
            a, b = embedded.search(q, Principal.admin()).total, os_backend.search(q, Principal.admin()).total
            print(f"  matches of {q.q or '(all)'!r}: Tantivy {a}, OpenSearch {b}")
        for qs in classes.values():  # warm both caches once
            for q in qs:
                os_backend.search(q, principal)
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"{'query':<30} {'Tantivy p50/p95 ms':>20} {'OpenSearch p50/p95 ms':>22} {'OS/Tantivy p50':>15}")
        for name, queries in classes.items():
            times: dict[str, list[float]] = {"embedded": [], "opensearch": []}
            for i in range(repeat):  # interleaved, so both see the same load
                q = queries[i % len(queries)]
                for key, b in (("embedded", embedded), ("opensearch", os_backend)):
                    t = time.perf_counter()
                    b.search(q, principal)
                    times[key].append(time.perf_counter() - t)
            e, o = times["embedded"], times["opensearch"]
            print(f"{name:<30} {pct(e, 50):11.2f}/{pct(e, 95):7.2f} {pct(o, 50):13.2f}/{pct(o, 95):7.2f}"
                  f" {pct(o, 50) / max(pct(e, 50), 1e-9):14.1f}x")
    finally:
        os_backend.drop()
        os_backend.close()


if __name__ == "__main__":
    main()
