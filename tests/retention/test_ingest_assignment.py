"""Ingest assigns retention: generated documents go through ``luutru ingest --dossier`` and come out
with their rule's assignment, and their dossier with the longest period and its due date — in the
record's own transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
import sqlalchemy as sa

from archive.catalogue.models import AuditEntry, Dossier, Record
from archive.catalogue.retention_tables import RetentionAssignment
from kit.corpus.generator import generate_pdf, random_doc_spec
from retention.policy import Period, Schedule, ScheduleItem

ORGAN = "000.00.00.H26"


def _services():
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    return build_services(get_settings())


def _write(tmp_path, name: str, doc_type: str, seed: int):
    # issued within the dossier's period: its end date follows its documents (a later one moves the due date)
    spec = random_doc_spec(random.Random(seed), doc_type=doc_type, marks=False, pages=1, issued=date(2015, 9, seed))
    path = tmp_path / name
    path.write_bytes(generate_pdf(spec))
    return path


def _decisions(s, target_ids):
    return {a.target_id: a for a in s.execute(sa.select(RetentionAssignment).where(
        RetentionAssignment.target_id.in_(target_ids), RetentionAssignment.superseded_at.is_(None))).scalars()}


def test_ingest_assigns_retention_and_the_dossier_due_date(cli, db_env, tmp_path):
    assert cli("init").exit_code == 0
    services = _services()
    try:
        from retention.service import RetentionService

        archive = services.archive
        archive.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")
        did = archive.create_dossier(organ_id=ORGAN, year=2015, notation="07.VP", title="Hồ sơ công tác năm 2015",
                                     end_date=date(2016, 3, 1))
        retention = RetentionService(services.catalogue)
        retention.save_schedule(Schedule(code="agency", title="Bảng của cơ quan", items=(
            ScheduleItem("1", "Công văn trao đổi", Period(years=5)),
            ScheduleItem("2", "Quyết định cá biệt", Period(years=20)))), "u")
        retention.add_rule(name="công văn", schedule_code="agency", item_code="1",
                           criteria={"type_names": ["Công văn"]}, actor="u")
        retention.add_rule(name="quyết định", schedule_code="agency", item_code="2", priority=5,
                           criteria={"type_names": ["Quyết định"]}, actor="u")
        with services.catalogue.session() as s:
            dossier_code = s.get(Dossier, did).code
    finally:
        services.close()

    cv = _write(tmp_path, "cong-van.pdf", "Công văn", 3)
    out = cli("ingest", str(cv), "--dossier", dossier_code, "--json")
    assert out.exit_code == 0, out.output
    cv_id = json.loads(out.output.splitlines()[0])["record_id"]
    services = _services()
    try:
        with services.catalogue.session() as s:
            d = s.get(Dossier, did)
            assert (d.retention, d.due_date, d.due_action) == ("5 năm", date(2021, 12, 31), "review_destroy")
            a = _decisions(s, [cv_id])[cv_id]
            assert (a.item_code, a.period, a.method, a.schedule_version) == ("1", "5", "ingest", 1)
            assert s.get(Record, cv_id).extra["retention"]["item_code"] == "1"
            # both audited (the rollback test below shows they commit together)
            created, assigned = (s.execute(sa.select(AuditEntry.occurred_at).where(
                AuditEntry.target_id == cv_id, AuditEntry.action == action)).scalar()
                for action in ("record.create", "retention.assign"))
            assert created is not None and assigned is not None
    finally:
        services.close()

    # a longer document in the same dossier: the dossier takes the longest period (Điều 15)
    qd = _write(tmp_path, "quyet-dinh.pdf", "Quyết định (cá biệt)", 4)
    out = cli("ingest", str(qd), "--dossier", dossier_code, "--json")
    assert out.exit_code == 0, out.output
    qd_id = json.loads(out.output.splitlines()[0])["record_id"]
    services = _services()
    try:
        with services.catalogue.session() as s:
            d = s.get(Dossier, did)
            assert (d.retention, d.due_date) == ("20 năm", date(2036, 12, 31))
            decided = _decisions(s, [qd_id, did])
            assert decided[qd_id].item_code == "2" and decided[did].method == "derived"
            assert decided[did].period == "20"
    finally:
        services.close()
    # the sweep sees it when due, not before
    assert json.loads(cli("retention", "sweep", "--as-of", "2030-01-01", "--json").output)["listed"] == 0
    assert json.loads(cli("retention", "sweep", "--as-of", "2037-01-01", "--json").output)["listed_ids"] == [did]


def test_a_failed_decision_rolls_the_record_back(archive_service, retention_service):
    """The decision is part of the record's unit of work: if it cannot be taken (here: a system
    request for a period that is not permanent), no record is left behind without one."""
    import io

    from archive.domain import RecordMetadata
    from retention.hooks import system_request
    from retention.policy import PolicyError

    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("1", "Công văn", Period(years=5)),)), "u")
    with pytest.raises(PolicyError):
        archive_service.create_record(io.BytesIO(b"%PDF-1.4 x"), filename="a.pdf", actor="u", metadata=RecordMetadata(
            extra={"retention": system_request("agency", "1", "thử")}))
    with archive_service.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar() == 0


def test_an_ingest_request_is_decided_by_the_rules_not_by_the_request(archive_service, retention_service):
    """A request naming a short item is not a decision: the rules decide at commit."""
    import io

    from archive.domain import RecordMetadata

    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("1", "Công văn", Period(years=5)), ScheduleItem("2", "Quyết định", Period(years=70)))), "u")
    retention_service.add_rule(name="qđ", schedule_code="agency", item_code="2",
                               criteria={"type_names": ["Quyết định"]}, actor="u")
    rid = archive_service.create_record(
        io.BytesIO(b"%PDF-1.4 y"), filename="a.pdf", actor="u", metadata=RecordMetadata(
            type_name="Quyết định", extra={"retention": {"method": "ingest", "schedule_code": "agency",
                                                         "item_code": "1"}})).record_id
    with archive_service.catalogue.session() as s:
        a = _decisions(s, [rid])[rid]
        assert (a.item_code, a.period, a.method) == ("2", "70", "ingest")


def test_concurrent_ingests_into_one_dossier_keep_the_longest_period(archive_service, retention_service):
    """Records committed at the same moment into one dossier, each deciding the dossier's period in
    its own transaction: none waits forever (no deadlock) and the longest period wins."""
    import io
    import threading

    from archive.domain import RecordMetadata
    from retention.hooks import request

    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("5", "Công văn", Period(years=5)), ScheduleItem("70", "Quyết định", Period(years=70)))), "u")
    retention_service.add_rule(name="cv", schedule_code="agency", item_code="5",
                               criteria={"type_names": ["Công văn"]}, actor="u")
    retention_service.add_rule(name="qđ", schedule_code="agency", item_code="70",
                               criteria={"type_names": ["Quyết định"]}, actor="u")
    archive_service.ensure_fonds(ORGAN, "UBND")
    did = archive_service.create_dossier(organ_id=ORGAN, year=2010, notation="09.VP", title="Đồng thời")
    barrier, errors = threading.Barrier(6), []

    def ingest(n):
        try:
            barrier.wait()
            archive_service.create_record(
                io.BytesIO(f"%PDF-1.4 {n}".encode()), filename="a.pdf", actor="u", dossier_id=did,
                metadata=RecordMetadata(type_name="Quyết định" if n == 3 else "Công văn",
                                        extra={"retention": request(None)}))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    with archive_service.catalogue.session() as s:
        d = s.get(Dossier, did)
        assert (d.retention, d.due_date) == ("70 năm", date(2080, 12, 31))
        assert len(_decisions(s, [r.id for r in d.records])) == 6
