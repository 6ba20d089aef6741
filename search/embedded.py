"""EmbeddedSearchBackend: a Tantivy index in the data folder (the single-machine default).

The Vietnamese analysis (``search.analysis``) is done by Tantivy's own analyzers wherever they can
express it, so indexing does not build token strings in Python:

* ``all`` (the match field, ``compile.MATCH_FIELD``) gets the title, metadata and body as written,
  plus the abbreviations of the spelt-out forms in them (``Abbreviations.found``, one pass per
  document), indexed by ``vi_fold``: alphanumeric runs (``analysis.TOKEN_PATTERN``), lowercase,
  ASCII folding (which maps đ → d). ``title`` and ``meta`` are indexed the same way on their own
  (stored, for display, bonuses and more-like-this); ``body`` is stored only (as UTF-8 bytes), for
  snippets and more-like-this.
* ``title_exact``, ``meta_exact`` get the text with tone marks moved to their canonical place
  (``analysis.normalize_tones``, one regex substitution — tone placement cannot be expressed with
  Tantivy's filters), indexed by ``vi_exact`` (the same syllables, lowercase). ``all_exact`` gets
  title, metadata and body as written, indexed by ``vi_exact`` too: a long query looks for both tone
  placements of its words (``analysis.tone_placements``), so the body needs no pass in Python
  (normalising it cost ~65 µs per KB).
* ``all_bi``, ``title_bi``, ``meta_bi`` get the two strings of ``analysis.bigram_sources``
  (adjacent syllables paired as ``lưuǂtrữ``), indexed by ``vi_bi``: simple tokenizer, lowercase,
  ASCII folding — the folded bigrams ``luuǂtru``.
* ``skh`` is the whitespace-joined số ký hiệu tokens.

``tests/search/test_analysis.py`` checks that these analyzers and ``search.analysis`` (used at
query time, and by OpenSearch's pre-tokenised streams) produce the same tokens. No positions are
indexed: phrases are matched with bigrams (``compile.Compiler.adjacent``).

One search is one pass of the match (``Compiled.match``: its best ``rescore_window`` hits and the
total together), one search of the bonuses on those hits only (``_collect_rescored``), and, when
facets or a histogram are asked for, one aggregation pass over the match run on a second thread
(Tantivy releases the GIL). Facets and the histogram are therefore trimmed like the hits. Snippets
are computed for the returned page only, from the stored text. ``path=None`` keeps the index in
memory (tests).

Every search runs marked in the in-flight log (``search.inflight``, ``<index>/inflight/``): Tantivy is
native code, and a process it crashes is reported — with the search that was running — by the next
process that opens the index (``crashes``, ``health``, ``luutru status``).

The schema version and the abbreviation table's fingerprint are written in ``luutru-index.json``;
an index of another version is discarded when opened (``rebuild_needed`` is then true: run
``luutru reindex``); an index of another table is searched with the abbreviations expanded at
query time until a rebuild.

Only one process may write an index at a time (Tantivy's writer lock); readers are unlimited. So
that ``luutru serve`` and the CLI (a destruction, an edit, an ingest) can both write, no process
keeps the writer: each write *leases* it — open, write, commit, release (``_lease``) — and a process
that finds the lock taken waits for it (up to ``writer_wait`` seconds, default 120) instead of
failing and leaving its work to a later repair pass. Opening a writer costs about what a commit
costs (~15 ms), so this is no slower than a long-lived writer. A rebuild holds its writer until it
finishes; other writers wait for it or, past ``writer_wait``, fail and are retried by the repair
pass. Readers of another process see a commit within about half a second (Tantivy's reader reloads
on a change of ``meta.json``); a search also looks at ``meta.json`` itself (one ``stat``) and reloads
the reader when another process committed since, so what a CLI command reports done (an edit, an
access level raised, a destruction) is what the server's next search sees, not half a second later.

Why one module over 600 lines: it is one class, the backend, and its parts — the schema and its
analyzers, the writer's lease, the translation of the clause tree, the match and rescore passes,
snippets, facets and more-like-this — work on one index, one searcher and one schema version. The
schema (``SCHEMA_VERSION``), the analyzers and ``translate`` must change together, and this
docstring describes them as one; split into modules, the class would be read in five files.
"""

from __future__ import annotations

import bisect
import heapq
import json
import logging
import math
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from html import escape
from pathlib import Path

import tantivy
from tantivy import Filter, Index, Occur, Order, Query, SchemaBuilder, SnippetGenerator, TextAnalyzerBuilder, Tokenizer

from search.analysis import PrecomputedAnalyses, bigram_sources, fold_tokens, normalize_tones, syllables
from search.backend import FacetValue, SearchHit, SearchPage
from search.compile import (
    FACET_FIELDS,
    MATCH_FIELD,
    RESCORE_WINDOW,
    Bool,
    Clause,
    Compiled,
    Compiler,
    MatchAll,
    MatchNone,
    Range,
    Term,
    Terms,
)
from search.document import EXACT_FIELDS, IndexDocument, tiebreak
from search.frequency import FrequencyCache
from search.highlight import refine_highlights
from search.inflight import InflightLog, crash_note, recover
from search.query import ACCESS_LEVELS, Principal, SearchQuery

log = logging.getLogger(__name__)
CHECKPOINT = "reindex.checkpoint.json"
INFLIGHT = "inflight"
"""Folder of the in-flight log (``search.inflight``) inside the index folder."""
VERSION_FILE = "luutru-index.json"
SCHEMA_VERSION = 5
"""1: Python token streams, positions. 2: Tantivy analyzers, no positions, no ``body_exact``.
3: one match field ``all`` (with the abbreviations found) and ``all_bi``; the body stored only;
``tiebreak`` indexed (the re-ranked window is selected by it). 4: ``ocr_status`` (a filter).
5: ``all_exact`` (the texts as written, tones kept: long queries)."""
SNIPPET_CHARS = 220
RESCORE_CHAIN = 32
"""Bonuses chained in one boolean query of the re-ranking (``_rescore_query``): one level of
native recursion each, ~8 KiB of stack per level."""
MLT_TERMS = 30
"""Syllables of a record that look for similar records (more-like-this)."""
MLT_SOURCE_CHARS = 50_000
"""Characters of each text of the record read for them (a long body's first pages suffice)."""
REBUILD_COMMIT_EVERY = 20_000
"""A rebuild commits (and moves its checkpoint) every this many documents, not every batch."""
_KEYWORDS = ("record_id", "type_key", "agency_key", "signer_key", "dossier_id", "fonds_id", "access_level",
             "signature_status", "retention_status", "type_name", "organ_name", "signer_name", "so_ky_hieu",
             "ocr_status")


def _schema() -> tantivy.Schema:
    sb = SchemaBuilder()
    for name in _KEYWORDS:
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("title", "meta"):
        sb.add_text_field(name, stored=True, tokenizer_name="vi_fold", index_option="freq")
    sb.add_text_field(MATCH_FIELD, tokenizer_name="vi_fold", index_option="freq")
    sb.add_bytes_field("body", stored=True)
    for name in (*EXACT_FIELDS, MATCH_FIELD):
        sb.add_text_field(f"{name}_exact", tokenizer_name="vi_exact", index_option="freq")
    for name in ("title", "meta", MATCH_FIELD):
        sb.add_text_field(f"{name}_bi", tokenizer_name="vi_bi", index_option="freq")
    sb.add_text_field("skh", tokenizer_name="vi_ws", index_option="freq")
    sb.add_integer_field("date_key", stored=True, indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_integer_field("month_key", indexed=True, fast=True)
    sb.add_unsigned_field("tiebreak", indexed=True, fast=True)
    return sb.build()


def fold_analyzer() -> tantivy.TextAnalyzer:
    """Folded syllables: ``analysis.fold_tokens``. Tantivy's simple tokenizer splits on what is
    not alphanumeric — the syllables of ``analysis.TOKEN_PATTERN``, without a regex per token."""
    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(60))
            .filter(Filter.lowercase()).filter(Filter.ascii_fold()).build())


def exact_analyzer() -> tantivy.TextAnalyzer:
    """Exact syllables of tone-normalised text: ``analysis.exact_tokens``."""
    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(60))
            .filter(Filter.lowercase()).build())


def bigram_analyzer() -> tantivy.TextAnalyzer:
    """Folded bigrams of the strings of ``analysis.bigram_sources``: ``analysis.bigrams``. (A regex
    tokenizer pairing syllables itself measured several times slower than this.)"""
    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(120))
            .filter(Filter.lowercase()).filter(Filter.ascii_fold()).build())


class _EmbeddedRebuild:
    """Rewrites in place; the checkpoint file makes an interrupted rebuild resumable. Documents are
    committed every ``REBUILD_COMMIT_EVERY`` (a commit per batch would flush a small segment each
    time and keep the merger busy); the checkpoint only ever names committed documents."""

    def __init__(self, backend: EmbeddedSearchBackend):
        self.backend = backend
        self.resume_after = backend._read_checkpoint()
        self.commit_every = backend.rebuild_commit_every
        self._pending = 0

    def index(self, docs: Sequence[IndexDocument]) -> None:
        with self.backend._lock:  # the rebuild keeps the writer (and the index's lock) until finish
            w = self.backend._w()
            try:
                self.backend._add(w, docs)
            except BaseException:  # back to the last checkpoint's commit, and the lock given back
                w.rollback()
                self.backend._release()
                raise
        self._pending += len(docs)

    def _commit(self, *, release: bool = False) -> None:
        with self.backend._lock:
            self.backend._w().commit()
            if release:
                self.backend._release()
        self.backend._reload()

    def checkpoint(self, last_record_id: str) -> None:
        if self._pending >= self.commit_every:
            self._commit()
            self._pending = 0
            self.backend._write_checkpoint(last_record_id)
        self.resume_after = last_record_id

    def finish(self) -> None:
        self._commit(release=True)
        self._pending = 0
        self.backend._write_checkpoint(None)
        self.backend._analysed_with_current_table()


class EmbeddedSearchBackend:
    """Tantivy index at ``path`` (created if missing); ``path=None``: in memory."""

    name = "embedded"

    def __init__(self, path: Path | str | None = None, *, writer_heap: int = 128_000_000,
                 writer_threads: int = 0, compiler: Compiler | None = None,
                 rebuild_commit_every: int = REBUILD_COMMIT_EVERY, writer_wait: float = 120.0):
        self.path = Path(path) if path is not None else None
        self.schema = _schema()
        self.rebuild_needed = False
        self.rebuild_commit_every = rebuild_commit_every
        self.compiler = compiler or Compiler()
        self.rescore_window = RESCORE_WINDOW
        self.precomputed = PrecomputedAnalyses()
        """Body analyses the ingest's extraction workers made (``analysis.PrecomputedAnalyses``)."""
        self.crashes = recover(self.path / INFLIGHT) if self.path is not None else []
        """What processes that died inside the engine were running (``inflight.recover``), found on opening."""
        if self.path is not None:
            self._check_version()
            self.index_ = Index(self.schema, path=str(self.path), reuse=True)
        else:
            self.index_ = Index(self.schema)
        self._inflight = InflightLog(self.path / INFLIGHT if self.path is not None else None)
        self.index_.register_tokenizer("vi_fold", fold_analyzer())
        self.index_.register_tokenizer("vi_exact", exact_analyzer())
        self.index_.register_tokenizer("vi_bi", bigram_analyzer())
        self.index_.register_tokenizer("vi_ws", TextAnalyzerBuilder(Tokenizer.whitespace()).build())
        self._pool: ThreadPoolExecutor | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._writer_heap = writer_heap
        self._writer_threads = writer_threads
        self.writer_wait = writer_wait
        self._lock = threading.Lock()
        self._memory_checkpoint: str | None = None
        self._meta_seen: tuple | None = None
        self._freqs = FrequencyCache()
        self._generation = 0
        """Bumped at each reload of the reader in this process (with ``_meta_seen``: what it sees)."""

    def _check_version(self) -> None:
        """Discard an index written with another schema version (it is rebuilt by ``luutru reindex``).
        An index analysed with another abbreviation table keeps serving, with the abbreviations
        matched at query time, until ``luutru reindex`` analyses it again."""
        assert self.path is not None
        marker = self.path / VERSION_FILE
        found = table = None
        if marker.exists():
            data = json.loads(marker.read_text())
            found, table = data.get("schema"), data.get("abbreviations")
        elif self.path.exists() and (self.path / "meta.json").exists():
            found = 1
        if found is not None and found != SCHEMA_VERSION:
            log.warning("search index %s has schema %s, this version needs %s: it is discarded; "
                        "run `luutru reindex`", self.path, found, SCHEMA_VERSION)
            shutil.rmtree(self.path)
            self.rebuild_needed = True
        self.path.mkdir(parents=True, exist_ok=True)
        current = self.compiler.abbr.fingerprint
        if found != SCHEMA_VERSION:
            self._write_marker(current)
        elif table != current:
            log.warning("search index %s was analysed with another abbreviation table: abbreviations are "
                        "expanded at query time (slower) until `luutru reindex`", self.path)
            self.compiler.indexed_abbreviations = frozenset()

    def _write_marker(self, table: str) -> None:
        assert self.path is not None
        marker = self.path / VERSION_FILE
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "abbreviations": table}))
        os.replace(tmp, marker)

    def _analysed_with_current_table(self) -> None:
        """After a rebuild every document carries the current table's abbreviations."""
        if self.path is not None:
            self._write_marker(self.compiler.abbr.fingerprint)
        self.compiler.indexed_abbreviations = None

    # context management ---------------------------------------------------------------------
    def __enter__(self) -> EmbeddedSearchBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._release()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._inflight.close()

    def count(self) -> int:
        self._reload()
        return self.index_.searcher().num_docs

    def health(self) -> str:
        where = str(self.path) if self.path else "memory"
        # tantivy's bundled stubs omit __version__; the module has it
        return (f"tantivy {tantivy.__version__}, {self.index_.searcher().num_docs} documents ({where})"  # type: ignore[attr-defined]
                + crash_note(self.path))

    # writing ----------------------------------------------------------------------------------
    def _w(self) -> tantivy.IndexWriter:
        """The writer, opened if needed; waits while another process holds the index's lock. Call
        with ``_lock`` held."""
        if self._writer is None:
            deadline = time.monotonic() + self.writer_wait
            pause = 0.01
            while True:
                try:
                    self._writer = self.index_.writer(self._writer_heap, self._writer_threads)
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
        return self._writer

    def _release(self) -> None:
        """Give the index's lock back (after the merges the last commit started). Call with
        ``_lock`` held."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.wait_merging_threads()

    @contextmanager
    def _lease(self) -> Iterator[tantivy.IndexWriter]:
        """The writer for one write: committed and released at the end, unless a rebuild holds it."""
        with self._lock:
            held = self._writer is not None
            w = self._w()
            try:
                yield w
                if not held:
                    w.commit()
            except BaseException:
                if not held:
                    w.rollback()
                raise
            finally:
                if not held:
                    self._release()

    def _document(self, d: IndexDocument) -> tantivy.Document:
        doc = tantivy.Document()
        add = doc.add_text
        for name, value in d.keys().items():
            if value:
                add(name, value)
        add("record_id", d.record_id)
        for name in ("type_name", "organ_name", "signer_name", "so_ky_hieu"):
            value = getattr(d, name)
            if value:
                add(name, value)
        every: list[str] = []  # each text's syllables joined by spaces, for the abbreviations
        for name, text in d.texts().items():
            if not text:
                continue
            made = self.precomputed.take(text) if name == "body" else None
            if made is not None:  # analysed by the extraction worker (ingest.steps.extract)
                joined, first, second = made.joined, made.first, made.second
            else:
                words = syllables(text)
                first, second = bigram_sources(text, words)
                joined = " ".join(words)
            add(MATCH_FIELD, text)
            add(f"{MATCH_FIELD}_exact", text)  # as written: a query looks for both tone placements
            add(f"{MATCH_FIELD}_bi", first)
            if second:
                add(f"{MATCH_FIELD}_bi", second)
            if name == "body":
                doc.add_bytes("body", text.encode())
            else:
                add(name, text)
                add(f"{name}_bi", first)
                if second:
                    add(f"{name}_bi", second)
            if name in EXACT_FIELDS:
                add(f"{name}_exact", normalize_tones(text))
            every.append(joined)
        found = self.compiler.abbr.found_joined(*every)
        if found:
            add(MATCH_FIELD, " ".join(sorted(found)))  # IndexDocument.abbreviations
        skh = d.skh_tokens()
        if skh:
            add("skh", " ".join(skh))
        if d.issued_date:
            doc.add_integer("date_key", d.issued_date.toordinal())
            doc.add_integer("year", d.issued_date.year)
            doc.add_integer("month_key", d.issued_date.year * 100 + d.issued_date.month)
        else:
            doc.add_integer("date_key", 0)
        doc.add_unsigned("tiebreak", tiebreak(d.record_id))
        return doc

    def _add(self, w: tantivy.IndexWriter, docs: Sequence[IndexDocument]) -> None:
        for d in docs:
            w.delete_documents_by_term("record_id", d.record_id)
            w.add_document(self._document(d))

    def index(self, docs: Sequence[IndexDocument]) -> None:
        if not docs:
            return
        with self._lease() as w:
            self._add(w, docs)
        self._reload()

    def delete(self, record_ids: Sequence[str]) -> None:
        """Returns once the deletion is committed (a destruction reports done only after this)."""
        if not record_ids:
            return
        with self._lease() as w:
            for rid in record_ids:
                w.delete_documents_by_term("record_id", rid)
        self._reload()

    def refresh(self) -> None:
        self._reload()

    def _reload(self) -> None:
        self._generation += 1
        self.index_.reload()

    def doc_freqs(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """(documents, documents holding each folded term in ``all``), for ``Compiler.compile``,
        cached until the reader next changes. Deleted documents count in both until merged away
        (Tantivy's ``doc_freq`` counts them; each document holds exactly one access level)."""
        searcher = self._searcher()

        def fetch(missing: list[str]) -> tuple[int, dict[str, int]]:
            docs = max(sum(searcher.doc_freq("access_level", level) for level in ACCESS_LEVELS), searcher.num_docs)
            return docs, {t: searcher.doc_freq(MATCH_FIELD, t) for t in missing}

        return self._freqs.lookup((self._meta_seen, self._generation), terms, fetch)

    def _searcher(self):
        """A searcher that sees every commit made so far, by any process: reload first when
        ``meta.json`` changed since the last look (Tantivy's own watch polls every ~500 ms)."""
        if self.path is not None:
            try:  # a commit replaces meta.json (a new inode), within the clock's tick too
                st = os.stat(self.path / "meta.json")
                stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            except OSError:
                stamp = None
            if stamp != self._meta_seen:
                self._meta_seen = stamp
                self._reload()
        return self.index_.searcher()

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

    def iter_ids(self) -> Iterator[str]:
        """Every record id in the index, in codepoint order (the catalogue's order in ``check``): the
        term dictionary of ``record_id`` counted over live documents (a deleted document's id stays
        in the dictionary until its segment is merged, with no live document). The ids are held in
        memory (~100 bytes each); paging a search sorted by ``record_id`` with an offset converted
        every skipped key again — quadratic, about 15 minutes of CPU for a million."""
        terms = self._searcher().terms_with_prefix("record_id", "", filter_query=Query.all_query())
        yield from sorted(term for term, live in terms if live > 0)

    # translation ------------------------------------------------------------------------------
    def translate(self, c: Clause) -> Query:
        s = self.schema
        if isinstance(c, Term):
            q = Query.term_query(s, c.field, c.value, index_option="freq")
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
            for x in c.filter:
                if isinstance(x, Bool) and x.must_not and not (x.must or x.should or x.filter):
                    clauses += [(Occur.MustNot, self.translate(y)) for y in x.must_not]  # a pure exclusion
                else:
                    clauses.append((Occur.Must, Query.const_score_query(self.translate(x), 0.0)))
            if clauses and all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.append((Occur.Must, Query.all_query()))  # only exclusions: from everything
            q = Query.boolean_query(clauses, minimum_number_should_match=c.msm if c.msm > 1 else None)
            if c.boost != 1.0:
                q = Query.boost_query(q, c.boost)
            return q
        else:
            raise TypeError(f"cannot translate {c!r}")
        return Query.boost_query(q, c.boost) if c.boost != 1.0 else q

    def _query(self, compiled: Compiled, extra: Sequence[Clause] = ()) -> Query:
        """What matches: ``compiled.match`` and the filters (its score is the match's alone)."""
        return self.translate(Bool(must=(compiled.match,), filter=tuple(compiled.filters) + tuple(extra)))

    def _rescore_query(self, compiled: Compiled, tiebreaks: Sequence[int]) -> Query:
        """The bonuses alone (their sum is the score), on the window's documents only, selected by
        ``tiebreak`` — a union of term queries: ``term_set_query`` on a numeric field scans its
        column, ~8 ms at 1M. The match is not evaluated again (its score is known, and a
        minimum-should-match union reads every posting whatever the filter). Each bonus gets its
        own level: a single optional clause is *sought* for each of the window's documents, where a
        union of them would be read in blocks of 4,096 documents around each.

        The levels form chains of at most ``RESCORE_CHAIN``, each driven by the window, summed by
        a union (which only ever meets the window's documents). One chain of every bonus — a
        level each — overflowed Tantivy's stack at ~900 levels (8 MiB; 150 words pasted): the
        process died of a segmentation fault."""
        window = Query.boolean_query([(Occur.Should, Query.term_query(self.schema, "tiebreak", tb))
                                      for tb in tiebreaks])
        chains = []
        bonus = compiled.bonus
        for start in range(0, max(len(bonus), 1), RESCORE_CHAIN):
            q = Query.const_score_query(window, 0.0)
            for b in bonus[start:start + RESCORE_CHAIN]:
                q = Query.boolean_query([(Occur.Must, q), (Occur.Should, self.translate(b))])
            chains.append(q)
        return chains[0] if len(chains) == 1 else Query.boolean_query([(Occur.Should, c) for c in chains])

    # searching --------------------------------------------------------------------------------
    def _background(self, fn, *args):
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="luutru-search")
        return self._pool.submit(fn, *args)

    def search(self, query: SearchQuery, principal: Principal) -> SearchPage:
        """``query.QueryError`` when the query is beyond a bound of ``compile``."""
        compiled = self.compiler.compile(query, principal, self.doc_freqs)
        with self._inflight.running({"op": "search", "q": query.q, "sort": query.sort, "size": query.size,
                                     "facets": query.facets, "after": query.search_after}):
            return self._search(query, compiled)  # a native crash in it is reported by the next process

    def _search(self, query: SearchQuery, compiled: Compiled) -> SearchPage:
        searcher = self._searcher()
        base = self._query(compiled)
        sort = query.sort if compiled.scored or query.sort != "relevance" else "date_desc"
        extra: list[Clause] = []
        after = query.search_after
        if after is not None and sort != "relevance":
            # cheap pre-filter; ties on the cursor's date are resolved by the tiebreak in _collect
            key = int(after[0])
            extra.append(Range("date_key", None, key) if sort == "date_desc" else Range("date_key", key, None))
        aggs = self._aggregations(query)
        # disjunctive facets: one whose own values are selected is counted apart, over the query
        # without that selection (the other filters and the principal's rule still apply)
        apart = {name: aggs.pop(f"f_{name}") for name in compiled.facet_filters}
        counted_apart = bool(extra)
        if counted_apart:
            # past the first page the total is the query's without the cursor: counted by the
            # aggregation pass (a value count), not by the scored pass, which has the cursor
            aggs["_total"] = {"value_count": {"field": "tiebreak"}}
        if aggs:
            # facets and histogram: an unscored aggregation of the query on a second thread while
            # the scored pass collects the page (and counts the matches, at no extra cost)
            pending = self._background(searcher.aggregate, base, aggs)
        if sort == "relevance" and compiled.scored and compiled.bonus:
            page, next_after, total = self._collect_rescored(searcher, base, compiled, after, query.size)
        else:
            q = self._query(compiled, extra) if extra else base
            page, next_after, total = self._collect(searcher, q, sort, after, query.size, count=not counted_apart)
        hits = self._hits(searcher, page, compiled, query)
        facets: dict[str, list[FacetValue]] = {}
        histogram: list[FacetValue] = []
        if aggs or apart:
            result = pending.result() if aggs else {}
            if counted_apart:
                total = int(result.get("_total", {}).get("value") or 0)
            for name, agg in apart.items():
                q_without = self.translate(Bool(must=(compiled.match,), filter=tuple(compiled.facet_filters[name])))
                result.update(searcher.aggregate(q_without, {f"f_{name}": agg}))
            facets = self._facets(result, query.facets)
            histogram = self._histogram(result, query.histogram) if query.histogram else []
        return SearchPage(total=total, hits=hits, facets=facets, histogram=histogram, next_after=next_after)

    def _collect_rescored(self, searcher, base: Query, compiled: Compiled, after, size: int):
        """Relevance order in two regions: the best ``rescore_window`` matches by ``match`` alone,
        re-ranked by ``match`` + bonuses, then every other match by ``match`` alone. A bonus is never
        negative, so scores still descend across the two, and a cursor ``(score, tiebreak)`` is
        placed by its tiebreak: in the window (recomputed, deterministic for an unchanged index)
        or after it."""
        window, past, total = self._collect(searcher, base, "relevance", None, self.rescore_window, count=True)
        bonus = {}
        if window:
            res = searcher.search(self._rescore_query(compiled, [it[2] for it in window]), len(window))
            bonus = {(a.segment_ord, a.doc): score for score, a in res.hits}
        items = sorted((((-s, tb), s, tb, a) for s, tb, a in
                        ((p + bonus.get((a.segment_ord, a.doc), 0.0), tb, a) for _, p, tb, a in window)),
                       key=lambda it: it[0])
        in_window = {it[2] for it in items}
        rest_after = past  # the window's last match, by match alone: the rest comes after it
        if after is not None:
            cursor = (-float(after[0]), int(after[1]))
            if int(after[1]) in in_window:
                items = [it for it in items if it[0] > cursor]
            else:
                items, rest_after = [], after
        if past is None or len(items) >= size:
            page = items[:size]
            more = len(items) > size or past is not None
        else:
            rest, nxt, _ = self._collect(searcher, base, "relevance", rest_after, size - len(items))
            page = items + rest
            more = nxt is not None
        nxt = (page[-1][1], page[-1][2]) if page and more else None
        return page, nxt, total
    def _collect(self, searcher, q: Query, sort: str, after, size: int, *, count: bool = False):
        """Top ``size`` hits strictly after ``after`` in (primary, tiebreak) order, the cursor, and
        the number of matches when ``count`` (counted in the same pass as the first fetch)."""
        field = None if sort == "relevance" else "date_key"
        order = Order.Asc if sort == "date_asc" else Order.Desc
        sign = 1 if sort == "date_asc" else -1

        def key(primary, tb):
            return (sign * primary, tb)

        cursor = key(float(after[0]) if sort == "relevance" else int(after[0]), int(after[1])) if after else None
        limit = max(size * 10, 200)
        total = None
        while True:
            res = (searcher.search(q, limit, count=count, order_by_field=field, order=order) if field
                   else searcher.search(q, limit, count=count))
            if count:
                total, count = res.count, False
            hits = res.hits
            exhausted = len(hits) < limit
            # Tantivy returns the hits in primary order (ties in any order): only those from the
            # cursor's primary to the end of the tie group of the (size + 1)-th after it need their
            # tiebreak read and sorted — not the whole fetch
            primary = [sign * p for p, _ in hits]
            lo = bisect.bisect_left(primary, cursor[0]) if cursor is not None else 0
            past_cursor = bisect.bisect_right(primary, cursor[0]) if cursor is not None else 0
            end = min(len(hits), max(lo, past_cursor) + size + 1)
            end = bisect.bisect_right(primary, primary[end - 1]) if end > lo else end
            chosen = hits[lo:end]
            tbs = searcher.fast_field_values("tiebreak", [a for _, a in chosen]) if chosen else []
            items = sorted(((key(p, tb), p, tb, a) for (p, a), tb in zip(chosen, tbs, strict=True)),
                           key=lambda it: it[0])
            if cursor is not None:
                items = [it for it in items if it[0] > cursor]
            if not exhausted:
                worst = primary[-1]
                # only hits strictly better than the worst fetched one are known to be complete
                items = [it for it in items if it[0][0] < worst]
                if len(items) <= size:
                    limit *= 4
                    continue
            page = items[:size]
            more = len(items) > size or end < len(hits) or not exhausted
            nxt = (page[-1][1], page[-1][2]) if page and more else None
            return page, nxt, total

    def _snippet_generator(self, searcher, compiled: Compiled) -> SnippetGenerator | None:
        """Tantivy's snippet generator for the query's words (None: nothing to highlight). The body
        is stored apart (not indexed: ``all`` holds its words), so ``snippet`` makes a snippet from a
        document holding a text — the body, then the title — as the match field's."""
        if not compiled.highlight:
            return None
        hq = Query.boolean_query([(Occur.Should, Query.term_query(self.schema, MATCH_FIELD, t))
                                  for t in sorted(compiled.highlight)])
        gen = SnippetGenerator.create(searcher, hq, self.schema, MATCH_FIELD)
        gen.set_max_num_chars(SNIPPET_CHARS)
        return gen

    @staticmethod
    def snippet(gen: SnippetGenerator, text: str):
        return gen.snippet_from_doc(tantivy.Document(**{MATCH_FIELD: [text]}))

    @staticmethod
    def stored_body(doc: tantivy.Document) -> str | None:
        """The body text of a stored document (kept as UTF-8 bytes)."""
        raw = doc.get_first("body")
        return bytes(raw).decode() if raw is not None else None

    def _hits(self, searcher, page, compiled: Compiled, query: SearchQuery) -> list[SearchHit]:
        gen = self._snippet_generator(searcher, compiled) if query.highlight else None
        hits = []
        for _, primary, _, addr in page:
            doc = searcher.doc(addr)
            first = doc.get_first  # the fields a hit shows, not the whole stored body (Document.to_dict)
            body = self.stored_body(doc) or ""
            snippet = None
            if gen is not None:
                for text in (body, first("title") or ""):
                    sn = self.snippet(gen, text)
                    if sn.highlighted():
                        snippet = refine_highlights(sn.to_html(), compiled)
                        break
            if snippet is None and query.highlight:
                snippet = escape(body[:SNIPPET_CHARS]) or None
            dk = first("date_key")
            hits.append(SearchHit(
                record_id=first("record_id"), score=float(primary) if compiled.scored and query.sort == "relevance"
                else 0.0, so_ky_hieu=first("so_ky_hieu"), title=first("title"),
                date=date.fromordinal(dk) if dk else None, snippet=snippet, type_name=first("type_name"),
                organ_name=first("organ_name"), signer_name=first("signer_name"),
                access_level=first("access_level"), dossier_id=first("dossier_id"), fonds_id=first("fonds_id")))
        return hits

    @staticmethod
    def _aggregations(query: SearchQuery) -> dict:
        aggs = {f"f_{name}": {"terms": {"field": FACET_FIELDS[name], "size": 100 if name == "year" else 50}}
                for name in query.facets}
        if query.histogram:
            field = "year" if query.histogram == "year" else "month_key"
            aggs["_histogram"] = {"terms": {"field": field, "size": 10_000}}
        return aggs

    @staticmethod
    def _facets(result: dict, names: Sequence[str]) -> dict[str, list[FacetValue]]:
        out = {}
        for name in names:
            buckets = result.get(f"f_{name}", {}).get("buckets", [])
            values = [FacetValue(str(b["key"]) if name != "year" else str(int(b["key"])), int(b["doc_count"]))
                      for b in buckets if b["doc_count"] > 0]
            out[name] = sorted(values, key=lambda v: (-v.count, v.value))
        return out

    @staticmethod
    def _histogram(result: dict, interval: str) -> list[FacetValue]:
        out = []
        for b in result.get("_histogram", {}).get("buckets", []):
            k = int(b["key"])
            label = str(k) if interval == "year" else f"{k // 100:04d}-{k % 100:02d}"
            out.append(FacetValue(label, int(b["doc_count"])))
        return sorted(out, key=lambda v: v.value)

    def more_like_this(self, record_id: str, principal: Principal, *, size: int = 10) -> SearchPage:
        with self._inflight.running({"op": "more_like_this", "record_id": record_id}):
            return self._more_like_this(record_id, principal, size)

    def _mlt_query(self, searcher, texts: list[str]) -> Query | None:
        """The ``MLT_TERMS`` syllables of ``texts`` with the highest tf × idf, as a weighted
        disjunction on the match field. (Tantivy's own more-like-this query panicked — "9 >= 11"
        in its BM25 weight, a Rust panic surfacing as a 500 — once a record had been indexed again:
        the deleted copy still counts in a term's document frequency but not in the number of
        documents. Here both count deleted copies alike, and the frequency is bounded.)"""
        tf: Counter[str] = Counter()
        for text in texts:
            tf.update(t for t in fold_tokens(text[:MLT_SOURCE_CHARS]) if len(t) >= 2)
        # documents counted as doc_freq counts them (deleted copies included until merged away):
        # every document holds exactly one access level (``IndexDocument.keys``)
        n = max(sum(searcher.doc_freq("access_level", level) for level in ACCESS_LEVELS), searcher.num_docs, 1)
        weighted = []
        for term, freq in tf.items():
            df = min(searcher.doc_freq(MATCH_FIELD, term), n)
            if df:
                weighted.append((freq * math.log(1 + (n - df + 0.5) / (df + 0.5)), term))
        top = heapq.nlargest(MLT_TERMS, weighted)
        if not top:
            return None
        return Query.boolean_query([(Occur.Should, Query.boost_query(
            Query.term_query(self.schema, MATCH_FIELD, term, index_option="freq"), max(weight, 1e-3)))
            for weight, term in top])

    def _more_like_this(self, record_id: str, principal: Principal, size: int) -> SearchPage:
        compiled = self.compiler.compile(SearchQuery(), principal)
        searcher = self._searcher()
        src = searcher.search(self._query(compiled, [Terms("record_id", (record_id,))]), 1, count=False)
        if not src.hits:
            return SearchPage(total=0, hits=[])
        doc = searcher.doc(src.hits[0][1])
        texts = {"title": doc.get_first("title"), "meta": doc.get_first("meta"), MATCH_FIELD: self.stored_body(doc)}
        mlt = self._mlt_query(searcher, [text for text in texts.values() if text])
        if mlt is None:
            return SearchPage(total=0, hits=[])
        clauses = [(Occur.Must, mlt), (Occur.MustNot, Query.term_query(self.schema, "record_id", record_id))]
        clauses += [(Occur.Must, Query.const_score_query(self.translate(f), 0.0)) for f in compiled.filters]
        q = Query.boolean_query(clauses)
        page, _, total = self._collect(searcher, q, "relevance", None, size, count=True)
        return SearchPage(total=total, hits=self._hits(searcher, page, Compiled(MatchAll(), []),
                                                        SearchQuery(highlight=False)))
