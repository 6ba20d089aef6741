"""The search page's URL state (``api.web.search_form``): Hypothesis on the parser — it never
fails, whatever the query string, and what it builds it reads back as the same search."""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl

from hypothesis import given, settings
from hypothesis import strategies as st

from api.web.search_form import ENUMS, MULTI, SORTS, SearchForm, parse

NAMES = st.sampled_from(["q", *MULTI, "year", "sort", "after", "page", "utm_source", "", "Q", "type[]"])
pairs = st.lists(st.tuples(NAMES, st.text(max_size=40) | st.sampled_from(["2024", "0", "99999", "date_desc",
                                                                             "public", "secret", "  "])), max_size=30)


def _value(name: str):
    if name in ENUMS:
        return st.sampled_from(ENUMS[name])
    return st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "M")), min_size=1, max_size=30) \
        .map(lambda s: unicodedata.normalize("NFC", s).strip()).filter(bool)


forms = st.builds(
    lambda q, filters, year, sort, after, page: SearchForm(q=q, filters=filters, year=year, sort=sort, after=after,
                                                           page=page if after else 1),
    q=_value("q") | st.just(""),
    filters=st.dictionaries(st.sampled_from(MULTI), st.just(None), max_size=4).flatmap(
        lambda d: st.fixed_dictionaries({k: st.lists(_value(k), min_size=1, max_size=4, unique=True).map(tuple)
                                         for k in d})),
    year=st.none() | st.integers(1, 9999), sort=st.sampled_from(SORTS),
    after=st.none() | st.from_regex(r"\A[A-Za-z0-9_-]{1,80}\Z"), page=st.integers(1, 500))


@settings(max_examples=400, deadline=None)
@given(pairs)
def test_any_query_string_gives_a_search_and_never_an_error(items):
    form = parse(items)
    assert form.sort in SORTS and len(form.q) <= 1000
    assert form.year is None or 1 <= form.year <= 9999
    for name, values in form.filters.items():
        assert name in MULTI and 1 <= len(values) <= 20 and len(set(values)) == len(values)
        assert all(v == unicodedata.normalize("NFC", v) and v.strip() == v and v for v in values)
        if name in ENUMS:
            assert set(values) <= set(ENUMS[name])
    assert form.page == 1 or form.after
    params = form.api_params(size=20)  # what the API's search receives is always well-formed
    assert params["size"] == 20 and params["q"] == form.q


@settings(max_examples=300, deadline=None)
@given(forms)
def test_the_url_of_a_search_reads_back_as_the_same_search(form):
    assert parse(parse_qsl(form.query_string(), keep_blank_values=True)) == form
    assert parse(form.pairs()) == form


@settings(max_examples=200, deadline=None)
@given(forms, st.sampled_from(MULTI), st.data())
def test_choosing_a_facet_value_twice_undoes_it_and_goes_back_to_the_first_page(form, name, data):
    value = data.draw(_value(name))
    once = form.toggled(name, value)
    assert once.selected(name, value) != form.selected(name, value) and once.after is None and once.page == 1
    twice = once.toggled(name, value)
    assert twice.selected(name, value) == form.selected(name, value)
    assert {k: set(v) for k, v in twice.filters.items()} == {k: set(v) for k, v in form.filters.items()}
    assert parse(twice.pairs()).filters.keys() == twice.filters.keys()


def test_what_cannot_be_meant_is_dropped_and_named():
    form = parse([("sort", "price"), ("year", "năm ngoái"), ("access_level", "top-secret"), ("type", "a\x00b"),
                  ("after", "not a token!"), ("q", "  quyết định  "), ("type", "Quyết định"), ("type", "Quyết định")])
    assert form.q == "quyết định" and form.filters == {"type": ("Quyết định",)}
    assert set(form.dropped) == {"sort", "year", "access_level", "type", "after"}
    assert form.sort == "relevance" and form.year is None and form.after is None
