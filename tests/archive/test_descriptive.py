"""Property tests of what people type for a correction: the ``--set field=value`` parser and the
value checks (``archive.descriptive``). Any text is either accepted — stored as NFC, trimmed,
within Decree 30's lengths — or refused with a clear Vietnamese error; never another exception."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.descriptive import EDITABLE, PROTECTED, InvalidCorrection, fold, parse_assignment, validate

FIELDS = sorted(EDITABLE)
any_text = st.text(alphabet=st.characters(codec="utf-8") | st.characters(), max_size=600)
vietnamese = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụ"
                              "ứừửữựýỳỷỹỵ ÁÀĐẠẮẤÉÊỆÔƠƯ0123456789/-.,()", max_size=120)


def _refused(exc: InvalidCorrection) -> None:
    assert exc.message_vi and str(exc)
    assert all(vi and en for en, vi in exc.problems)


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_the_set_parser_accepts_field_equals_value_or_says_why_not(text):
    try:
        name, value = parse_assignment(text)
    except InvalidCorrection as exc:
        _refused(exc)
        head, sep, _ = text.partition("=")
        field = unicodedata.normalize("NFC", head).strip().lower().replace("-", "_")
        assert not sep or field not in EDITABLE
        return
    assert name in EDITABLE
    assert text.partition("=")[2] == value  # the value exactly as typed, '=' inside it kept


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FIELDS), st.sampled_from(["", " ", "  "]), any_text)
def test_a_known_field_is_parsed_whatever_the_value(field, pad, value):
    assert parse_assignment(f"{pad}{field.upper()}{pad}={value}") == (field, value)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELDS), any_text | vietnamese)
def test_any_text_for_any_field_is_accepted_as_nfc_or_refused_clearly(field, text):
    spec = EDITABLE[field]
    try:
        out = validate({field: text})
    except InvalidCorrection as exc:
        _refused(exc)
        assert field in exc.message_vi or spec.label in exc.message_vi
        return
    value = out[field]
    if value is None:
        assert not text.strip() and not spec.required
        return
    if spec.kind == "text":
        assert value == unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).strip())
        assert unicodedata.is_normalized("NFC", value) and len(value) <= spec.max_length
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in value)
    elif spec.kind == "enum":
        assert value in spec.choices and spec.aliases[fold(text)] == value
    elif spec.kind == "date":
        assert isinstance(value, date)
    elif spec.kind == "int":
        assert isinstance(value, int) and 1 <= value <= spec.maximum
    else:
        assert all(unicodedata.is_normalized("NFC", r["organ_name"]) and len(r["organ_name"]) <= 200 for r in value)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
                           max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([*FIELDS, *PROTECTED]) | any_text, json_values, max_size=4))
def test_any_json_object_is_checked_or_refused_clearly(changes):
    try:
        out = validate(changes)
    except InvalidCorrection as exc:
        _refused(exc)
        return
    assert set(out) <= set(EDITABLE) and set(out) == {unicodedata.normalize("NFC", k).strip() for k in changes}


@pytest.mark.parametrize(("text", "expected"), [
    ("05/03/2025", date(2025, 3, 5)), ("5/3/2025", date(2025, 3, 5)), ("2025-03-05", date(2025, 3, 5)),
    ("29/02/2024", date(2024, 2, 29)), ("05.03.2025", date(2025, 3, 5)),
])
def test_dates_as_people_write_them(text, expected):
    assert validate({"issued_date": text})["issued_date"] == expected


@pytest.mark.parametrize(("field", "text", "expected"), [
    ("access_level", "Công khai", "public"), ("access_level", "NOI BO", "internal"), ("access_level", "mật", "secret"),
    ("security_level", "tối mật", "TỐI MẬT"), ("urgency", "Hoả tốc", "HỎA TỐC"), ("direction", "đến", "incoming"),
    ("recipients", "Sở Nội vụ; ; Sở Tài chính ", [{"organ_name": "Sở Nội vụ"}, {"organ_name": "Sở Tài chính"}]),
])
def test_enumerations_take_what_people_type(field, text, expected):
    assert validate({field: text})[field] == expected
