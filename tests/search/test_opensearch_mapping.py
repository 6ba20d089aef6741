"""The OpenSearch mapping (``dynamic: strict``) against what the code sends and asks: a field a
document or a query names but the mapping lacks would be refused, or match nothing, on a cluster.
Checked offline, so it holds where no cluster runs."""

from __future__ import annotations

import itertools

from kit.search_corpus import law_articles, synthetic
from search.compile import FACET_FIELDS, Bool, Compiler, Range, Term, Terms
from search.opensearch import MAPPING_VERSION, OpenSearchBackend, source
from search.query import Principal, SearchQuery

QUERIES = ["UBND Hà Nội", "ủy ban nhân dân tỉnh", '"số hóa tài liệu"', "9545/UBND-THCB", "QĐ-UBND 2021",
           "lưu trữ OR văn thư -mật", "chinh ly tai lieu", "thông tư 2019", "a b c d e f"]


def fields_of(clause) -> set[str]:
    if isinstance(clause, (Term, Terms, Range)):
        return {clause.field}
    if isinstance(clause, Bool):
        return set().union(*(fields_of(c) for c in (*clause.must, *clause.should, *clause.must_not, *clause.filter)))
    return set()


def test_mapping_holds_every_field_documents_and_queries_use():
    body = OpenSearchBackend._body()
    props = body["mappings"]["properties"]
    assert body["mappings"]["dynamic"] == "strict" and MAPPING_VERSION == "v5"
    docs = [d for _, d in itertools.islice(law_articles(), 200)] + list(synthetic(200, seed=5))
    sent = set().union(*(source(d) for d in docs))
    assert sent <= set(props), sent - set(props)
    assert {"all_bi", "abbr", "title_bi", "meta_bi", "skh"} <= sent
    for spec in props.values():
        assert all(t in props for t in _targets(spec))

    def copied_to(field: str) -> set[str]:
        return {name for name, spec in props.items() if field in _targets(spec)}

    assert copied_to("all") == {"title", "meta", "body", "abbr"}
    # the texts as written, not the abbreviations (a word, not an exact spelling)
    assert copied_to("all_exact") == {"title", "meta", "body"}
    assert props["all_exact"]["analyzer"] == "vi_exact"
    compiler = Compiler()
    who = Principal(access_levels=frozenset({"public"}), fonds_ids=frozenset({"f1"}), dossier_ids=frozenset({"d1"}))
    for q in QUERIES:
        compiled = compiler.compile(SearchQuery(q=q, types=("Công văn",), signers=("A",), agencies=("B",),
                                                year_from=2020, retention_statuses=("permanent",),
                                                ocr_statuses=("low_confidence",)), who)
        used = fields_of(compiled.query).union(*(fields_of(f) for f in compiled.filters))
        assert used <= set(props), (q, used - set(props))
    assert set(FACET_FIELDS.values()) <= set(props)
    for name in set(body["mappings"]["_source"]["excludes"]):
        assert name in props


def test_the_index_template_covers_the_indices_the_backend_names():
    """The composable template of this version applies to every index name the backend makes."""
    import fnmatch

    backend = OpenSearchBackend.__new__(OpenSearchBackend)  # no cluster: only naming and bodies
    backend.replicas = None  # the mapping file's number of replicas
    backend.prefix = "luutru"
    name, template = backend.template()
    assert name == "luutru-records-v5"
    index = backend._new_index_name()
    assert any(fnmatch.fnmatch(index, p) for p in template["index_patterns"])
    assert not fnmatch.fnmatch(index.replace("-v5-", "-v4-"), template["index_patterns"][0])
    assert template["template"] == {k: v for k, v in OpenSearchBackend._body().items() if k in ("settings", "mappings")}


def _targets(spec: dict) -> list[str]:
    """The fields a mapped field is copied to (``copy_to``: one name or a list)."""
    to = spec.get("copy_to", [])
    return to if isinstance(to, list) else [to]
