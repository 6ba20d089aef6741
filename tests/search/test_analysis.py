"""Tantivy's analyzers (embedded index) and ``search.analysis`` (query time, OpenSearch streams)
must produce the same tokens, or a query would miss what the index holds."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest

from search.analysis import bigram_sources, bigrams, exact_tokens, fold_tokens, normalize_tones
from search.corpus import synthetic
from search.embedded import bigram_analyzer, exact_analyzer, fold_analyzer

TEXTS = [
    "Ủy ban nhân dân Thành phố Hà Nội — Uỷ ban; hoà giải, thuỷ lợi, khoẻ mạnh, quý, QUỸ, HOÀ BÌNH.",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020; Đường Điện Biên Phủ (đ, Đ).",
    "snake_case_word and a__b __x y_ 2024–2025 COVID-19 …",
    unicodedata.normalize("NFD", "Đề án chỉnh lý tài liệu tồn đọng giai đoạn 2024–2025."),
    "",
    "một",
] + [d.body for d in synthetic(5, seed=3)]


@pytest.mark.parametrize("text", TEXTS)
def test_tantivy_analyzers_agree_with_python(text):
    text = unicodedata.normalize("NFC", text)
    assert fold_analyzer().analyze(text) == fold_tokens(text)
    assert exact_analyzer().analyze(normalize_tones(text)) == exact_tokens(text)
    first, second = bigram_sources(text)
    produced = bigram_analyzer().analyze(first) + bigram_analyzer().analyze(second)
    assert Counter(produced) == Counter(bigrams(fold_tokens(text)))


def test_tone_placement_is_canonical():
    assert normalize_tones("Uỷ ban hoà giải thuỷ lợi khoẻ") == "Ủy ban hòa giải thủy lợi khỏe"
    assert normalize_tones("quý toàn HOÀ") == "quý toàn HÒA"
