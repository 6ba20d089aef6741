"""Declared metadata (``ingest.declared.DeclaredMetadata``): the one check every entry point uses."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ingest.declared import DEPOSIT_FIELDS, IMPORT_FIELDS, DeclaredMetadata, InvalidDeclared, assignments
from ingest.pipeline import Rejected


def test_values_people_type_are_read_into_canonical_ones():
    m = DeclaredMetadata.parse({"issued_date": "5/3/2026", "access_level": "Công khai", "urgency": "hoả tốc",
                                "direction": "đến", "subject": f"  {unicodedata.normalize('NFD', 'Về việc')}  ",
                                "code_number": 12,
                                "type_name": ""}, fields=DEPOSIT_FIELDS)
    assert m.issued_date == date(2026, 3, 5) and m.access_level == "public" and m.urgency == "HỎA TỐC"
    assert m.direction == "incoming" and m.code_number == "12" and m.type_name is None
    assert m.subject == "Về việc" and unicodedata.is_normalized("NFC", m.subject)
    assert m.as_json() == {"issued_date": "2026-03-05", "access_level": "public", "urgency": "HỎA TỐC",
                           "direction": "incoming", "subject": "Về việc", "code_number": "12"}
    assert DeclaredMetadata.parse(m.as_json()) == m
    assert DeclaredMetadata.parse({"issued_date": "2026-03-05"}).issued_date == date(2026, 3, 5)


@pytest.mark.parametrize(("given_", "words"), [
    ({"issued_date": "31/02/2026"}, "Ngày ban hành (issued_date): «31/02/2026» không phải ngày hợp lệ"),
    ({"issued_date": "2026/13/01"}, "không phải ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"),
    ({"access_level": "tuyệt mật"}, "Mức độ tiếp cận (access_level): «tuyệt mật» không hợp lệ; chọn một trong "
                                    "public, internal, restricted, secret"),
    ({"urgency": "rất gấp"}, "Độ khẩn (urgency): «rất gấp» không hợp lệ"),
    ({"direction": "sang"}, "Văn bản đi/đến (direction)"),
    ({"subject": "x" * 501}, "Trích yếu nội dung (subject) dài 501 ký tự, Nghị định 30 cho phép tối đa 500"),
    ({"code_number": "123456789012"}, "Số văn bản (code_number) dài 12 ký tự"),
    ({"signer_name": "Nguyễn\u202eVăn A"}, "Người ký (signer_name) chứa ký tự điều khiển hoặc ký tự ẩn (U+202E)"),
    ({"so_ky_hieu": "12/UBND"}, "Trường siêu dữ liệu không hợp lệ: «so_ky_hieu»"),
    ({"subject": ["a list"]}, "Trích yếu nội dung (subject) phải là chuỗi ký tự"),
])
def test_bad_values_are_refused_with_the_field_and_the_reason_in_vietnamese(given_, words):
    with pytest.raises(InvalidDeclared) as caught:
        DeclaredMetadata.parse(given_, fields=DEPOSIT_FIELDS)
    exc = caught.value
    assert isinstance(exc, Rejected) and exc.code == "invalid_metadata"
    assert exc.message_vi.startswith("Siêu dữ liệu khai báo không hợp lệ: ") and words in exc.message_vi
    assert exc.message_en.startswith("the declared metadata is invalid: ")
    with pytest.raises(ValidationError):  # the model itself never holds an unchecked value
        DeclaredMetadata(**given_)


def test_every_problem_is_named_at_once():
    with pytest.raises(InvalidDeclared) as caught:
        DeclaredMetadata.parse({"issued_date": "hôm qua", "access_level": "mở", "tieu_de": "x"})
    assert len(caught.value.problems) == 3


def test_importer_fields_are_not_for_a_depositors_form():
    m = DeclaredMetadata.parse({"page_amount": "3", "recipients": "Sở Nội vụ; Sở Tài chính", "series": "Tổng hợp"})
    assert m.page_amount == 3 and m.recipients == [{"organ_name": "Sở Nội vụ"}, {"organ_name": "Sở Tài chính"}]
    by_id = DeclaredMetadata.parse({"recipients": [{"organ_id": "000.00.00.G22"}, {"organ_name": " Sở Y tế "}]})
    assert by_id.recipients == [{"organ_id": "000.00.00.G22"}, {"organ_name": "Sở Y tế"}]  # an edXML To by id
    with pytest.raises(InvalidDeclared):
        DeclaredMetadata.parse({"recipients": [{"organ_id": "x\u202e"}]})
    with pytest.raises(InvalidDeclared, match="page_amount"):
        DeclaredMetadata.parse({"page_amount": "3"}, fields=DEPOSIT_FIELDS)


def test_assignments_of_the_command_line():
    assert assignments(["Issued-Date=15/03/2026", "subject=a=b"]) == {"issued_date": "15/03/2026", "subject": "a=b"}
    with pytest.raises(InvalidDeclared) as caught:
        assignments(["subject"])
    assert "TRƯỜNG=GIÁ_TRỊ" in caught.value.message_vi and "«subject»" in caught.value.message_vi


_keys = st.one_of(st.sampled_from(DEPOSIT_FIELDS + IMPORT_FIELDS), st.text(max_size=12))
_values = st.one_of(
    st.none(), st.text(max_size=40), st.integers(min_value=-10, max_value=10**13), st.booleans(),
    st.floats(allow_nan=True), st.dates(), st.sampled_from(["15/03/2026", "2026-03-15", "31/02/2026", "công khai",
                                                             "KHẨN", "hoả tốc", "đi", " ", "MẬT", "Cộng hòa"]),
    st.lists(st.one_of(st.text(max_size=10), st.dictionaries(st.text(max_size=12), st.text(max_size=12),
                                                             max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6), st.booleans())
def test_any_input_gives_a_valid_nfc_model_or_a_clear_error(data, deposit_only):
    """Whatever a form, a file or a manifest holds: a model whose text is NFC and that reads back
    from its JSON to itself, or ``InvalidDeclared`` with a Vietnamese message — never another error."""
    try:
        m = DeclaredMetadata.parse(data, fields=DEPOSIT_FIELDS if deposit_only else None)
    except InvalidDeclared as exc:
        assert exc.code == "invalid_metadata" and exc.problems
        assert all(vi and en for en, vi in exc.problems)
        assert exc.message_vi.startswith("Siêu dữ liệu khai báo không hợp lệ: ")
        return
    for value in m.given().values():
        texts = [value] if isinstance(value, str) else [
            v for r in value for v in r.values()] if isinstance(value, list) else []
        assert all(t == unicodedata.normalize("NFC", t) and t == t.strip() and t for t in texts)
    assert DeclaredMetadata.parse(m.as_json()) == m
    assert DeclaredMetadata.model_validate(m.as_json()) == m
    if deposit_only:
        assert set(m.given()) <= set(DEPOSIT_FIELDS)


@given(st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), max_size=2)))
def test_not_an_object_is_a_clear_error(data):
    with pytest.raises(InvalidDeclared) as caught:
        DeclaredMetadata.parse(data)  # type: ignore[arg-type]
    assert "các cặp trường" in caught.value.message_vi
