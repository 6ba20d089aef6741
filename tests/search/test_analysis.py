"""Tantivy's analyzers (embedded index) and ``search.analysis`` (query time, OpenSearch streams)
must produce the same tokens, or a query would miss what the index holds."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest

from kit.search_corpus import synthetic
from search.analysis import (
    bigram_sources,
    bigrams,
    default_abbreviations,
    exact_tokens,
    fold_tokens,
    normalize_tones,
    skh_normal,
    skh_tokens,
    split_skh,
    syllables,
)
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


def test_spelt_out_abbreviations_are_found_in_any_case_tone_placement_or_without_diacritics():
    table = default_abbreviations()

    def found(text):
        return table.found(syllables(unicodedata.normalize("NFC", text)))

    assert found("UỶ BAN NHÂN DÂN thành phố Hà Nội") == {"ubnd", "tp"}
    assert "ubnd" in found("Uỷ ban nhân dân") and "ubnd" in found("uy ban nhan dan")
    assert "ubnd" in found("Ủy\nban  nhân,dân")  # syllables, whatever separates them
    assert "ubnd" in found(unicodedata.normalize("NFD", "Ủy ban nhân dân"))
    assert "ubnd" not in found("Ủy ban Kiểm tra; ban nhân dân")
    assert "qd" not in found("quyết toán định mức") and "qd" in found("Quyết định")


def test_opensearch_streams_hold_what_the_embedded_index_holds():
    """The bigrams of every text field and the abbreviations found: the streams OpenSearch indexes
    in ``all_bi`` and (through ``all``) ``abbr`` are the tokens the embedded backend indexes."""
    from search.document import IndexDocument

    d = IndexDocument("x", title="Về việc lưu trữ", body="Ủy ban nhân dân Thành phố yêu cầu",
                      organ_name="UBND thành phố Hà Nội", type_name="Công văn")
    streams = d.analysed()
    expected = []
    for text in d.texts().values():
        first, second = bigram_sources(text)
        expected += bigram_analyzer().analyze(first) + bigram_analyzer().analyze(second)
    assert Counter(streams["all_bi"].split()) == Counter(expected)
    assert streams["abbr"].split() == ["cv", "tp", "ubnd"]


def test_abbreviations_do_not_span_two_texts():
    table = default_abbreviations()
    assert table.found(syllables("Ủy ban"), syllables("nhân dân")) == set()
    assert table.found(syllables("Ủy ban nhân dân"), []) == {"ubnd"}


@pytest.mark.parametrize("number,notation,year", [
    ("9545", "UBND-THCB", 2020), ("64", "2007/NĐ-CP", 2007), ("15", "CT-TTg", None), ("12a", "QĐ-UBND", 2021),
    (None, "UBND-VP", 2020), ("7", None, 2020), ("0012", "2021/TT-BNV", 2021), ("12", "12/QĐ", None),
    ("5", "Kh–UBND", 2022)])
def test_skh_tokens_of_the_usual_case_are_those_of_the_whole_number(number, notation, year):
    """The cached path (a number of digits and a notation) gives the tokens of splitting the whole."""
    whole = "/".join(x for x in (number, notation) if x)
    sp = split_skh(whole)
    expected = [t for t in (sp.full, sp.notation) if t] + list(sp.sub_notations + sp.parts + sp.years)
    if number:
        expected += [skh_normal(number)] + ([str(int(number))] if number.isdigit() else [])
    expected += [str(year)] if year else []
    assert skh_tokens(number, notation, year) == list(dict.fromkeys(expected))
