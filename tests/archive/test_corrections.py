"""Metadata corrections through the archive's unit of work (``archive.corrections``), on SQLite and
PostgreSQL: history, PREMIS event and audit in the correction's transaction, refusals that store
nothing, optimistic concurrency, concurrent corrections that never lose one another, the index
taken first when a change hides a record, and retention decided again by the rules."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from archive.catalogue.change_tables import RecordChange
from archive.catalogue.models import AuditEntry, Event, OutboxEntry, Record
from archive.catalogue.retention_tables import RetentionAssignment
from archive.corrections import (
    CorrectionService,
    EditForbidden,
    IndexUnavailable,
    InvalidCorrection,
    NotEditable,
    VersionConflict,
)
from archive.domain import RecordMetadata

ORGAN = "000.00.00.H26"


@pytest.fixture
def corrections(archive_service) -> CorrectionService:
    from retention import hooks

    hooks.install(archive_service.catalogue)  # the retention hook, as the wiring installs it

    return CorrectionService(archive_service)


def _record(archive, n: int = 1, **meta) -> str:
    fields = {"type_name": "Công văn", "code_number": f"{n:02d}", "code_notation": "UBND-VP",
              "subject": f"Về việc cấp phép khai thác khoáng sản số {n}", "issued_date": date(2025, 3, 5),
              "access_level": "internal", **meta}
    return archive.create_record(io.BytesIO(f"%PDF-1.7 văn bản {n} {meta}".encode()), filename=f"vb{n}.pdf",
                                 actor="user:lan", metadata=RecordMetadata(**fields)).record_id


def _state(catalogue, rid: str) -> dict:
    with catalogue.session() as s:
        rec = s.get(Record, rid)
        return {"subject": rec.subject, "type_name": rec.type_name, "access_level": rec.access_level,
                "version": rec.version, "issued_date": rec.issued_date,
                "history": s.execute(sa.select(sa.func.count()).select_from(RecordChange)
                                     .where(RecordChange.record_id == rid)).scalar_one(),
                "events": [e.event_type for e in s.execute(sa.select(Event).where(Event.record_id == rid)).scalars()],
                "outbox": s.execute(sa.select(sa.func.count()).select_from(OutboxEntry)).scalar_one()}


def test_a_correction_keeps_the_old_value_who_when_and_why(archive_service, corrections, indexer):
    """GIVEN an archived công văn WHEN an archivist corrects its trích yếu and ngày (typed dd/mm/yyyy)
    THEN the record has the new values (NFC) at version 2, the history has one row per field with the
    old and new values, the person and the reason under one change id, a PREMIS "metadata
    modification" event and an audit entry were written with it, and the record was indexed again."""
    rid = _record(archive_service)
    indexer.indexed.clear()
    done = corrections.edit(rid, {"subject": "Ve\u0302\u0300 vie\u0323\u0302c gia hạn giấy phép", "issued_date": "07/03/2025",
                                  "type_name": "Công văn"},  # unchanged: not in the history
                            reason="Sửa theo bản gốc giấy", actor="user:luutruvien")
    assert done.version == 2 and done.change_id and done.indexed
    assert [(c["field"], c["old"], c["new"]) for c in done.changes] == [
        ("subject", "Về việc cấp phép khai thác khoáng sản số 1", "Về việc gia hạn giấy phép"),
        ("issued_date", "2025-03-05", "2025-03-07")]
    state = _state(archive_service.catalogue, rid)
    assert state["subject"] == "Về việc gia hạn giấy phép" and state["issued_date"] == date(2025, 3, 7)
    assert state["version"] == 2 and state["history"] == 2 and state["outbox"] == 0
    assert state["events"][-1] == "metadata modification"
    assert indexer.indexed == [rid]
    rows = corrections.history(rid)
    assert {(r["field"], r["old"], r["new"], r["reason"], r["actor"], r["change_id"], r["version"]) for r in rows} == {
        ("subject", "Về việc cấp phép khai thác khoáng sản số 1", "Về việc gia hạn giấy phép", "Sửa theo bản gốc giấy",
         "user:luutruvien", done.change_id, 2),
        ("issued_date", "2025-03-05", "2025-03-07", "Sửa theo bản gốc giấy", "user:luutruvien", done.change_id, 2)}
    with archive_service.catalogue.session() as s:
        entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "record.edit")).scalar_one()
        assert (entry.actor, entry.target_id, entry.outcome) == ("user:luutruvien", rid, "success")
        assert entry.detail["change_id"] == done.change_id and entry.detail["fields"] == ["subject", "issued_date"]

    second = corrections.edit(rid, {"subject": "Về việc gia hạn giấy phép khai thác"}, reason="Bổ sung",
                              actor="user:khac")
    rows = corrections.history(rid)
    assert rows[0]["change_id"] == second.change_id and rows[0]["old"] == "Về việc gia hạn giấy phép"  # newest first


@pytest.mark.parametrize("changes", [
    {"sha256": "0" * 64}, {"id": "x"}, {"dossier_id": "x"}, {"status": "disposed"}, {"original_filename": "a.pdf"},
    {"events": []}, {"components": []}, {"khong_co": "x"}, {"subject": "ok", "created_at": "2020-01-01"},
])
def test_protected_and_unknown_fields_are_refused_and_nothing_is_stored(archive_service, corrections, changes):
    rid = _record(archive_service)
    before = _state(archive_service.catalogue, rid)
    with pytest.raises(InvalidCorrection) as exc:
        corrections.edit(rid, changes, reason="thử", actor="user:x")
    assert "Các trường sửa được: type_name" in exc.value.message_vi
    assert _state(archive_service.catalogue, rid) == before


@pytest.mark.parametrize(("changes", "words"), [
    ({"subject": "x" * 501}, "Nghị định 30 cho phép tối đa 500"),
    ({"code_number": "123456789012"}, "tối đa 11"),
    ({"issued_date": "31/02/2025"}, "không phải ngày hợp lệ"),
    ({"issued_date": "2025-13-01"}, "không phải ngày hợp lệ"),
    ({"access_level": "tối mật"}, "chọn một trong public, internal, restricted, secret"),
    ({"urgency": "gấp"}, "chọn một trong KHẨN"),
    ({"page_amount": "0"}, "phải từ 1 đến 999"),
    ({"page_amount": "mười"}, "không phải số nguyên"),
    ({"arrival_number": 2**40}, "phải từ 1 đến"),
    ({"language": ""}, "không được để trống"),
    ({"subject": "Về việc\u202eabc"}, "ký tự điều khiển hoặc ký tự ẩn (U+202E)"),
    ({"signer_name": "Nguyễn\x00Văn"}, "U+0000"),
    ({"recipients": [{"organ_name": "Sở", "organ_id": "abc"}]}, "không đúng dạng 000.00.00.H26"),
    ({"subject": ["a"]}, "phải là chuỗi ký tự"),
])
def test_invalid_values_are_refused_and_nothing_is_stored(archive_service, corrections, changes, words):
    rid = _record(archive_service)
    before = _state(archive_service.catalogue, rid)
    with pytest.raises(InvalidCorrection) as exc:
        corrections.edit(rid, changes, reason="thử", actor="user:x")
    assert words in exc.value.message_vi
    assert _state(archive_service.catalogue, rid) == before


def test_a_reason_is_required(archive_service, corrections):
    rid = _record(archive_service)
    for reason in (None, "", "   ", "x" * 1001, "lý do\x07"):
        with pytest.raises(InvalidCorrection):
            corrections.edit(rid, {"subject": "Về việc khác"}, reason=reason, actor="user:x")
    assert _state(archive_service.catalogue, rid)["version"] == 1


def test_the_same_values_change_nothing(archive_service, corrections):
    rid = _record(archive_service)
    done = corrections.edit(rid, {"subject": " Về việc cấp phép khai thác khoáng sản số 1 "}, reason="thử",
                            actor="user:x")
    assert done.change_id is None and done.changes == [] and done.version == 1
    assert _state(archive_service.catalogue, rid)["history"] == 0


def test_a_stale_version_is_a_conflict_and_stores_nothing(archive_service, corrections):
    rid = _record(archive_service)
    corrections.edit(rid, {"subject": "Về việc thứ nhất"}, reason="a", actor="user:a", expected_versions={1})
    with pytest.raises(VersionConflict) as exc:
        corrections.edit(rid, {"subject": "Về việc thứ hai"}, reason="b", actor="user:b", expected_versions={1})
    assert exc.value.current == 2
    assert _state(archive_service.catalogue, rid)["subject"] == "Về việc thứ nhất"
    assert corrections.edit(rid, {"subject": "Về việc thứ hai"}, reason="b", actor="user:b",
                            expected_versions={2}).version == 3


def test_concurrent_corrections_never_lose_one(archive_service, corrections, catalogue_url):
    """GIVEN one record WHEN eight threads correct its trích yếu at once, without a version THEN every
    correction is in the history, versions 2..9 each once, each old value is the value the previous
    correction left, and the record ends with the last one's value."""
    rid = _record(archive_service)
    errors = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            corrections.edit(rid, {"subject": f"Trích yếu sửa lần {n}"}, reason=f"luồng {n}", actor=f"user:u{n}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = sorted(corrections.history(rid), key=lambda r: r["version"])
    assert [r["version"] for r in rows] == list(range(2, 10))
    previous = "Về việc cấp phép khai thác khoáng sản số 1"
    for r in rows:
        assert r["old"] == previous
        previous = r["new"]
    assert _state(archive_service.catalogue, rid)["subject"] == previous
    assert len({r["new"] for r in rows}) == 8


def test_hiding_a_record_takes_it_out_of_the_index_first(archive_service, corrections, indexer):
    """GIVEN a search index that cannot be written WHEN a record is made secret THEN nothing is stored
    (IndexUnavailable); a correction that hides nobody is stored and reported not indexed, its index
    work left for the repair pass; once the index is back, the secret change deletes then indexes."""
    rid = _record(archive_service)
    indexer.fail = True
    with pytest.raises(IndexUnavailable):
        corrections.edit(rid, {"access_level": "secret"}, reason="Mật", actor="user:admin")
    assert _state(archive_service.catalogue, rid)["access_level"] == "internal"
    assert _state(archive_service.catalogue, rid)["history"] == 0
    done = corrections.edit(rid, {"subject": "Về việc khác"}, reason="Sửa", actor="user:admin")
    assert not done.indexed and _state(archive_service.catalogue, rid)["outbox"] == 1
    indexer.fail = False
    assert archive_service.repair().outbox_failed == 0
    indexer.deleted.clear()
    indexer.indexed.clear()
    done = corrections.edit(rid, {"access_level": "secret"}, reason="Mật", actor="user:admin")
    assert done.indexed and indexer.deleted == [rid] and indexer.indexed == [rid]


def test_access_levels_beyond_the_caller_are_refused_and_audited(archive_service, corrections):
    rid = _record(archive_service)
    archivist = {"public", "internal", "restricted"}
    with pytest.raises(EditForbidden):
        corrections.edit(rid, {"access_level": "secret"}, reason="Mật", actor="user:lt", allowed_levels=archivist)
    secret = _record(archive_service, 2, access_level="secret")
    with pytest.raises(EditForbidden):
        corrections.edit(secret, {"access_level": "internal"}, reason="Giải mật", actor="user:lt",
                         allowed_levels=archivist)
    assert corrections.edit(rid, {"access_level": "restricted"}, reason="Hạn chế", actor="user:lt",
                            allowed_levels=archivist).version == 2
    with archive_service.catalogue.session() as s:
        denied = s.execute(sa.select(AuditEntry.target_id).where(AuditEntry.action == "record.edit",
                                                                 AuditEntry.outcome == "denied")).scalars().all()
    assert sorted(denied) == sorted([rid, secret])
    assert _state(archive_service.catalogue, secret)["access_level"] == "secret"


def test_a_security_mark_makes_the_record_secret_only_where_allowed(archive_service, corrections):
    rid = _record(archive_service)
    with pytest.raises(InvalidCorrection) as exc:
        corrections.edit(rid, {"security_level": "mật"}, reason="Đóng dấu mật", actor="user:admin")
    assert "không được phép lưu tài liệu mật" in exc.value.message_vi
    with pytest.raises(InvalidCorrection):
        corrections.edit(rid, {"security_level": "MẬT", "access_level": "internal"}, reason="x", actor="user:admin",
                         allow_state_secrets=True)
    done = corrections.edit(rid, {"security_level": "mật"}, reason="Đóng dấu mật", actor="user:admin",
                            allow_state_secrets=True)
    assert {(c["field"], c["new"]) for c in done.changes} == {("security_level", "MẬT"), ("access_level", "secret")}


def test_a_record_being_destroyed_cannot_be_corrected(archive_service, corrections):
    rid = _record(archive_service)
    with archive_service.catalogue.session() as s:
        s.execute(sa.update(Record).where(Record.id == rid).values(status="disposed"))
    with pytest.raises(NotEditable):
        corrections.edit(rid, {"subject": "x"}, reason="x", actor="user:x")


def test_the_history_is_append_only(archive_service, corrections, catalogue):
    rid = _record(archive_service)
    corrections.edit(rid, {"subject": "Về việc khác"}, reason="x", actor="user:x")
    for stmt in ("update record_changes set new_value = '\"y\"'", "delete from record_changes"):
        with pytest.raises(sa.exc.DBAPIError), catalogue.engine.begin() as conn:
            conn.execute(sa.text(stmt))
    assert len(corrections.history(rid)) == 1


def test_a_correction_made_while_secret_is_not_shown_to_who_cannot_read_secret(archive_service, corrections):
    """GIVEN a secret record whose trích yếu was corrected, then declassified to internal WHEN an
    official (public, internal) reads its history THEN the declassification is shown but the
    correction made while it was secret is listed without its values nor reason."""
    rid = _record(archive_service, access_level="secret", subject="Kế hoạch tác chiến bí mật")
    corrections.edit(rid, {"subject": "Kế hoạch tác chiến bí mật số 2"}, reason="sửa khi còn mật", actor="user:a")
    corrections.edit(rid, {"access_level": "internal", "subject": "Kế hoạch công tác"}, reason="giải mật",
                     actor="user:a")
    rows = corrections.history(rid, may_read_level=lambda level: level in ("public", "internal"))
    assert [(r["field"], r["redacted"]) for r in rows] == [("access_level", True), ("subject", True),
                                                           ("subject", True)]
    assert all(r["old"] is None and r["new"] is None and r["reason"] is None for r in rows)
    corrections.edit(rid, {"subject": "Kế hoạch công tác năm 2025"}, reason="sửa sau khi giải mật", actor="user:a")
    rows = corrections.history(rid, may_read_level=lambda level: level in ("public", "internal"))
    assert (rows[0]["redacted"], rows[0]["old"]) == (False, "Kế hoạch công tác")
    assert "bí mật" not in repr(rows)
    assert not any(r["redacted"] for r in corrections.history(rid))


def test_a_new_type_name_changes_the_retention_period_by_the_rules(archive_service, corrections):
    """GIVEN rules giving Công văn 5 years and Quyết định 20, and a dossier of two công văn decided by
    rule WHEN one is corrected to a Quyết định THEN its decision becomes the 20-year item (by rule,
    with the correction named) and the dossier's period follows; a manual decision is never
    overridden by a correction."""
    from retention.policy import Period, Schedule, ScheduleItem
    from retention.service import RetentionService

    retention = RetentionService(archive_service.catalogue, clock=archive_service.clock)
    retention.ensure_sample("test")
    retention.save_schedule(Schedule(code="agency", title="Bảng của cơ quan", items=(
        ScheduleItem("1", "Công văn trao đổi", Period(years=5)), ScheduleItem("2", "Quyết định", Period(years=20)))),
        "test")
    retention.add_rule(name="cv", schedule_code="agency", item_code="1", criteria={"type_names": ["Công văn"]},
                       actor="test")
    retention.add_rule(name="qd", schedule_code="agency", item_code="2", criteria={"type_names": ["Quyết định"]},
                       actor="test")
    archive_service.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")
    did = archive_service.create_dossier(organ_id=ORGAN, year=2015, notation="01.VP", title="Hồ sơ năm 2015",
                                         end_date=date(2015, 12, 31))
    ids = [archive_service.create_record(io.BytesIO(f"%PDF cv {n}".encode()), filename="a.pdf", actor="u",
                                         dossier_id=did, metadata=RecordMetadata(type_name="Công văn",
                                                                                 subject=f"Công văn {n}")).record_id
           for n in (1, 2)]
    retention.apply_rules(actor="test")
    with archive_service.catalogue.session() as s:
        from archive.catalogue.models import Dossier

        assert s.get(Dossier, did).retention_years == 5

    done = corrections.edit(ids[0], {"type_name": "Quyết định"}, reason="Nhầm tên loại", actor="user:luutruvien")
    assert done.retention["before"]["item_code"] == "1" and done.retention["after"]["item_code"] == "2"
    with archive_service.catalogue.session() as s:
        current = s.execute(sa.select(RetentionAssignment).where(
            RetentionAssignment.target_id == ids[0], RetentionAssignment.superseded_at.is_(None))).scalar_one()
        assert (current.method, current.period, current.assigned_by) == ("rule", "20", "user:luutruvien")
        assert done.change_id in current.reason
        assert s.get(Dossier, did).retention_years == 20

    retention.assign_manual("record", ids[1], schedule_code="agency", item_code="1", reason="Hội đồng quyết định",
                            actor="user:truong.phong")
    kept = corrections.edit(ids[1], {"type_name": "Quyết định"}, reason="Nhầm tên loại", actor="user:luutruvien")
    assert kept.retention is None
