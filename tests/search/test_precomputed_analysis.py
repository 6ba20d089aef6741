"""The body analysis the extraction worker makes (``search.analysis.BodyAnalysis``) gives the same
index document as the analysis the index would make itself, for any text; it is used once, for
the same text only, and the cache of them stays bounded."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import BodyAnalysis, PrecomputedAnalyses
from search.document import IndexDocument
from search.embedded import EmbeddedSearchBackend

# Vietnamese letters with every tone, separators of every kind (the part separator \x00 included),
# digits, underscores, other scripts: what an extractor hands over from a careless or hostile file.
ALPHABET = st.sampled_from(list("aăâeêioôơuưyđAĐ") + list("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệ") + list("Ủủỳýỷỹỵòóỏõọờớởỡợ")
                           + list(" \t\n\r\x00_-–—.,;:/()\"'«»…ǂ0123456789") + ["\u0301", "\u0323", "日", "Ж", "😀"])
TEXTS = st.lists(ALPHABET, max_size=400).map("".join)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKEND = EmbeddedSearchBackend(None)


def _document(text: str) -> dict:
    body = unicodedata.normalize("NFC", text)
    return BACKEND._document(IndexDocument(record_id="r1", title="Về việc chỉnh lý tài liệu", body=body,
                                           organ_name="Ủy ban nhân dân tỉnh")).to_dict()


@PROPERTY
@given(TEXTS)
def test_a_document_from_the_workers_analysis_is_the_one_the_index_makes(text):
    """GIVEN any text WHEN its analysis is serialised (as the worker writes it) and taken back by
    the index THEN the index document is the same as without it, and the analysis is used up."""
    body = unicodedata.normalize("NFC", text)
    expected = _document(text)
    BACKEND.precomputed.offer(body, BodyAnalysis.serialise(body))
    assert _document(text) == expected
    assert BACKEND.precomputed.take(body) is None


def test_an_analysis_serves_only_its_own_text_once():
    """GIVEN an analysis offered for a text WHEN another text (the OCR's, a cut one) is indexed THEN
    it finds nothing; the text itself takes it once."""
    cache = PrecomputedAnalyses()
    text = "Ủy ban nhân dân tỉnh Nghệ An chỉnh lý tài liệu"
    cache.offer(text, BodyAnalysis.serialise(text))
    assert cache.take(text[:-3]) is None and cache.take(text + " ") is None
    taken = cache.take(text)
    assert taken is not None and taken.joined.split(" ")[:3] == ["Ủy", "ban", "nhân"]
    assert cache.take(text) is None and len(cache) == 0


def test_the_cache_of_analyses_is_bounded_by_number_and_characters():
    """GIVEN more analyses than the cache keeps (documents rejected after extraction never take
    theirs) WHEN more are offered THEN the oldest go, by number and by the characters held (text
    and analysis), and a text whose analysis would pass the bound alone is not kept at all."""
    cache = PrecomputedAnalyses(keep=3, max_chars=1000)
    texts = [f"văn bản số {i}" for i in range(5)]
    for t in texts:
        cache.offer(t, BodyAnalysis.serialise(t))
    assert len(cache) == 3 and cache.take(texts[0]) is None and cache.take(texts[4]) is not None
    cache = PrecomputedAnalyses(keep=10, max_chars=100)
    x, y = "x" * 30, "y" * 30
    cache.offer(x, "x" * 25 + "\x00\x00")
    cache.offer(y, "y" * 25 + "\x00\x00")  # 57 + 57 characters held: x goes
    assert cache.take(x) is None and cache.take(y) is not None and cache._chars == 0
    cache.offer("z" * 40, "z" * 59 + "\x00\x00")  # 101 alone
    assert cache.take("z" * 40) is None and len(cache) == 0 and cache._chars == 0
    cache.offer(x, "a\x00\x00")
    cache.offer(x, "b\x00\x00")  # offered again: replaced, counted once
    assert cache._chars == 33 and cache.take(x) == BodyAnalysis("b", "", "")
