"""OpenSearchBackend: the scale-out search backend (opensearch-py).

* The mapping is versioned JSON (``mappings/records-v5.json``), installed as the composable index
  template ``<prefix>-records-v5``; indices are named ``<prefix>-records-v5-<timestamp>`` and read
  and written through the alias ``<prefix>-records``.
  Queries of this version match on fields a v2 index lacks: behind an older index,
  ``rebuild_needed`` is true and searches find nothing until ``luutru reindex`` builds a v5 index
  and switches the alias to it.
* ``title``/``body``/``meta`` are analysed by OpenSearch with ``vi_folded`` (a char filter maps
  đ → d, then lowercase and ``asciifolding``; ``icu_folding`` is not assumed to be installed) and
  copied, with the abbreviations spelt out in them (``abbr``), into the match field ``all``, and
  as written into ``all_exact`` (``vi_exact``: the same syllables, lowercase, tones kept — a long
  query looks for both tone placements, so nothing is computed in Python for it);
  ``body`` serves highlighting. The ``title_exact``, ``meta_exact``, ``*_bi``, ``abbr`` and ``skh``
  streams come from ``search.analysis`` already tokenised (tone placement cannot be expressed
  portably) and are split on whitespace — the same tokens as the embedded backend.
* The shared clause tree (``search.compile``) becomes Query DSL one to one; the principal's rule
  is a ``filter`` of the same ``bool``, so hits, totals, aggregations, highlights, more-like-this
  and ``search_after`` all see only readable records. OpenSearch scores the whole tree
  (``Compiled.query``: match and bonuses) on every match: its ``rescore`` cannot be combined with
  the tiebreak sort that keeps ``search_after`` paging stable.
* Reindex builds a new index and switches the alias atomically (one ``_aliases`` call); an
  interrupted rebuild is found again by name (an index of this version not behind the alias) and
  resumed after its highest record id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from search.analysis import Abbreviations
from search.backend import FacetValue, SearchHit, SearchPage
from search.compile import (
    FACET_FIELDS,
    MATCH_FIELD,
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
from search.document import IndexDocument, tiebreak
from search.frequency import FrequencyCache
from search.highlight import refine_highlights
from search.query import Principal, SearchQuery

MAPPING_VERSION = "v5"
log = logging.getLogger(__name__)
MAPPING_FILE = Path(__file__).with_name("mappings") / f"records-{MAPPING_VERSION}.json"
SNIPPET_CHARS = 220
FREQ_TTL = 60.0
"""Seconds the document frequencies of a long query's words are cached (``doc_freqs``): OpenSearch
shows no cheap generation of what a search sees (refreshes are periodic, other processes write)."""


def source(d: IndexDocument, abbreviations: Abbreviations | None = None) -> dict[str, Any]:
    """The OpenSearch document of an IndexDocument."""
    body: dict[str, Any] = {"record_id": d.record_id, "so_ky_hieu": d.so_ky_hieu, "type_name": d.type_name,
                            "organ_name": d.organ_name, "signer_name": d.signer_name}
    body.update(d.keys())
    body.update(d.texts())
    body.update(d.analysed(abbreviations))
    if d.issued_date:
        body.update(date_key=d.issued_date.toordinal(), year=d.issued_date.year,
                    month_key=d.issued_date.year * 100 + d.issued_date.month)
    else:
        body["date_key"] = 0
    body["tiebreak"] = tiebreak(d.record_id)
    return {k: v for k, v in body.items() if v not in (None, "")}


def translate(c: Clause) -> dict[str, Any]:
    """One clause of the shared tree → Query DSL."""
    if isinstance(c, Term):
        return {"term": {c.field: {"value": c.value, "boost": c.boost}}}
    if isinstance(c, Terms):
        return {"terms": {c.field: list(c.values)}} if c.values else {"match_none": {}}
    if isinstance(c, Range):
        bounds = {}
        if c.lo is not None:
            bounds["gte"] = c.lo
        if c.hi is not None:
            bounds["lte"] = c.hi
        return {"range": {c.field: bounds}} if bounds else {"match_all": {}}
    if isinstance(c, MatchAll):
        return {"match_all": {}}
    if isinstance(c, MatchNone):
        return {"match_none": {}}
    if isinstance(c, Bool):
        b: dict[str, Any] = {}
        for name in ("must", "should", "must_not", "filter"):
            items = getattr(c, name)
            if items:
                b[name] = [translate(x) for x in items]
        if c.msm > 1:
            b["minimum_should_match"] = c.msm
        elif c.should and not (c.must or c.filter):
            b["minimum_should_match"] = 1
        if c.boost != 1.0:
            b["boost"] = c.boost
        return {"bool": b}
    raise TypeError(f"cannot translate {c!r}")


class _OpenSearchRebuild:
    def __init__(self, backend: OpenSearchBackend):
        self.backend = backend
        self.target, self.resume_after = backend._rebuild_target()

    def index(self, docs: Sequence[IndexDocument]) -> None:
        self.backend._bulk_index(docs, self.target)

    def checkpoint(self, last_record_id: str) -> None:
        self.resume_after = last_record_id  # the new index itself is the checkpoint

    def finish(self) -> None:
        # Make what was written visible before readers are sent there: otherwise searches find
        # nothing (or part) from the switch until the index's next periodic refresh.
        self.backend.client.indices.refresh(index=self.target)
        self.backend._switch_alias(self.target)
        self.backend.rebuild_needed = False


class OpenSearchBackend:
    name = "opensearch"

    def __init__(self, url: str, *, index_prefix: str = "luutru", user: str | None = None,
                 password: str | None = None, verify_certs: bool = True, ca_certs: str | None = None,
                 timeout: float = 30.0, compiler: Compiler | None = None, client: Any = None,
                 replicas: int | None = None):
        from opensearchpy import OpenSearch

        auth = (user, password or "") if user else None
        self.client = client or OpenSearch(url, http_auth=auth, verify_certs=verify_certs, ca_certs=ca_certs,
                                           timeout=timeout, ssl_show_warn=verify_certs)
        self.prefix = index_prefix
        self.alias = f"{index_prefix}-records"
        self.compiler = compiler or Compiler()
        self.replicas = replicas
        """``number_of_replicas`` of the indices (None: the mapping file's)."""
        self.rebuild_needed = False
        self._freqs = FrequencyCache()
        self._writes = 0
        """Bumped at each write, refresh and alias switch of this process (a new generation)."""
        self._ensure()

    @classmethod
    def from_settings(cls, s) -> OpenSearchBackend:
        """Build from ``archive.settings.SearchSettings``."""
        return cls(s.opensearch_url, index_prefix=s.index_prefix, user=s.opensearch_user,
                   password=s.opensearch_password.get_secret_value() if s.opensearch_password else None,
                   verify_certs=s.opensearch_verify_certs,
                   ca_certs=str(s.opensearch_ca_certs) if s.opensearch_ca_certs else None,
                   replicas=s.opensearch_replicas)

    def __enter__(self) -> OpenSearchBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])

    def health(self) -> str:
        h = self.client.cluster.health()
        return f"OpenSearch {h['status']}, alias {self.alias}"

    # index management -------------------------------------------------------------------------
    @staticmethod
    def _body(replicas: int | None = None) -> dict:
        body = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
        body.pop("_comment", None)
        if replicas is not None:
            body["settings"]["index"]["number_of_replicas"] = replicas
        return body

    def _new_index_name(self) -> str:
        return f"{self.prefix}-records-{MAPPING_VERSION}-{time.strftime('%Y%m%d%H%M%S')}{int(time.time() * 1000) % 1000:03d}"

    def template(self) -> tuple[str, dict]:
        """(name, body) of the composable index template of this mapping version: every index named
        ``<prefix>-records-<version>-*`` gets its settings and mappings, however it is created."""
        body = self._body(self.replicas)
        return f"{self.prefix}-records-{MAPPING_VERSION}", {
            "index_patterns": [f"{self.prefix}-records-{MAPPING_VERSION}-*"], "priority": 100,
            "version": int(MAPPING_VERSION.lstrip("v")),
            "template": {"settings": body["settings"], "mappings": body["mappings"]}}

    def _create_index(self, name: str) -> None:
        template, body = self.template()
        self.client.indices.put_index_template(name=template, body=body)
        self.client.indices.create(index=name, body=self._body(self.replicas))  # the same, stated again

    def _ensure(self) -> None:
        if not self.client.indices.exists_alias(name=self.alias):
            name = self._new_index_name()
            self._create_index(name)
            self.client.indices.put_alias(index=name, name=self.alias)
        elif not any(n.startswith(f"{self.prefix}-records-{MAPPING_VERSION}-") for n in self._aliased()):
            log.warning("OpenSearch alias %s points to an index of an older mapping: searches find nothing "
                        "until `luutru reindex` builds a %s index", self.alias, MAPPING_VERSION)
            self.rebuild_needed = True
        else:
            self._apply_replicas()

    def _apply_replicas(self) -> None:
        """The setting applies to the live index too (a dynamic index setting): an index created with
        one replica on a single node stays yellow until it is told it has none."""
        if self.replicas is None:
            return
        for name, body in self.client.indices.get_settings(index=self.alias, name="index.number_of_replicas").items():
            current = body["settings"]["index"]["number_of_replicas"]
            if int(current) != self.replicas:
                log.info("OpenSearch index %s: number_of_replicas %s → %s", name, current, self.replicas)
                self.client.indices.put_settings(index=name, body={"index": {"number_of_replicas": self.replicas}})

    def _aliased(self) -> list[str]:
        return list(self.client.indices.get_alias(name=self.alias).keys())

    def _rebuild_target(self) -> tuple[str, str | None]:
        current = set(self._aliased())
        pattern = f"{self.prefix}-records-{MAPPING_VERSION}-*"
        pending = sorted(n for n in self.client.indices.get(index=pattern) if n not in current)
        if pending:
            target = pending[-1]
            self.client.indices.refresh(index=target)
            res = self.client.search(index=target, body={"size": 1, "sort": [{"record_id": "desc"}],
                                                         "_source": False})
            hits = res["hits"]["hits"]
            return target, (hits[0]["_id"] if hits else None)
        target = self._new_index_name()
        self._create_index(target)
        return target, None

    def _switch_alias(self, target: str) -> None:
        old = self._aliased()
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        actions.append({"add": {"index": target, "alias": self.alias}})
        self.client.indices.update_aliases(body={"actions": actions})  # atomic
        self._writes += 1
        for o in old:
            if o != target:
                self.client.indices.delete(index=o, ignore_unavailable=True)

    def drop(self) -> None:
        """Delete every index of this prefix (tests)."""
        self.client.indices.delete(index=f"{self.prefix}-records-*", ignore_unavailable=True)

    def begin_rebuild(self) -> _OpenSearchRebuild:
        return _OpenSearchRebuild(self)

    # writing ----------------------------------------------------------------------------------
    def _bulk_index(self, docs: Sequence[IndexDocument], index: str) -> None:
        if not docs:
            return
        lines: list[dict] = []
        for d in docs:
            lines.append({"index": {"_index": index, "_id": d.record_id}})
            lines.append(source(d, self.compiler.abbr))
        res = self.client.bulk(body=lines)
        if res.get("errors"):
            failed = [i for i in res["items"] if i["index"].get("error")]
            raise RuntimeError(f"OpenSearch refused {len(failed)} documents: {failed[0]['index']['error']}")

    def index(self, docs: Sequence[IndexDocument]) -> None:
        self._bulk_index(docs, self.alias)
        self._writes += 1

    def delete(self, record_ids: Sequence[str]) -> None:
        if not record_ids:
            return
        lines = [{"delete": {"_index": self.alias, "_id": rid}} for rid in record_ids]
        self.client.bulk(body=lines)  # a missing id is a 404 item, not an error: delete is idempotent
        self._writes += 1

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)
        self._writes += 1

    def doc_freqs(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """(documents, documents holding each folded term in ``all``), for ``Compiler.compile``: the
        term statistics of an artificial document (``_termvectors``, one request for the words not
        yet known), cached for ``FREQ_TTL`` seconds or until this process writes. Deleted documents
        count until merged away, as on Tantivy. On any failure (0, {}): every word is kept, as
        before, and the search runs."""
        generation = (self._writes, int(time.monotonic() // FREQ_TTL))
        try:
            return self._freqs.lookup(generation, terms, self._fetch_doc_freqs)
        except Exception as exc:  # noqa: BLE001 - only an optimisation: never fail the search for it
            log.warning("document frequencies not available from OpenSearch (%s); long query kept whole", exc)
            return 0, {}

    def _fetch_doc_freqs(self, terms: list[str]) -> tuple[int, dict[str, int]]:
        body = {"doc": {MATCH_FIELD: " ".join(terms) or "a"}, "fields": [MATCH_FIELD], "term_statistics": True,
                "field_statistics": True, "positions": False, "offsets": False, "payloads": False}
        res = self.client.termvectors(index=self.alias, body=body)
        vectors = res.get("term_vectors", {}).get(MATCH_FIELD, {})
        docs = int(vectors.get("field_statistics", {}).get("doc_count", 0))
        return docs, {t: int(v.get("doc_freq", 0)) for t, v in vectors.get("terms", {}).items()}

    def iter_ids(self, page: int = 5000) -> Iterator[str]:
        after = None
        while True:
            body: dict[str, Any] = {"size": page, "sort": [{"record_id": "asc"}], "_source": False,
                                    "query": {"match_all": {}}}
            if after is not None:
                body["search_after"] = after
            hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
            for h in hits:
                yield h["_id"]
            if len(hits) < page:
                return
            after = hits[-1]["sort"]

    # searching --------------------------------------------------------------------------------
    def _sort(self, sort: str) -> list:
        if sort == "relevance":
            return [{"_score": "desc"}, {"tiebreak": "asc"}]
        return [{"date_key": "desc" if sort == "date_desc" else "asc"}, {"tiebreak": "asc"}]

    def _bool(self, compiled: Compiled) -> dict:
        return translate(Bool(must=(compiled.query,), filter=tuple(compiled.filters)))

    def search(self, query: SearchQuery, principal: Principal) -> SearchPage:
        compiled = self.compiler.compile(query, principal, self.doc_freqs)
        sort = query.sort if compiled.scored or query.sort != "relevance" else "date_desc"
        body: dict[str, Any] = {"query": self._bool(compiled), "size": query.size + 1, "sort": self._sort(sort),
                                "track_total_hits": True, "track_scores": True,
                                "_source": ["record_id", "so_ky_hieu", "title", "type_name", "organ_name",
                                            "signer_name", "date_key", "access_level", "dossier_id", "fonds_id"]}
        if query.search_after is not None:
            body["search_after"] = list(query.search_after)
        if query.highlight and compiled.highlight:
            hq = {"bool": {"should": [{"terms": {f: sorted(compiled.highlight)}} for f in ("body", "title")]}}
            body["highlight"] = {"encoder": "html", "pre_tags": ["<b>"], "post_tags": ["</b>"],
                                 "highlight_query": hq, "fields": {
                                     "body": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1,
                                              "no_match_size": SNIPPET_CHARS},
                                     "title": {"number_of_fragments": 0}}}
        aggs: dict[str, Any] = {}
        for name in query.facets:
            terms = {"terms": {"field": FACET_FIELDS[name], "size": 100 if name == "year" else 50}}
            if name in compiled.facet_filters:
                # disjunctive: a facet whose own values are selected is counted over the query
                # without that selection (a global bucket re-applies the match, the principal's
                # rule and the other filters)
                without = translate(Bool(must=(compiled.query,), filter=tuple(compiled.facet_filters[name])))
                aggs[f"f_{name}"] = {"global": {}, "aggs": {"q": {"filter": without, "aggs": {"t": terms}}}}
            else:
                aggs[f"f_{name}"] = terms
        if query.histogram:
            field = "year" if query.histogram == "year" else "month_key"
            aggs["histogram"] = {"terms": {"field": field, "size": 10_000}}
        if aggs:
            body["aggs"] = aggs
        res = self.client.search(index=self.alias, body=body)
        raw_hits = res["hits"]["hits"]
        more = len(raw_hits) > query.size
        raw_hits = raw_hits[:query.size]
        hits = [self._hit(h, compiled, query, sort) for h in raw_hits]
        facets = {}
        for name in query.facets:
            agg = res["aggregations"][f"f_{name}"]
            buckets = agg["q"]["t"]["buckets"] if name in compiled.facet_filters else agg["buckets"]
            facets[name] = sorted((FacetValue(str(b["key"]), b["doc_count"]) for b in buckets if b["doc_count"]),
                                  key=lambda v: (-v.count, v.value))
        histogram = []
        if query.histogram:
            for b in res["aggregations"]["histogram"]["buckets"]:
                k = int(b["key"])
                label = str(k) if query.histogram == "year" else f"{k // 100:04d}-{k % 100:02d}"
                histogram.append(FacetValue(label, b["doc_count"]))
            histogram.sort(key=lambda v: v.value)
        next_after = tuple(raw_hits[-1]["sort"]) if more and raw_hits else None
        return SearchPage(total=res["hits"]["total"]["value"], hits=hits, facets=facets, histogram=histogram,
                          next_after=next_after)

    def _hit(self, h: dict, compiled: Compiled, query: SearchQuery, sort: str) -> SearchHit:
        s = h.get("_source", {})
        snippet = None
        hl = h.get("highlight", {})
        for name in ("body", "title"):
            if hl.get(name) and "<b>" in hl[name][0]:
                snippet = refine_highlights(hl[name][0], compiled)
                break
        if snippet is None and hl.get("body"):
            snippet = hl["body"][0]
        dk = s.get("date_key")
        score = h.get("_score") or 0.0
        return SearchHit(record_id=s.get("record_id", h["_id"]),
                         score=float(score) if compiled.scored and sort == "relevance" else 0.0,
                         so_ky_hieu=s.get("so_ky_hieu"), title=s.get("title"),
                         date=date.fromordinal(dk) if dk else None, snippet=snippet, type_name=s.get("type_name"),
                         organ_name=s.get("organ_name"), signer_name=s.get("signer_name"),
                         access_level=s.get("access_level"), dossier_id=s.get("dossier_id"),
                         fonds_id=s.get("fonds_id"))

    def more_like_this(self, record_id: str, principal: Principal, *, size: int = 10) -> SearchPage:
        compiled = self.compiler.compile(SearchQuery(), principal)
        filters = [translate(f) for f in compiled.filters]
        readable = self.client.search(index=self.alias, body={
            "size": 0, "track_total_hits": True,
            "query": {"bool": {"filter": [{"ids": {"values": [record_id]}}, *filters]}}})
        if readable["hits"]["total"]["value"] == 0:
            return SearchPage(total=0, hits=[])
        body = {"size": size, "track_total_hits": True, "sort": self._sort("relevance"),
                "query": {"bool": {
                    "must": [{"more_like_this": {"fields": ["title", "body", "meta"],
                                                 "like": [{"_index": self.alias, "_id": record_id}],
                                                 "min_term_freq": 1, "min_doc_freq": 1, "max_query_terms": 30}}],
                    "must_not": [{"ids": {"values": [record_id]}}], "filter": filters}}}
        res = self.client.search(index=self.alias, body=body)
        plain = Compiled(MatchAll(), [])
        hits = [self._hit(h, plain, SearchQuery(highlight=False), "relevance") for h in res["hits"]["hits"]]
        return SearchPage(total=res["hits"]["total"]["value"], hits=hits)
