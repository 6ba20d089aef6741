"""EmbeddedSearchBackend: a Tantivy index in the data folder (the single-machine default).

Tantivy's Python bindings register analyzers built from its own tokenizers and filters only, so
the Vietnamese analysis is split:

* ``title``, ``body``, ``meta`` hold the text as written (stored, for display and snippets) and are
  indexed by the registered ``vi_fold`` analyzer (``\\w+`` syllables, lowercase, ASCII folding — which
  maps đ → d). Python NFC-normalises the text before it is added, and ``search.analysis.fold``
  produces the same tokens at query time (a unit test checks both agree).
* ``*_exact``, ``*_bi`` and ``skh`` are token streams produced by ``search.analysis`` (tone
  placement cannot be expressed with Tantivy's filters) and indexed with a whitespace tokenizer.

Facets and the histogram are Tantivy aggregations over the same query (so they are trimmed like
the hits); snippets come from ``SnippetGenerator`` on the stored body. ``path=None`` keeps the
index in memory (tests).

Only one process may write an index at a time (Tantivy's writer lock); readers are unlimited.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from html import escape
from pathlib import Path

import tantivy
from tantivy import Filter, Index, Occur, Order, Query, SchemaBuilder, SnippetGenerator, TextAnalyzerBuilder, Tokenizer

from search.backend import FacetValue, SearchHit, SearchPage
from search.compile import (
    FACET_FIELDS,
    Bool,
    Clause,
    Compiled,
    Compiler,
    MatchAll,
    MatchNone,
    PhraseQ,
    Range,
    Term,
    Terms,
)
from search.document import IndexDocument, tiebreak
from search.highlight import refine_highlights
from search.query import Principal, SearchQuery

CHECKPOINT = "reindex.checkpoint.json"
SNIPPET_CHARS = 220
_KEYWORDS = ("record_id", "type_key", "agency_key", "signer_key", "dossier_id", "fonds_id", "access_level",
             "signature_status", "retention_status", "type_name", "organ_name", "signer_name", "so_ky_hieu")
_FREQ_ONLY = ("title_bi", "body_bi", "meta_bi", "skh")


def _schema() -> tantivy.Schema:
    sb = SchemaBuilder()
    for name in _KEYWORDS:
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", stored=True, tokenizer_name="vi_fold")
    sb.add_text_field("body", stored=True, tokenizer_name="vi_fold")
    sb.add_text_field("meta", stored=True, tokenizer_name="vi_fold")
    for name in ("title_exact", "body_exact", "meta_exact"):
        sb.add_text_field(name, tokenizer_name="vi_ws")
    for name in _FREQ_ONLY:
        sb.add_text_field(name, tokenizer_name="vi_ws", index_option="freq")
    sb.add_integer_field("date_key", stored=True, indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_integer_field("month_key", indexed=True, fast=True)
    sb.add_unsigned_field("tiebreak", fast=True)
    return sb.build()


def fold_analyzer() -> tantivy.TextAnalyzer:
    return (TextAnalyzerBuilder(Tokenizer.regex(r"\w+")).filter(Filter.remove_long(60))
            .filter(Filter.lowercase()).filter(Filter.ascii_fold()).build())


class _EmbeddedRebuild:
    """Rewrites in place; the checkpoint file makes an interrupted rebuild resumable."""

    def __init__(self, backend: EmbeddedSearchBackend):
        self.backend = backend
        self.resume_after = backend._read_checkpoint()

    def index(self, docs: Sequence[IndexDocument]) -> None:
        self.backend.index(docs)

    def checkpoint(self, last_record_id: str) -> None:
        self.backend._write_checkpoint(last_record_id)
        self.resume_after = last_record_id

    def finish(self) -> None:
        self.backend._write_checkpoint(None)


class EmbeddedSearchBackend:
    """Tantivy index at ``path`` (created if missing); ``path=None``: in memory."""

    name = "embedded"

    def __init__(self, path: Path | str | None = None, *, writer_heap: int = 128_000_000,
                 writer_threads: int = 0, compiler: Compiler | None = None):
        self.path = Path(path) if path is not None else None
        self.schema = _schema()
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            self.index_ = Index(self.schema, path=str(self.path), reuse=True)
        else:
            self.index_ = Index(self.schema)
        self.index_.register_tokenizer("vi_fold", fold_analyzer())
        self.index_.register_tokenizer("vi_ws", TextAnalyzerBuilder(Tokenizer.whitespace()).build())
        self._writer: tantivy.IndexWriter | None = None
        self._writer_heap = writer_heap
        self._writer_threads = writer_threads
        self._lock = threading.Lock()
        self._memory_checkpoint: str | None = None
        self.compiler = compiler or Compiler()

    # context management ---------------------------------------------------------------------
    def __enter__(self) -> EmbeddedSearchBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None

    def health(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"tantivy {tantivy.__version__}, {self.index_.searcher().num_docs} documents ({where})"

    # writing ----------------------------------------------------------------------------------
    def _w(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index_.writer(self._writer_heap, self._writer_threads)
        return self._writer

    def _document(self, d: IndexDocument) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("record_id", d.record_id)
        for name, value in d.keys().items():
            if name != "record_id" and value:
                doc.add_text(name, value)
        for name in ("type_name", "organ_name", "signer_name", "so_ky_hieu"):
            value = getattr(d, name)
            if value:
                doc.add_text(name, value)
        for name, text in d.texts().items():
            if text:
                doc.add_text(name, text)
        for name, stream in d.analysed().items():
            if stream:
                doc.add_text(name, stream)
        if d.issued_date:
            doc.add_integer("date_key", d.issued_date.toordinal())
            doc.add_integer("year", d.issued_date.year)
            doc.add_integer("month_key", d.issued_date.year * 100 + d.issued_date.month)
        else:
            doc.add_integer("date_key", 0)
        doc.add_unsigned("tiebreak", tiebreak(d.record_id))
        return doc

    def index(self, docs: Sequence[IndexDocument]) -> None:
        if not docs:
            return
        with self._lock:
            w = self._w()
            for d in docs:
                w.delete_documents_by_term("record_id", d.record_id)
                w.add_document(self._document(d))
            w.commit()
        self.index_.reload()

    def delete(self, record_ids: Sequence[str]) -> None:
        if not record_ids:
            return
        with self._lock:
            w = self._w()
            for rid in record_ids:
                w.delete_documents_by_term("record_id", rid)
            w.commit()
        self.index_.reload()

    def refresh(self) -> None:
        self.index_.reload()

    # rebuild ----------------------------------------------------------------------------------
    def begin_rebuild(self) -> _EmbeddedRebuild:
        return _EmbeddedRebuild(self)

    def _read_checkpoint(self) -> str | None:
        if self.path is None:
            return self._memory_checkpoint
        f = self.path / CHECKPOINT
        return json.loads(f.read_text())["last_record_id"] if f.exists() else None

    def _write_checkpoint(self, last: str | None) -> None:
        if self.path is None:
            self._memory_checkpoint = last
            return
        f = self.path / CHECKPOINT
        if last is None:
            f.unlink(missing_ok=True)
            return
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps({"last_record_id": last}))
        os.replace(tmp, f)

    def iter_ids(self, page: int = 10_000) -> Iterator[str]:
        searcher = self.index_.searcher()
        offset = 0
        while True:
            res = searcher.search(Query.all_query(), page, count=False, order_by_field="record_id",
                                  offset=offset, order=Order.Asc)
            for key, _ in res.hits:
                yield key
            if len(res.hits) < page:
                return
            offset += page

    # translation ------------------------------------------------------------------------------
    def translate(self, c: Clause) -> Query:
        s = self.schema
        if isinstance(c, Term):
            opt = "freq" if c.field in _FREQ_ONLY else "position"
            q = Query.term_query(s, c.field, c.value, index_option=opt)
        elif isinstance(c, PhraseQ):
            q = Query.phrase_query(s, c.field, list(c.values))
        elif isinstance(c, Terms):
            return Query.term_set_query(s, c.field, list(c.values)) if c.values else Query.empty_query()
        elif isinstance(c, Range):
            return Query.range_query(s, c.field, tantivy.FieldType.Integer,
                                     c.lo if c.lo is not None else -(2**62), c.hi if c.hi is not None else 2**62)
        elif isinstance(c, MatchAll):
            return Query.all_query()
        elif isinstance(c, MatchNone):
            return Query.empty_query()
        elif isinstance(c, Bool):
            clauses = [(Occur.Must, self.translate(x)) for x in c.must]
            clauses += [(Occur.Should, self.translate(x)) for x in c.should]
            clauses += [(Occur.MustNot, self.translate(x)) for x in c.must_not]
            clauses += [(Occur.Must, Query.const_score_query(self.translate(x), 0.0)) for x in c.filter]
            if c.must_not and not (c.must or c.should or c.filter):
                clauses.append((Occur.Must, Query.all_query()))
            q = Query.boolean_query(clauses, minimum_number_should_match=c.msm if c.msm > 1 else None)
            if c.boost != 1.0:
                q = Query.boost_query(q, c.boost)
            return q
        else:
            raise TypeError(f"cannot translate {c!r}")
        return Query.boost_query(q, c.boost) if c.boost != 1.0 else q

    def _query(self, compiled: Compiled, extra: Sequence[Clause] = ()) -> Query:
        return self.translate(Bool(must=(compiled.query,), filter=tuple(compiled.filters) + tuple(extra)))

    # searching --------------------------------------------------------------------------------
    def search(self, query: SearchQuery, principal: Principal) -> SearchPage:
        compiled = self.compiler.compile(query, principal)
        searcher = self.index_.searcher()
        base = self._query(compiled)
        sort = query.sort if compiled.scored or query.sort != "relevance" else "date_desc"
        total = searcher.search(base, 1, count=True).count
        extra: list[Clause] = []
        after = query.search_after
        if after is not None and sort != "relevance":
            # cheap pre-filter; ties on the cursor's date are resolved by the tiebreak in _collect
            key = int(after[0])
            extra.append(Range("date_key", None, key) if sort == "date_desc" else Range("date_key", key, None))
        q = self._query(compiled, extra) if extra else base
        page, next_after = self._collect(searcher, q, sort, after, query.size)
        hits = self._hits(searcher, page, compiled, query)
        facets = self._facets(searcher, base, query.facets) if query.facets else {}
        histogram = self._histogram(searcher, base, query.histogram) if query.histogram else []
        return SearchPage(total=total, hits=hits, facets=facets, histogram=histogram, next_after=next_after)

    def _collect(self, searcher, q: Query, sort: str, after, size: int):
        """Top ``size`` hits strictly after ``after`` in (primary, tiebreak) order, plus the cursor."""
        field = None if sort == "relevance" else "date_key"
        order = Order.Asc if sort == "date_asc" else Order.Desc
        sign = 1 if sort == "date_asc" else -1

        def key(primary, tb):
            return (sign * primary, tb)

        cursor = key(float(after[0]) if sort == "relevance" else int(after[0]), int(after[1])) if after else None
        limit = max(size * 2, 32)
        while True:
            res = (searcher.search(q, limit, count=False, order_by_field=field, order=order) if field
                   else searcher.search(q, limit, count=False))
            addrs = [a for _, a in res.hits]
            tbs = searcher.fast_field_values("tiebreak", addrs) if addrs else []
            items = sorted(((key(p, tb), p, tb, a) for (p, a), tb in zip(res.hits, tbs, strict=True)),
                           key=lambda it: it[0])
            if cursor is not None:
                items = [it for it in items if it[0] > cursor]
            exhausted = len(res.hits) < limit
            if not exhausted:
                worst = sign * res.hits[-1][0] if field else -min(p for p, _ in res.hits)
                # only hits strictly better than the worst fetched one are known to be complete
                items = [it for it in items if it[0][0] < worst]
                if len(items) <= size:
                    limit *= 4
                    continue
            page = items[:size]
            more = len(items) > size or not exhausted
            nxt = (page[-1][1], page[-1][2]) if page and more else None
            return page, nxt

    def _hits(self, searcher, page, compiled: Compiled, query: SearchQuery) -> list[SearchHit]:
        gens = {}
        if query.highlight and compiled.highlight:
            for name in ("body", "title"):
                hq = Query.boolean_query([(Occur.Should, Query.term_query(self.schema, name, t))
                                          for t in sorted(compiled.highlight)])
                gen = SnippetGenerator.create(searcher, hq, self.schema, name)
                gen.set_max_num_chars(SNIPPET_CHARS)
                gens[name] = gen
        hits = []
        for _, primary, _, addr in page:
            doc = searcher.doc(addr)
            d = doc.to_dict()

            def first(name, d=d):
                v = d.get(name)
                return v[0] if v else None

            snippet = None
            if gens:
                for name in ("body", "title"):
                    sn = gens[name].snippet_from_doc(doc)
                    if sn.highlighted():
                        snippet = refine_highlights(sn.to_html(), compiled)
                        break
            if snippet is None and query.highlight:
                body = first("body") or ""
                snippet = escape(body[:SNIPPET_CHARS]) or None
            dk = first("date_key")
            hits.append(SearchHit(
                record_id=first("record_id"), score=float(primary) if compiled.scored and query.sort == "relevance"
                else 0.0, so_ky_hieu=first("so_ky_hieu"), title=first("title"),
                date=date.fromordinal(dk) if dk else None, snippet=snippet, type_name=first("type_name"),
                organ_name=first("organ_name"), signer_name=first("signer_name"),
                access_level=first("access_level"), dossier_id=first("dossier_id"), fonds_id=first("fonds_id")))
        return hits

    def _facets(self, searcher, q: Query, names: Sequence[str]) -> dict[str, list[FacetValue]]:
        aggs = {name: {"terms": {"field": FACET_FIELDS[name], "size": 100 if name == "year" else 50}}
                for name in names}
        result = searcher.aggregate(q, aggs)
        out = {}
        for name in names:
            buckets = result.get(name, {}).get("buckets", [])
            values = [FacetValue(str(b["key"]) if name != "year" else str(int(b["key"])), int(b["doc_count"]))
                      for b in buckets if b["doc_count"] > 0]
            out[name] = sorted(values, key=lambda v: (-v.count, v.value))
        return out

    def _histogram(self, searcher, q: Query, interval: str) -> list[FacetValue]:
        field = "year" if interval == "year" else "month_key"
        result = searcher.aggregate(q, {"h": {"terms": {"field": field, "size": 10_000}}})
        out = []
        for b in result.get("h", {}).get("buckets", []):
            k = int(b["key"])
            label = str(k) if interval == "year" else f"{k // 100:04d}-{k % 100:02d}"
            out.append(FacetValue(label, int(b["doc_count"])))
        return sorted(out, key=lambda v: v.value)

    def more_like_this(self, record_id: str, principal: Principal, *, size: int = 10) -> SearchPage:
        compiled = self.compiler.compile(SearchQuery(), principal)
        searcher = self.index_.searcher()
        src = searcher.search(self._query(compiled, [Terms("record_id", (record_id,))]), 1, count=False)
        if not src.hits:
            return SearchPage(total=0, hits=[])
        d = searcher.doc(src.hits[0][1]).to_dict()
        fields = {name: d[name] for name in ("title", "body", "meta") if d.get(name)}
        if not fields:
            return SearchPage(total=0, hits=[])
        mlt = Query.more_like_this_document_fields_query(
            self.schema, fields, min_doc_frequency=1, min_term_frequency=1, max_query_terms=30,
            min_word_length=2)
        clauses = [(Occur.Must, mlt), (Occur.MustNot, Query.term_query(self.schema, "record_id", record_id))]
        clauses += [(Occur.Must, Query.const_score_query(self.translate(f), 0.0)) for f in compiled.filters]
        q = Query.boolean_query(clauses)
        total = searcher.search(q, 1, count=True).count
        page, _ = self._collect(searcher, q, "relevance", None, size)
        return SearchPage(total=total, hits=self._hits(searcher, page, Compiled(MatchAll(), []),
                                                        SearchQuery(highlight=False)))
