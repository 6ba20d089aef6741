"""Schedules, rules and due dates in the catalogue (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from archive import audit
from archive.catalogue.models import AuditEntry, Dossier
from retention import schedules
from retention.policy import Action, Period, PolicyError, Schedule, ScheduleItem

CODE = schedules.SAMPLE_CODE


def test_sample_schedule_is_built_in_and_marked(retention_service):
    with retention_service.catalogue.session() as s:
        listed = schedules.list_schedules(s)
        sched = schedules.load_schedule(s, CODE)
    assert listed[0]["status"] == "sample" and listed[0]["items"] == 55
    statuses = {i.status for i in sched.items}
    assert statuses == {"legacy", "sample"}
    assert sched.item("TT09-2011/UNCONFIRMED-1" if False else "TT09-2011/1.a").period.special == "until_expired"
    assert retention_service.ensure_sample("again") == 1  # identical content: no new version


def test_csv_and_json_round_trip():
    sample = schedules.sample_schedule()
    assert schedules.schedule_from_json(schedules.schedule_to_json(sample)).content() == sample.content()
    back = schedules.schedule_from_csv(schedules.schedule_to_csv(sample), code=CODE, title="x")
    assert back.content() == sample.content()
    with pytest.raises(PolicyError) as info:
        schedules.schedule_from_csv("item_code,description,period\nA,Hồ sơ,1\n", code="c", title="t")
    assert "Dòng 2" in info.value.message_vi


def _agency_schedule(period) -> Schedule:
    return Schedule(code="agency", title="Bảng thời hạn của cơ quan", items=(
        ScheduleItem("1", "Công văn trao đổi", Period.parse(period)),
        ScheduleItem("2", "Quyết định bổ nhiệm", Period(years=70)),
        ScheduleItem("3", "Báo cáo tổng kết năm", Period(permanent=True), action=Action.TRANSFER)))


def test_versioned_schedules_keep_decisions(retention_service, make_dossier):
    """GIVEN a dossier assigned under version 1 WHEN version 2 shortens the item
    THEN the dossier keeps version 1 and its due date, and the change is reported as stale."""
    assert retention_service.save_schedule(_agency_schedule(10), "u") == (1, True)
    retention_service.add_rule(name="công văn", schedule_code="agency", item_code="1",
                               criteria={"type_names": ["Công văn"]}, actor="u")
    did, _ = make_dossier(2010)
    retention_service.apply_rules(actor="u")
    assert retention_service.save_schedule(_agency_schedule(5), "u") == (2, True)
    with retention_service.catalogue.session() as s:
        d = s.get(Dossier, did)
        assert d.due_date == date(2020, 12, 31) and d.retention == "10 năm"
        stale = list(schedules.stale_assignments(s))
    assert {x["target_type"] for x in stale} == {"record", "dossier"}
    assert all(x["version"] == 1 and x["newest_period"] == "5" for x in stale)
    # a new document is classified under version 2
    did2, _ = make_dossier(2010)
    retention_service.apply_rules(actor="u")
    with retention_service.catalogue.session() as s:
        assert s.get(Dossier, did2).due_date == date(2015, 12, 31)


def test_dossier_takes_the_longest_of_its_documents(retention_service, make_dossier):
    retention_service.save_schedule(_agency_schedule(10), "u")
    retention_service.add_rule(name="cv", schedule_code="agency", item_code="1", criteria={"type_names": ["Công văn"]},
                               actor="u")
    retention_service.add_rule(name="bn", schedule_code="agency", item_code="2", priority=5,
                               criteria={"keywords": ["bổ nhiệm"]}, actor="u")
    did, _ids = make_dossier(2000, docs=[("Công văn", "Trao đổi", None), ("Quyết định", "Về việc bổ nhiệm", None)],
                            end_date=date(2001, 5, 1))
    result = retention_service.apply_rules(actor="u")
    assert result["assigned"] == 2 and did in result["dossiers"]
    with retention_service.catalogue.session() as s:
        d = s.get(Dossier, did)
        assert (d.retention_years, d.due_date, d.due_action) == (70, date(2071, 12, 31), "review_destroy")


def test_manual_change_needs_a_reason_and_is_audited(retention_service, make_dossier):
    retention_service.save_schedule(_agency_schedule(10), "u")
    did, _ = make_dossier(2000)
    with pytest.raises(PolicyError):
        retention_service.assign_manual("dossier", did, schedule_code="agency", item_code="3", reason=" ", actor="u")
    out = retention_service.assign_manual("dossier", did, schedule_code="agency", item_code="3",
                                          reason="Quyết định số 12/QĐ-VP giữ vĩnh viễn", actor="user:truong.phong")
    assert out["dossier"]["due_action"] == "transfer" and out["dossier"]["due_date"] == "2006-12-31"
    with retention_service.catalogue.session() as s:
        entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "retention.assign")
                          .order_by(AuditEntry.id.desc())).scalars().first()
        assert entry.actor == "user:truong.phong" and entry.detail["reason"].startswith("Quyết định số 12")
        assert audit.verify(s).ok


def test_due_sweep_and_transfer_reminders(retention_service, make_dossier):
    retention_service.save_schedule(_agency_schedule(10), "u")
    old, _ = make_dossier(2010)  # due 31/12/2020
    young, _ = make_dossier(2020)  # due 31/12/2030
    perm, _ = make_dossier(2019)  # transfer due 31/12/2025
    for did, item in ((old, "1"), (young, "1"), (perm, "3")):
        retention_service.assign_manual("dossier", did, schedule_code="agency", item_code=item, reason="thử", actor="u")
    assert retention_service.due(date(2020, 12, 30)) == []
    rows = retention_service.due(date(2020, 12, 31))
    assert [r["dossier_id"] for r in rows] == [old] and rows[0]["item_code"] == "1"
    assert rows[0]["schedule"] == "agency v1" and rows[0]["due_date"] == "2020-12-31"
    with freeze_time("2025-03-01"):
        report = retention_service.sweep(actor="software:beat")
    assert report.listed == [old] and report.transfer_reminders == [perm]
    assert [c["dossier_id"] for c in retention_service.candidates()] == [old]
    assert retention_service.candidates()[0]["state"] == "Xem xét hủy"
    kinds = {n["kind"] for n in retention_service.notifications()}
    assert kinds == {"review_list", "transfer_register"}
    # a second sweep adds nothing new; nearer the deadline the 30-day reminder comes
    with freeze_time("2025-12-15"):
        again = retention_service.sweep(actor="software:beat")
    assert again.listed == [] and again.transfer_reminders == [perm]
    assert "transfer_due" in {n["kind"] for n in retention_service.notifications()}


def test_due_query_uses_the_index(retention_service):
    """On an empty table PostgreSQL rightly prefers a sequential scan, so the index is forced here;
    bench/retention.py shows the plan it picks by itself on 1M dossiers."""
    plan = retention_service.explain_due(date(2025, 1, 1), no_seqscan=True).lower()
    assert "ix_dossiers_due_date" in plan


def test_holds_keep_dossiers_out_of_the_sweep(retention_service, make_dossier):
    retention_service.save_schedule(_agency_schedule(10), "u")
    a, _ = make_dossier(2010, title="Hồ sơ thanh tra")
    b, recs = make_dossier(2010)
    c, _ = make_dossier(2010)
    for did in (a, b, c):
        retention_service.assign_manual("dossier", did, schedule_code="agency", item_code="1", reason="thử", actor="u")
    retention_service.place_hold(authority="Thanh tra tỉnh", reason="Đang thanh tra", scope_type="query",
                                 scope={"keywords": ["thanh tra"]}, actor="u")
    h = retention_service.place_hold(authority="Tòa án", reason="Vụ án", scope_type="records", scope={"ids": recs[:1]},
                                     actor="u")
    report = retention_service.sweep(date(2025, 1, 1), actor="u")
    assert report.listed == [c] and sorted(report.held) == sorted([a, b])
    retention_service.release_hold(h, reason="Đã xét xử xong", actor="u")
    assert retention_service.sweep(date(2025, 1, 1), actor="u").listed == [b]
