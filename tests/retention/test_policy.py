"""Pure policy: periods, due dates, rule priority, the dossier maximum."""

from __future__ import annotations

from datetime import date

import pytest

from retention.policy import (
    Action,
    Assignment,
    Criteria,
    Period,
    PolicyError,
    Rule,
    ScheduleItem,
    Trigger,
    classify,
    disposal_date,
    due,
    fold,
    longest,
)


@pytest.mark.parametrize("value, years, permanent", [
    ("permanent", None, True), ("Vĩnh viễn", None, True), (2, 2, False), ("70", 70, False), ("10 năm", 10, False)])
def test_periods_parse(value, years, permanent):
    p = Period.parse(value)
    assert (p.years, p.permanent) == (years, permanent)


@pytest.mark.parametrize("bad", [0, 1, 71, 100, "mãi mãi", True])
def test_periods_outside_2_to_70_years_are_refused(bad):
    with pytest.raises(PolicyError) as info:
        Period.parse(bad)
    assert info.value.message_vi


@pytest.mark.parametrize("years, end_year, expected", [
    (2, 2020, date(2022, 12, 31)), (70, 2020, date(2090, 12, 31)), (10, 1999, date(2009, 12, 31)),
    (5, 2024, date(2029, 12, 31))])
def test_disposal_date_is_31_december_of_end_year_plus_n(years, end_year, expected):
    assert disposal_date(Period(years=years), end_year) == expected
    # a dossier ending on 1 January or on 31 December of the same year has the same date
    assert disposal_date(Period(years=years), date(end_year, 1, 1)) == disposal_date(
        Period(years=years), date(end_year, 12, 31)) == expected


def test_permanent_and_special_are_never_due():
    assert disposal_date(Period(permanent=True), 2000) is None
    assert disposal_date(Period(special="until_expired"), 2000) is None
    item = ScheduleItem("x", "Hồ sơ gốc", Period(permanent=True))
    assert due(item, end_year=1950).date is None


def test_permanent_transfer_items_get_the_transfer_deadline():
    item = ScheduleItem("x", "Hồ sơ nộp lưu", Period(permanent=True), action=Action.TRANSFER)
    d = due(item, end_year=2020)
    assert d.date == date(2026, 12, 31) and d.action == Action.TRANSFER


def test_event_and_date_field_triggers():
    ev = ScheduleItem("e", "Hồ sơ hủy", Period(years=30), trigger=Trigger.EVENT, trigger_field="destruction")
    assert due(ev, end_year=2020).date is None  # not due until the event is known
    assert due(ev, end_year=2020, event_date=date(2025, 3, 1)).date == date(2055, 12, 31)
    df = ScheduleItem("f", "Hợp đồng", Period(years=5), trigger=Trigger.DATE_FIELD, trigger_field="end_date")
    assert due(df, end_year=2000, fields={"end_date": "2021-06-30"}).date == date(2026, 12, 31)


def _rule(rid, item, priority=0, **criteria):
    return Rule(id=rid, name=rid, item=item, schedule_code="s", schedule_version=1, priority=priority,
                criteria=Criteria.from_dict(criteria))


FIVE = ScheduleItem("5y", "Công văn", Period(years=5))
TEN = ScheduleItem("10y", "Kế hoạch", Period(years=10))
PERM = ScheduleItem("vv", "Quyết định", Period(permanent=True))


def test_rule_priority_then_specificity():
    """GIVEN two matching rules WHEN classified THEN the higher priority wins, then the more specific."""
    rules = [_rule("a", FIVE, 0, type_names=["Công văn"]),
             _rule("b", TEN, 10, keywords=["quy hoạch"]),
             _rule("c", PERM, 0, type_names=["Cong van"], keywords=["bổ nhiệm"])]
    fields = {"type_name": "Công văn", "subject": "Về công tác QUY HOẠCH cán bộ"}
    assert classify(fields, rules).item == TEN
    fields2 = {"type_name": "Công văn", "subject": "Về việc bổ nhiệm"}
    assert classify(fields2, rules).item == PERM  # priority tie: two criteria beat one
    assert classify({"type_name": "Tờ trình", "subject": "khác"}, rules) is None
    assert classify(fields, rules).rule_id == "b"


def test_keywords_are_accent_insensitive_whole_words():
    assert fold("Quyết Định") == "quyet dinh"
    crit = Criteria.from_dict({"keywords": ["quy hoach"]})
    assert crit.matches({"subject": "Công văn về quy hoạch"})
    assert not crit.matches({"subject": "quy hoachxyz"})


def test_series_from_dossier_notation():
    crit = Criteria.from_dict({"series": ["TCCB"]})
    assert crit.matches({"dossier_notation": "01.TCCB"}) and not crit.matches({"dossier_notation": "01.VP"})


def test_dossier_takes_the_longest_period():
    a = [Assignment(FIVE, "s", 1), Assignment(PERM, "s", 1), Assignment(TEN, "s", 1)]
    assert longest(a).item == PERM and longest(a).method == "derived"
    assert longest(a[:1] + a[2:]).item == TEN
    special = ScheduleItem("sp", "Hồ sơ nguyên tắc", Period(special="until_expired"))
    assert longest([Assignment(special, "s", 1), Assignment(ScheduleItem("70", "x", Period(years=70)), "s", 1)]
                   ).item == special
    assert longest([]) is None


def test_council_roles_are_the_roles_that_may_vote():
    """retention cannot import api (layering): its list of roles that may sit on a council must be
    the roles whose scopes include ``council``."""
    from api.accounts import ROLE_SCOPES
    from retention.disposal import COUNCIL_ROLES

    assert set(COUNCIL_ROLES) == {role for role, scopes in ROLE_SCOPES.items() if "council" in scopes}
