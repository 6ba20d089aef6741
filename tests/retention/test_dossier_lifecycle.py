"""A dossier's retention follows its records, on SQLite and PostgreSQL: filing a record in or out,
correcting a record's date of issue, or archiving an unclassified record into a dossier moves its
end date, and the due date follows at the same commit (``archive.dossier_state`` →
``retention.hooks``); a dossier already in the list Xem xét hủy leaves it when its due date moves."""

from __future__ import annotations

import io
from datetime import date

import pytest

from archive.catalogue.models import Dossier, Record
from archive.domain import RecordMetadata
from archive.dossiers import DossierService
from retention.policy import Action, Period, Schedule, ScheduleItem


@pytest.fixture
def svc(archive_service, retention_service) -> DossierService:
    retention_service.save_schedule(Schedule(code="agency", title="Bảng thời hạn của cơ quan", items=(
        ScheduleItem("5", "Công văn trao đổi", Period(years=5)),
        ScheduleItem("P", "Báo cáo tổng kết năm", Period(permanent=True), action=Action.TRANSFER))), "u")
    retention_service.add_rule(name="công văn", schedule_code="agency", item_code="5",
                               criteria={"type_names": ["Công văn"]}, actor="u")
    retention_service.add_rule(name="báo cáo", schedule_code="agency", item_code="P",
                               criteria={"type_names": ["Báo cáo"]}, actor="u")
    return DossierService(archive_service)


def _record(archive_service, type_name: str, issued: date | None, dossier_id: str | None = None) -> str:
    rid = archive_service.create_record(
        io.BytesIO(f"%PDF-1.4 {type_name} {issued} {dossier_id}".encode()), filename="vb.pdf", actor="user:lan",
        dossier_id=dossier_id, metadata=RecordMetadata(type_name=type_name, subject=f"{type_name} {issued}",
                                                       issued_date=issued)).record_id
    return rid


def _due(catalogue, did) -> tuple:
    with catalogue.session() as s:
        d = s.get(Dossier, did)
        return d.end_date, d.due_date, d.retention


def test_the_due_date_follows_records_filed_in_and_out(svc, archive_service, retention_service, make_dossier,
                                                      catalogue):
    """GIVEN a 2010 dossier of Công văn (5 years: due 31/12/2015) WHEN a Công văn of 2016 is filed
    in THEN its end date is 2016 and it is due 31/12/2021; filed out again, due 31/12/2015; WHEN a
    permanent Báo cáo is filed in THEN the dossier is permanent and due for transfer, and filed out
    it is 5 years again."""
    did, _ = make_dossier(2010, docs=[("Công văn", "Trao đổi công tác", None)], end_date=date(2010, 12, 31))
    late = _record(archive_service, "Công văn", date(2016, 3, 2))  # unfiled, each with its own decision
    report = _record(archive_service, "Báo cáo", date(2010, 12, 20))
    retention_service.apply_rules(actor="u")
    assert _due(catalogue, did) == (date(2010, 12, 31), date(2015, 12, 31), "5 năm")
    other, _ = make_dossier(2016, docs=[])
    svc.file([late], did, reason="lập hồ sơ", actor="user:lan")
    assert _due(catalogue, did) == (date(2016, 3, 2), date(2021, 12, 31), "5 năm")
    svc.file([late], other, reason="để nhầm hồ sơ", actor="user:lan")
    assert _due(catalogue, did) == (date(2010, 12, 31), date(2015, 12, 31), "5 năm")
    assert _due(catalogue, other)[:2] == (date(2016, 3, 2), date(2021, 12, 31))

    svc.file([report], did, reason="lập hồ sơ", actor="user:lan")
    with catalogue.session() as s:
        d = s.get(Dossier, did)
        assert (d.permanent, d.due_action, d.retention) == (True, "transfer", "Vĩnh viễn")
    svc.file([report], other, reason="để nhầm hồ sơ", actor="user:lan")
    assert _due(catalogue, did) == (date(2010, 12, 31), date(2015, 12, 31), "5 năm")


def test_a_corrected_date_of_issue_moves_the_due_date(archive_service, retention_service, make_dossier, catalogue, svc):
    did, (rid,) = make_dossier(2010, docs=[("Công văn", "Trao đổi", None)])
    retention_service.apply_rules(actor="u")
    assert _due(catalogue, did)[1] == date(2015, 12, 31)
    with catalogue.session() as s:  # what a metadata correction writes
        s.get(Record, rid).issued_date = date(2013, 7, 1)
    assert _due(catalogue, did) == (date(2013, 7, 1), date(2018, 12, 31), "5 năm")


def test_an_unclassified_record_still_moves_the_end_date(archive_service, retention_service, make_dossier,
                                                         catalogue, svc):
    """A record no rule matches (no retention of its own) still extends its dossier's period: the
    dossier's due date is re-evaluated at that commit too."""
    did, _ = make_dossier(2010, docs=[("Công văn", "Trao đổi", None)], end_date=date(2010, 12, 31))
    retention_service.apply_rules(actor="u")
    _record(archive_service, "Tờ trình", date(2012, 4, 4), did)
    assert _due(catalogue, did) == (date(2012, 4, 4), date(2017, 12, 31), "5 năm")


def test_a_listed_dossier_leaves_xem_xet_huy_when_a_later_record_is_filed(
        archive_service, retention_service, make_dossier, catalogue, svc):
    did, _ = make_dossier(2010, docs=[("Công văn", "Trao đổi", None)], end_date=date(2010, 12, 31))
    retention_service.apply_rules(actor="u")
    assert retention_service.sweep(date(2025, 1, 1), actor="u").listed == [did]
    assert [c["dossier_id"] for c in retention_service.candidates()] == [did]
    late = _record(archive_service, "Công văn", date(2022, 5, 5))
    svc.file([late], did, reason="văn bản bổ sung", actor="user:lan")
    assert retention_service.candidates() == []
    assert _due(catalogue, did)[1] == date(2027, 12, 31)
    assert retention_service.sweep(date(2025, 1, 1), actor="u").listed == []
