"""The query parser and compiler under careless and hostile input: they never fail but with the
documented ``QueryError``, what they build always fits the engines' limits, and real pasted
paragraphs are never refused.

Before these bounds a query of 200 repeated words, or ~145 words pasted from a document, compiled
to a chain of ~1,000 nested boolean queries that overflowed Tantivy's stack (the process died of
a segmentation fault), and 490 nested parentheses overflowed Python's (RecursionError, HTTP 500).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from query_inputs import cursor, law_texts, nested, paragraph, pasted, query_text, sort, words_of

import search.compile as compile_module
from search.compile import (
    MAX_BONUS_CLAUSES,
    MAX_DEPTH,
    MAX_EXPANSIONS,
    MAX_MATCH_CLAUSES,
    Compiler,
    Term,
    shape,
)
from search.query import (
    DAY_MAX,
    MAX_NESTING,
    MAX_QUERY_CHARS,
    MAX_WORDS,
    Principal,
    QueryError,
    SearchQuery,
    parse,
)

STAFF = Principal(access_levels=frozenset({"public", "internal"}))
OPENSEARCH_MAX_CLAUSES = 1024
"""``indices.query.bool.max_clause_count``: Lucene counts every leaf of the tree."""
NESTED_DEPTH_LIMIT = 20
"""Elasticsearch's ``indices.query.bool.max_nested_depth`` (OpenSearch has none: its stack is the limit)."""
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compiled_within_bounds(q: str, **kw):
    """Compile ``q`` (``QueryError`` passes through) and check what was built fits the engines."""
    query = SearchQuery(q=q, **kw)
    c = Compiler().compile(query, STAFF)
    leaves, depth = shape(c.match)
    assert leaves <= MAX_MATCH_CLAUSES and depth <= MAX_DEPTH
    assert sum(shape(b)[0] for b in c.bonus) <= MAX_BONUS_CLAUSES
    whole, whole_depth = shape(c.query)
    filters = sum(shape(f)[0] for f in c.filters)
    assert whole + filters <= OPENSEARCH_MAX_CLAUSES
    assert whole_depth + 2 <= NESTED_DEPTH_LIMIT  # OpenSearch: bool(must=query, filter=[principal's bool])
    return c


@PROPERTY
@given(query_text)
def test_any_text_compiles_within_bounds_or_is_refused_with_the_bound_error(text):
    """GIVEN any text up to the length limit WHEN it is parsed and compiled THEN the result fits
    the engines' limits, or the query is refused with QueryError — never another exception."""
    try:
        compiled_within_bounds(text)
    except QueryError as exc:
        assert exc.code in ("query_too_complex", "query_too_long") and exc.message_vi


@PROPERTY
@given(st.text(min_size=MAX_QUERY_CHARS + 1, max_size=3 * MAX_QUERY_CHARS))
def test_longer_text_is_refused_as_too_long(text):
    try:
        SearchQuery(q=text)
    except QueryError as exc:
        assert exc.code in ("query_too_long", "query_too_complex")
    else:  # NFC may shorten it (an NFD paste)
        assert len(SearchQuery(q=text).q) <= MAX_QUERY_CHARS


@settings(max_examples=500, deadline=None)
@given(pasted())
def test_pasted_paragraphs_of_real_text_are_never_refused(text):
    """GIVEN up to 1,000 characters pasted from a real code of law WHEN searched THEN the query is
    accepted and compiles within every bound (a real paragraph is far inside them)."""
    compiled_within_bounds(text)


@pytest.mark.parametrize("n", [0, 1, MAX_NESTING, MAX_NESTING + 1, 490, 5000])
def test_nesting_is_bounded_without_recursion_error(n):
    """GIVEN n nested parentheses (490 overflowed Python's stack) WHEN parsed THEN up to the bound
    they parse, past it QueryError — the parser never recurses past MAX_NESTING."""
    q = "(" * n + "lưu trữ" + ")" * n
    if n <= MAX_NESTING:
        assert parse(q) is not None
        compiled_within_bounds(q)
    else:
        with pytest.raises(QueryError) as exc:
            parse(q)
        assert exc.value.code == "query_too_complex" and "ngoặc" in exc.value.message_vi


@PROPERTY
@given(nested)
def test_nesting_of_any_form_is_refused_or_compiles(q):
    try:
        compiled_within_bounds(q)
    except QueryError as exc:
        assert exc.code == "query_too_complex"


def test_two_hundred_repeated_words_compile_to_the_word_once():
    """GIVEN "lưu trữ" typed 100 times (200 words) WHEN compiled THEN it is two words and one bigram."""
    c = compiled_within_bounds(" ".join(["lưu trữ"] * 100))
    assert shape(c.match) == (2, 1)
    assert c.match == Compiler().compile(SearchQuery(q="lưu trữ"), STAFF).match


@pytest.mark.parametrize("n", [30, 60, 145, 200])
def test_words_pasted_from_an_article_compile_within_bounds(n, monkeypatch):
    """GIVEN n words pasted from a long article WHEN compiled THEN the words pasted twice match
    with the same clauses as once (each distinct word and pair once, and the pair where the two
    copies meet), and past their bound the bonuses
    kept are a subset with every adjacency bonus of the match field first; under it, all of them."""
    body = max((b for _, b in law_texts() if not {"(", '"'} & set(b[:2000])),  # the most varied, no groups
               key=lambda b: len(set(b[:2000].lower().split())))
    q = words_of(body, n)
    c = compiled_within_bounds(q)
    if 2 * len(q) + 1 <= MAX_QUERY_CHARS:
        twice = compiled_within_bounds(f"{q} {q}").match
        # the same clauses, but for the one pair of words where the copies meet (a long query's
        # adjacent pairs score in its match)
        assert shape(twice)[1] == shape(c.match)[1] and 0 <= shape(twice)[0] - shape(c.match)[0] <= 1
    monkeypatch.setattr(compile_module, "MAX_BONUS_CLAUSES", 10**6)
    every = Compiler().compile(SearchQuery(q=q), STAFF).bonus
    adjacency = [b for b in every if isinstance(b, Term) and b.field == "all_bi"]
    total = sum(shape(b)[0] for b in every)
    if total <= MAX_BONUS_CLAUSES:
        assert c.bonus == every  # a long query's pairs score in its match: its bonuses are few
    else:
        assert set(c.bonus) < set(every) and sum(shape(b)[0] for b in c.bonus) <= MAX_BONUS_CLAUSES
        assert set(adjacency) <= set(c.bonus) and list(c.bonus[:len(adjacency)]) == adjacency


def test_a_thousand_characters_of_every_article_are_accepted():
    """GIVEN the first 1,000 characters of each of the 2,681 articles WHEN compiled THEN none is refused."""
    for _, body in law_texts():
        compiled_within_bounds(paragraph(body))


def test_too_many_words_and_too_long_are_refused_with_vietnamese_messages():
    with pytest.raises(QueryError) as exc:
        SearchQuery(q="a " * (MAX_WORDS + 1))
    assert exc.value.code == "query_too_complex" and "từ" in exc.value.message_vi
    with pytest.raises(QueryError) as exc:
        SearchQuery(q="x" * (MAX_QUERY_CHARS + 1))
    assert exc.value.code == "query_too_long" and "ký tự" in exc.value.message_vi


def test_expansions_and_clauses_are_bounded():
    """GIVEN more distinct abbreviations than MAX_EXPANSIONS, or a số ký hiệu of hundreds of parts
    WHEN compiled THEN QueryError, not a tree past the engines' limits."""
    table = Compiler().abbr.to_long
    many = " OR ".join(sorted(table))
    if sum(len(v) for v in table.values()) > MAX_EXPANSIONS:
        with pytest.raises(QueryError):
            compiled_within_bounds(many)
    else:
        compiled_within_bounds(many)
    letters = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    parts = ("1/" + "/".join(letters))[:MAX_QUERY_CHARS].rsplit("/", 1)[0]  # each part a sub-notation, each pair a bigram
    numbers = " ".join(str(n) for n in range(1000))[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]  # each also a số ký hiệu part
    for q in (parts, numbers):
        assert len(q) <= MAX_QUERY_CHARS and len(q.replace("/", " ").split()) <= MAX_WORDS
        with pytest.raises(QueryError) as exc:
            compiled_within_bounds(q)
        assert exc.value.code == "query_too_complex" and "phức tạp" in exc.value.message_vi


# search_after ----------------------------------------------------------------------------------
@pytest.mark.parametrize("after", [["x", "y"], [1], [None, None], [1e308, 1], [], [1, 2, 3], [True, 1],
                                   [float("nan"), 1], [1, -1], [1, 2**63], [1, 1.5], "ab", 5, {"a": 1}])
@pytest.mark.parametrize("how", ["relevance", "date_desc", "date_asc"])
def test_cursors_of_the_wrong_shape_are_refused(after, how):
    """GIVEN search_after values no page ever returned WHEN a query is made THEN QueryError
    (invalid_cursor), for every sort."""
    with pytest.raises(QueryError) as exc:
        SearchQuery(q="lưu trữ", sort=how, search_after=after)
    assert exc.value.code == "invalid_cursor" and "search_after" in exc.value.message_vi


@PROPERTY
@given(cursor, sort)
def test_any_cursor_is_a_pair_of_numbers_or_refused(after, how):
    try:
        q = SearchQuery(q="lưu trữ", sort=how, search_after=after)
    except QueryError as exc:
        assert exc.code == "invalid_cursor"
        return
    if q.search_after is not None:
        primary, tb = q.search_after
        assert type(tb) is int and 0 <= tb < 2**63
        if how == "relevance":
            assert type(primary) is float and abs(primary) <= 3.5e38
        else:
            assert type(primary) is int and 0 <= primary <= DAY_MAX


def test_cursors_a_page_returns_are_accepted():
    assert SearchQuery(q="a", search_after=(3.25, 17)).search_after == (3.25, 17)
    assert SearchQuery(q="a", search_after=[3, 17]).search_after == (3.0, 17)
    assert SearchQuery(search_after=[738000, 17]).search_after == (738000, 17)  # no words: by date
    with pytest.raises(QueryError):
        SearchQuery(search_after=[2.5, 17])
    assert SearchQuery(sort="date_desc", search_after=[738000, 2**63 - 1]).search_after == (738000, 2**63 - 1)
    assert SearchQuery(sort="date_asc", search_after=[0.0, 5.0]).search_after == (0, 5)
