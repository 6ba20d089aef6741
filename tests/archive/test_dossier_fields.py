"""The dossier fields of Decree 30 Phụ lục VI mục III and the mã hồ sơ: pure validation, checked with
examples a careless user types and with Hypothesis over arbitrary input."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.dossier_fields import (
    InvalidDossier,
    clean,
    code_for,
    effective_dates,
    parse_code,
    parse_date,
)

TODAY = date(2026, 6, 1)
organs = st.from_regex(r"\A\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\Z")
years = st.integers(1000, TODAY.year + 1)
segment = st.from_regex(r"\A[0-9A-ZĐ]{1,5}(-[0-9A-ZĐ]{1,3})?\Z")
notations = st.builds(lambda n, segs: ".".join([n, *segs]), st.from_regex(r"\A\d{1,4}\Z"),
                      st.lists(segment, max_size=3)).filter(lambda n: len(n) <= 20)
dates = st.dates(date(1000, 1, 1), date(2100, 12, 31))


def _problems(values, **kw) -> dict[str, str]:
    with pytest.raises(InvalidDossier) as err:
        clean(values, today=TODAY, **kw)
    assert err.value.message_vi.startswith("Thông tin hồ sơ không hợp lệ")
    return {p.field: p.message_vi for p in err.value.problems}


def test_valid_fields_are_normalised():
    out = clean({"year": "2025", "notation": " 01.tccb ", "title": "  Hồ sơ tổ chức cán bộ  ",
                 "start_date": "1/1/2025", "end_date": "2025-12-31", "access_regime": "Hạn chế",
                 "catalogue_number": "01", "sheet_total": "12", "creator": "Trần Thị Bình"}, today=TODAY)
    assert out == {"year": 2025, "notation": "01.TCCB", "title": "Hồ sơ tổ chức cán bộ",
                   "start_date": date(2025, 1, 1), "end_date": date(2025, 12, 31), "access_regime": "restricted",
                   "catalogue_number": "01", "sheet_total": 12, "creator": "Trần Thị Bình"}
    decomposed = "Ho\u0302\u0300 so\u031b"  # "Hồ sơ" typed in NFD
    assert clean({"title": decomposed}, today=TODAY)["title"] == "Hồ sơ"


def test_every_problem_is_reported_at_once_in_vietnamese():
    """GIVEN a form with five mistakes WHEN checked THEN all five are named, each in Vietnamese."""
    problems = _problems({"year": "25", "notation": "TCCB/01", "title": "x" * 501, "creator": "y" * 31,
                          "access_regime": "mật"})
    assert set(problems) == {"year", "notation", "title", "creator", "access_regime"}
    assert "4 chữ số" in problems["year"]
    assert "01.TCCB" in problems["notation"]
    assert "501 ký tự, tối đa 500" in problems["title"]
    assert "tối đa 30" in problems["creator"]
    assert "public (Công khai)" in problems["access_regime"]


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"start_date": "31/12/2025", "end_date": "01/01/2025"}, "end_date", "trước thời gian bắt đầu"),
    ({"year": "2205"}, "year", "chưa đến"),
    ({"year": True}, "year", "4 chữ số"),
    ({"notation": "01.TCCB.QUA-DAI-HAI-MUOI"}, "notation", "tối đa 20"),
    ({"notation": ""}, "notation", "01.TCCB"),
    ({"title": "   "}, "title", "không được để trống"),
    ({"title": None}, "title", "không được để trống"),
    ({"access_regime": None}, "access_regime", "không được để trống"),
    ({"language": None}, "language", "không được để trống"),
    ({"title": "Hồ sơ\u202egnp.exe"}, "title", "ký tự điều khiển"),
    ({"start_date": "30/02/2025"}, "start_date", "không phải ngày"),
    ({"end_date": "0999-01-01"}, "end_date", "4 chữ số"),
    ({"sheet_total": "-3"}, "sheet_total", "số tự nhiên"),
    ({"catalogue_number": "MỤC LỤC 1"}, "catalogue_number", "tối đa 10"),
    ({"doc_total": 5}, "doc_total", "hệ thống tự tính"),
    ({"page_total": 5}, "page_total", "hệ thống tự tính"),
    ({"code": "x"}, "code", "Không sửa trực tiếp"),
    ({"colour": "đỏ"}, "colour", "Không có trường"),
])
def test_invalid_values_are_refused(values, field, words):
    problems = _problems(values)
    assert field in problems and words in problems[field], problems


def test_an_edit_of_one_date_is_checked_against_the_other_declared_one():
    declared = {"start_date": date(2025, 6, 1), "end_date": None}
    assert _problems({"end_date": "31/05/2025"}, declared=declared)["end_date"].startswith("Thời gian kết thúc 31/05")
    assert clean({"end_date": "01/06/2025"}, declared=declared, today=TODAY) == {"end_date": date(2025, 6, 1)}
    assert clean({"start_date": None}, declared=declared, today=TODAY) == {"start_date": None}


@given(organs, years, notations)
def test_the_code_is_built_from_its_parts_and_split_back(organ, year, notation):
    """mã hồ sơ = OrganId.year.notation fits the column (40) and splits back into the same parts."""
    code = code_for(organ, year, notation)
    assert len(code) <= 40 and code.startswith(f"{organ}.{year:04d}.")
    assert parse_code(code) == (organ, year, notation)
    assert parse_code(f"  {code.lower()} ") == (organ, year, notation)  # as typed
    assert clean({"year": year, "notation": notation.lower()}, today=TODAY) == {"year": year, "notation": notation}


@given(st.text(max_size=60))
def test_parse_code_accepts_only_codes(text):
    try:
        organ, year, notation = parse_code(text)
    except InvalidDossier as exc:
        assert exc.problems and exc.message_vi
        return
    assert code_for(organ, year, notation) == unicodedata.normalize("NFC", text).strip().upper()


LIMITS = {"title": 500, "creator": 30, "language": 50, "description": 500, "notation": 20, "catalogue_number": 10}
printable = st.characters(categories=("L", "N", "P", "Zs"))
field_values = st.one_of(st.none(), st.text(max_size=40), st.from_regex(r"\A\d{1,4}(\.[A-Za-zĐđ]{1,9})*\Z"),
                         st.integers(-10**12, 10**12), st.booleans(), dates, st.floats(allow_nan=True))


def values_for(name: str):
    """Any value, and for a text field texts around its own length limit (random text alone is
    rarely that long, and rarely free of control characters)."""
    limit = LIMITS.get(name)
    if limit is None:
        return field_values
    near = st.text(printable, min_size=max(0, limit - 3), max_size=limit + 3)
    if name in ("notation", "catalogue_number"):
        near = st.from_regex(rf"\A\d{{1,4}}(\.[A-Z]{{1,{limit}}}){{1,3}}\Z")
    return st.one_of(near, field_values)


FIELDS = ["year", "notation", "title", "creator", "language", "description", "access_regime", "start_date",
          "end_date", "sheet_total", "catalogue_number", "doc_total", "unknown"]


def _within_the_decree(out: dict) -> None:
    for key, value in out.items():
        if isinstance(value, str):
            assert len(value) <= LIMITS[key] and value == value.strip()
    if "year" in out:
        assert 1000 <= out["year"] <= TODAY.year + 1
    if out.get("start_date") and out.get("end_date"):
        assert out["start_date"] <= out["end_date"]


@settings(max_examples=400)
@given(st.sampled_from(FIELDS).flatmap(lambda name: st.tuples(st.just(name), values_for(name))))
def test_clean_never_lets_through_what_phu_luc_vi_forbids(field):
    """GIVEN any value for any field WHEN checked THEN either a list of problems, or a value within
    the decree's lengths and forms (never another exception)."""
    name, value = field
    try:
        out = clean({name: value}, today=TODAY)
    except InvalidDossier as exc:
        assert exc.problems and all(p.message_vi for p in exc.problems)
        return
    _within_the_decree(out)


@given(st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=8))
def test_clean_checks_whole_forms(form):
    try:
        out = clean(form, today=TODAY)
    except InvalidDossier as exc:
        assert {p.field for p in exc.problems} <= set(form)
        return
    _within_the_decree(out)


@given(st.none() | dates, st.none() | dates, st.lists(dates, max_size=6))
def test_effective_dates_cover_the_declared_period_and_every_document(start, end, issued):
    """The effective period holds the declared one and every document: never narrower."""
    if start and end and end < start:
        start, end = end, start
    first, last = (min(issued), max(issued)) if issued else (None, None)
    s, e = effective_dates(start, end, first, last)
    for d in issued:
        assert s <= d <= e
    if start:
        assert s <= start
    if end:
        assert end <= e
    if s and e:
        assert s <= e
    assert (s is None) == (start is None and not issued) and (e is None) == (end is None and not issued)


def test_dates_as_people_and_systems_write_them():
    assert parse_date("5/7/2025") == parse_date("05/07/2025") == parse_date("2025-07-05") == date(2025, 7, 5)
    for bad in ("2025/07/05", "32/01/2025", "hôm nay", "", "05-07-2025"):
        with pytest.raises(ValueError):
            parse_date(bad)
