"""The Decree 30 parser on OCR text (``ingest.describe.ocr_text``): typical misreadings of a
scanned header are repaired, the confidence is lower than for born-digital text, declared values
still win, and any text whatsoever parses or declines without raising."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.describe import Description, parse_document
from ingest.describe.ocr_text import parse_ocr_document, repair_header
from kit.corpus.generator import generate_text, random_doc_spec

HEADER = """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH HÀ NAM Độc lập - Tự do - Hạnh phúc
Số: 1234/QĐ-UBND Hà Nam, ngày 05 tháng 3 năm 2024
QUYẾT ĐỊNH
Về việc phê duyệt kế hoạch chuyển đổi số năm 2024
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH HÀ NAM
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
"""

MISREAD = [
    # (what Tesseract gave, what it replaces)
    ("Dộc lập - Tự do - Hạnh phủc", "Độc lập - Tự do - Hạnh phúc"),
    ("CỘNG HÒA XÃ HỘĨ CHỦ NGHIA VIỆT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("Số: 1234/QD-UBND", "Số: 1234/QĐ-UBND"),
    ("Sô: l234/QĐ-UBND", "Số: 1234/QĐ-UBND"),
    ("ngày 05 tháng 3 năm 2O24", "ngày 05 tháng 3 năm 2024"),
    ("ngảy 05 thảng 3 năm 2024", "ngày 05 tháng 3 năm 2024"),
    ("ngày 05 tháng 3\nnăm 2024", "ngày 05 tháng 3 năm 2024"),
    ("Số: 1234/QĐ-\nUBND Hà Nam,", "Số: 1234/QĐ-UBND Hà Nam,"),
    ("Số:-1234/QĐ-UBND", "Số: 1234/QĐ-UBND"),  # a red stamp's edge read as a dash (test_ocr_stamps.py)
]


@pytest.mark.parametrize("wrong,right", MISREAD)
def test_an_ocr_misreading_of_the_header_still_gives_number_and_date(wrong, right):
    text = HEADER.replace(right, wrong)
    assert text != HEADER, "the misreading must be in the text"
    born_digital = parse_document(HEADER)
    parsed, _repairs = parse_ocr_document(text)
    assert parsed.value("so_ky_hieu") == "1234/QĐ-UBND"
    assert parsed.value("issued_date") == dt.date(2024, 3, 5)
    assert parsed.value("place") == "Hà Nam"
    for name in ("so_ky_hieu", "issued_date"):
        f = parsed.fields[name]
        assert "ocr_text" in f.flags
        assert f.confidence < born_digital.fields[name].confidence


def test_without_repair_the_same_misreadings_lose_fields():
    """The repair is what reads them: the plain parser misses the date of a broken or misread line."""
    for wrong, right in MISREAD[4:7]:
        assert parse_document(HEADER.replace(right, wrong)).value("issued_date") is None


def test_repairs_touch_the_header_only_and_keep_body_text():
    body = "\n".join(["Điều 1. Phê duyệt kế hoạch."] * 50) + "\nngảy 05 thảng 3 năm 2O24 ở thân văn bản"
    text, repairs = repair_header(HEADER.replace("Độc lập", "Dộc lập") + body)
    assert "Độc lập - Tự do - Hạnh phúc" in text and repairs == ["phrase"]
    assert text.endswith("ngảy 05 thảng 3 năm 2O24 ở thân văn bản")
    assert "Căn cứ Luật Tổ chức chính quyền địa phương" in text


def test_a_body_line_in_lower_case_is_not_turned_into_the_heading_phrase():
    text, _ = repair_header("Kính gửi: Ủy ban nhân dân tỉnh Hà Nam\n")
    assert text == "Kính gửi: Ủy ban nhân dân tỉnh Hà Nam\n"


def test_declared_metadata_wins_over_the_ocr_reading():
    parsed, _ = parse_ocr_document(HEADER.replace("Số: 1234/QĐ-UBND", "Số: 1284/QD-UBND"))
    merged = parsed.merged({"number": "1234", "issued_date": "2024-03-06"})
    assert merged.value("number") == "1234" and merged.fields["number"].source == "declared"
    assert merged.value("issued_date") == dt.date(2024, 3, 6)


@pytest.mark.parametrize("seed", range(6))
def test_generated_documents_parse_alike_through_the_ocr_path(seed):
    """On clean text the OCR path reads what the born-digital path reads (with lower confidence)."""
    spec = random_doc_spec(random.Random(seed), marks=False)
    text = generate_text(spec)
    plain = parse_document(text)
    ocr, _ = parse_ocr_document(text)
    for name in ("so_ky_hieu", "issued_date", "place", "doc_type"):
        assert ocr.value(name) == plain.value(name), name


OCR_NOISE = st.sampled_from(list("ĐđDdOo0lI1|SsB8 \n\t-/:.,ạảãàáâậầấẩẫăắằẳẵặẹẻẽèéêếềểễệĩịỏọốồổỗộơớờởỡợụủũưừứửữựỳỵỷỹ"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.lists(OCR_NOISE, max_size=400).map("".join),
                 st.builds(lambda a, b, c: a + HEADER[b:c], st.text(max_size=50), st.integers(0, len(HEADER)),
                           st.integers(0, len(HEADER)))))
def test_any_text_parses_or_declines_and_never_raises(text):
    repaired, repairs = repair_header(text)
    assert isinstance(repaired, str) and isinstance(repairs, list)
    assert repaired.count("\n") <= text.count("\n")
    parsed, _ = parse_ocr_document(text)
    assert isinstance(parsed, Description)
    for f in parsed.fields.values():
        assert 0 <= f.confidence <= 0.85 and "ocr_text" in f.flags
