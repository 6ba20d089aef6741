"""The disposal workflow and the destruction: state machine, holds at every step, two-person rule,
bytes removed from the filesystem and S3, de-indexing, tombstone, signed minutes, crash and resume."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from archive.catalogue.models import Component, Dossier, Record
from archive.catalogue.retention_tables import DestructionLogEntry, RetentionAssignment
from archive.disposal import DestructionService
from archive.domain import RecordMetadata
from archive.errors import RecordNotFound
from retention.disposal import WorkflowError
from retention.holds import HoldGuard
from retention.policy import Period, Schedule, ScheduleItem

COUNCIL = ["user:chu.tich", "user:thu.ky", "user:chuyen.gia"]
SHARED_TEXT = "Nội dung trích xuất giống hệt nhau".encode()


def _expired(retention_service, make_dossier, n=1, **kw):
    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("1", "Công văn", Period(years=5)),)), "u")
    out = []
    for _ in range(n):
        did, recs = make_dossier(2010, **kw)
        retention_service.assign_manual("dossier", did, schedule_code="agency", item_code="1", reason="thử", actor="u")
        out.append((did, recs))
    retention_service.sweep(date(2025, 1, 1), actor="software:beat")
    return out


def _to_approval(disposal_service, archived_doc, **kw):
    b = disposal_service.propose(title="Đợt hủy năm 2025", explanation="Hết thời hạn lưu trữ", council=COUNCIL,
                                 actor="user:luu.tru", proposal_record_id=archived_doc("Tờ trình"), **kw)["batch_id"]
    disposal_service.vote(b, member=COUNCIL[0], vote="approve")
    disposal_service.vote(b, member=COUNCIL[1], vote="approve")
    disposal_service.vote(b, member=COUNCIL[2], vote="reject", opinion="Nên giữ thêm 5 năm")
    result = disposal_service.close_review(b, minutes_record_id=archived_doc("Biên bản họp Hội đồng"),
                                           actor="user:thu.ky")
    assert result["majority"] and result["dissent"][0]["opinion"] == "Nên giữ thêm 5 năm"
    return b


def _bytes_present(archive_service, record_ids) -> set[str]:
    with archive_service.catalogue.session() as s:
        keys = s.execute(sa.select(Component.storage_key).where(Component.record_id.in_(record_ids))).scalars().all()
    return {k for k in keys if archive_service.store.exists(k)}


def test_full_workflow_destroys_bytes_index_and_leaves_a_tombstone(
        archive_service, retention_service, disposal_service, make_dossier, archived_doc, indexer, archive_settings):
    [(did, recs)] = _expired(retention_service, make_dossier, docs=[("Công văn", "Trao đổi", "văn bản".encode())])
    [(keep, keep_recs)] = [make_dossier(2010, docs=[("Công văn", "Giữ lại", SHARED_TEXT)])]
    # a record to destroy that shares its extracted text with the kept one (content addressing)
    [(did2, recs2)] = [make_dossier(2010, docs=[("Công văn", "Bản khác", SHARED_TEXT)])]
    retention_service.assign_manual("dossier", did2, schedule_code="agency", item_code="1", reason="thử", actor="u")
    retention_service.sweep(date(2025, 1, 1), actor="u")
    b = _to_approval(disposal_service, archived_doc)
    with pytest.raises(WorkflowError):
        disposal_service.approve(b, decision_record_id=archived_doc("QĐ hủy"), actor="user:luu.tru")  # proposer
    disposal_service.approve(b, decision_record_id=archived_doc("Quyết định hủy"), actor="user:giam.doc")
    plan = disposal_service.destroy(b, actor="user:nhan.vien", dry_run=True)
    assert {r["record_id"] for r in plan["records"]} == set(recs + recs2)
    shared_actions = [o["action"] for r in plan["records"] for o in r["objects"] if o["role"] == "text"
                      and r["record_id"] == recs2[0]]
    assert shared_actions == ["keep (shared)"]
    assert _bytes_present(archive_service, recs + recs2)  # the dry run removed nothing

    result = disposal_service.destroy(b, actor="user:nhan.vien")
    assert result["state"] == "destroyed" and sorted(result["destroyed"]) == sorted(recs + recs2)
    # bytes gone, except the text the kept record still uses
    remaining = _bytes_present(archive_service, recs + recs2)
    with archive_service.catalogue.session() as s:
        kept_text = s.execute(sa.select(Component.storage_key).where(Component.record_id == keep_recs[0],
                                                                     Component.role == "text")).scalar()
        assert remaining == {kept_text}
        # tombstone: metadata and checksums kept
        rec = s.get(Record, recs[0])
        assert rec.status == "disposed" and rec.subject == "Trao đổi"
        assert {c.status for c in rec.components} == {"destroyed"} and all(len(c.sha256) == 64 for c in rec.components)
        assert s.get(Dossier, did).status == "disposed" and s.get(Dossier, keep).status != "disposed"
    assert set(recs + recs2) <= set(indexer.deleted)
    with pytest.raises(RecordNotFound):
        archive_service.open_component(recs[0], actor="u")
    _, reader = archive_service.open_component(keep_recs[0], role="text", actor="u")
    assert reader.read() == SHARED_TEXT
    # the permanent list and the signed minutes
    register = disposal_service.destruction.register(b)
    assert {r["record_id"] for r in register} == set(recs + recs2)
    info, reader = archive_service.open_component(result["minutes_record_id"], actor="u")
    pdf = reader.read()
    assert info["media_type"] == "application/pdf" and pdf.startswith(b"%PDF")
    [signature] = archive_service.get_record(result["minutes_record_id"], actor="u")["signatures"]
    assert (signature["status"], signature["timestamped"]) == ("VALID", True)
    assert oct(os.stat(archive_settings.keys_dir / "signing.key").st_mode & 0o777) == "0o600"
    assert disposal_service.status(b)["state_vi"] == "Đã hủy"
    # the minutes and the list of destroyed documents are filed in a permanent Hồ sơ hủy tài liệu,
    # decided in their own transaction, and never become due
    minutes_rec = archive_service.get_record(result["minutes_record_id"], actor="u")
    register_id = minutes_rec["extra"]["register_record_id"]
    with archive_service.catalogue.session() as s:
        file = s.get(Dossier, minutes_rec["dossier_id"])
        assert (file.permanent, file.retention, file.due_date, file.due_action) == (True, "Vĩnh viễn", None, None)
        assert file.title.startswith("Hồ sơ hủy tài liệu")
        decided = {a.target_id: a for a in s.execute(sa.select(RetentionAssignment).where(
            RetentionAssignment.superseded_at.is_(None))).scalars()}
    for rid in (result["minutes_record_id"], register_id):
        assert (decided[rid].period, decided[rid].method, decided[rid].schedule_code) == (
            "permanent", "system", "vn-system")
    _, reader = archive_service.open_component(register_id, actor="u")
    listed = reader.read().decode("utf-8-sig")
    assert listed.startswith("STT,Mã hồ sơ,") and listed.count("\r\n") == 1 + len(recs + recs2)
    assert not any(r in listed for r in recs + recs2)  # documents by số ký hiệu and trích yếu, never by id
    far = retention_service.sweep(date(2999, 12, 31), actor="u")
    assert file.id not in far.listed and retention_service.due(date(2999, 12, 31)) == []


def test_steps_are_enforced(retention_service, disposal_service, make_dossier, archived_doc):
    _expired(retention_service, make_dossier)
    with pytest.raises(WorkflowError):
        disposal_service.propose(title="x", explanation="y", council=COUNCIL[:2], actor="user:a")
    b = disposal_service.propose(title="x", explanation="y", council=COUNCIL, actor="user:a",
                                 appraisal_required=True)["batch_id"]
    with pytest.raises(WorkflowError):
        disposal_service.approve(b, decision_record_id=archived_doc("QĐ"), actor="user:b")  # council first
    with pytest.raises(WorkflowError):
        disposal_service.vote(b, member="user:ngoai", vote="approve")
    for m in COUNCIL:
        disposal_service.vote(b, member=m, vote="approve")
    disposal_service.close_review(b, minutes_record_id=archived_doc("BB"), actor="user:b")
    with pytest.raises(WorkflowError):
        disposal_service.approve(b, decision_record_id=archived_doc("QĐ"), actor="user:b")  # appraisal required
    disposal_service.request_appraisal(b, letter_record_id=archived_doc("CV"), actor="user:a")
    disposal_service.record_appraisal(b, appraisal_record_id=archived_doc("TĐ"), agreed=True, actor="cuc.vtltnn")
    disposal_service.approve(b, decision_record_id=archived_doc("QĐ"), actor="user:b")
    with pytest.raises(WorkflowError):
        disposal_service.destroy(b, actor="user:a")  # the proposer does not destroy


def test_no_majority_rejects(retention_service, disposal_service, make_dossier, archived_doc):
    _expired(retention_service, make_dossier)
    b = disposal_service.propose(title="x", explanation="y", council=COUNCIL, actor="user:a")["batch_id"]
    disposal_service.vote(b, member=COUNCIL[0], vote="approve")
    disposal_service.vote(b, member=COUNCIL[1], vote="abstain")
    assert not disposal_service.close_review(b, minutes_record_id=archived_doc("BB"), actor="user:b")["majority"]
    assert disposal_service.status(b)["state"] == "rejected"


@pytest.mark.parametrize("when", ["before_propose", "after_propose", "after_review", "after_approval"])
def test_a_hold_blocks_destruction_at_every_step(archive_service, retention_service, disposal_service,
                                                 make_dossier, archived_doc, when):
    """GIVEN a hold placed at any step (also between approval and destruction)
    WHEN the batch is destroyed THEN the held dossier's bytes are intact and the other is gone."""
    (held, held_recs), (free, free_recs) = _expired(retention_service, make_dossier, n=2)

    def hold():
        retention_service.place_hold(authority="Tòa án nhân dân tỉnh", reason="Vụ án số 12", scope_type="dossiers",
                                     scope={"ids": [held]}, actor="user:phap.che")

    if when == "before_propose":
        hold()
    b = disposal_service.propose(title="x", explanation="y", council=COUNCIL, actor="user:a")["batch_id"]
    if when == "after_propose":
        hold()
    for m in COUNCIL:
        disposal_service.vote(b, member=m, vote="approve")
    disposal_service.close_review(b, minutes_record_id=archived_doc("BB"), actor="user:b")
    if when == "after_review":
        hold()
    disposal_service.approve(b, decision_record_id=archived_doc("QĐ"), actor="user:b")
    if when == "after_approval":
        hold()
    result = disposal_service.destroy(b, actor="user:c")
    assert result["state"] == "destroyed"
    assert _bytes_present(archive_service, held_recs) and not _bytes_present(archive_service, free_recs)
    states = {i["dossier_id"]: i["state"] for i in disposal_service.status(b)["items"]}
    assert states == {held: "excluded", free: "destroyed"}


def test_the_kernel_checks_holds_inside_the_destruction_transaction(archive_service, retention_service,
                                                                    make_dossier):
    """GIVEN a hold placed after the dry run (between plan and intent) WHEN destroying THEN refused."""
    [(_did, recs)] = _expired(retention_service, make_dossier)
    service = DestructionService(archive_service, HoldGuard())
    assert service.plan(recs)[0].blocked is None
    original = service.plan

    def plan_then_hold(ids):
        out = original(ids)
        retention_service.place_hold(authority="Thanh tra", reason="x", scope_type="records", scope={"ids": recs},
                                     actor="u")
        return out

    service.plan = plan_then_hold
    report = service.destroy(recs, actor="user:c", decision="QĐ")
    assert list(report.held) == recs and not report.destroyed
    assert _bytes_present(archive_service, recs)


@pytest.mark.s3
def test_destruction_on_s3_removes_every_version_and_respects_object_lock(catalogue, s3_store, s3_raw_client, indexer,
                                                                          retention_service, make_dossier):
    from archive.service import ArchiveService

    store, _ = s3_store
    # same catalogue, S3 store instead of the filesystem
    s3_archive = ArchiveService(catalogue, store, indexer=indexer, orphan_grace=timedelta(0))
    s3_archive.ensure_fonds("000.00.00.H26", "UBND")
    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("1", "Công văn", Period(years=5)),)), "u")
    ids = []
    for n, locked in enumerate((False, True)):
        did = s3_archive.create_dossier(organ_id="000.00.00.H26", year=2010, notation=f"9{n}.S3", title="S3")
        rec = s3_archive.create_record(io.BytesIO(f"%PDF s3 {n}".encode()), filename="a.pdf", actor="u",
                                       dossier_id=did, metadata=RecordMetadata())
        if locked:
            key = s3_archive.get_record(rec.record_id, actor="u")["components"][0]["storage_key"]
            store.set_retention(key, datetime.now(UTC) + timedelta(days=365))
        ids.append(rec.record_id)
    # object lock applied from the due dates: the expired one gets a past date (nothing changes)
    service = DestructionService(s3_archive, HoldGuard())
    report = service.destroy(ids, actor="user:c", decision="QĐ")
    assert report.destroyed == [ids[0]] and list(report.locked) == [ids[1]]
    keys = {c["storage_key"]: r for r in ids for c in s3_archive.get_record(r, actor="u")["components"]}
    for key, rid in keys.items():
        assert store.exists(key) == (rid == ids[1])
        versions = list(s3_raw_client.list_objects(store.bucket, prefix=key, include_version=True))
        assert bool(versions) == (rid == ids[1])  # every version (and no delete marker) is gone
    assert indexer.deleted == [ids[0]]
    with catalogue.session() as s:
        assert s.get(Record, ids[1]).status == "active"


def test_object_lock_and_legal_hold_mirroring(archive_service, retention_service, make_dossier, fs_store):
    [(_did, recs)] = _expired(retention_service, make_dossier)
    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("1", "Công văn", Period(years=5)), ScheduleItem("2", "Quyết định", Period(years=70)))), "u")
    young, young_recs = make_dossier(2024)
    retention_service.assign_manual("dossier", young, schedule_code="agency", item_code="2", reason="x", actor="u")
    out = retention_service.apply_object_lock(fs_store, actor="u")
    assert out["extended"] == 2 and not out["failed"]
    key = archive_service.get_record(young_recs[0], actor="u")["components"][0]["storage_key"]
    assert fs_store.stat(key).retain_until == datetime(2095, 1, 1, tzinfo=UTC)
    assert retention_service.apply_object_lock(fs_store, actor="u")["unchanged"] == 2
    h = retention_service.place_hold(authority="Tòa án", reason="x", scope_type="records", scope={"ids": recs},
                                     actor="u", store=fs_store)
    old_key = archive_service.get_record(recs[0], actor="u")["components"][0]["storage_key"]
    assert fs_store.stat(old_key).legal_hold
    retention_service.release_hold(h, reason="xong", actor="u", store=fs_store)
    assert not fs_store.stat(old_key).legal_hold


CHILD = textwrap.dedent("""
    import os, sys
    from datetime import timedelta
    from archive.catalogue import Catalogue
    from archive.disposal import DestructionService
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService
    from retention.holds import HoldGuard

    url, root, ids = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    store = FilesystemObjectStore(root)
    real_delete, count = store.delete, [0]
    def delete(key):
        real_delete(key)
        count[0] += 1
        if count[0] == 2:
            os._exit(17)   # dies after the second object is gone
    store.delete = delete
    service = DestructionService(ArchiveService(Catalogue(url), store), HoldGuard())
    service.destroy(ids, actor="user:nhan.vien", decision="QĐ số 1")
    os._exit(0)
""")


def test_a_crash_in_the_middle_resumes_without_losing_the_record(archive_service, retention_service,
                                                                 make_dossier, fs_store, indexer):
    (_d1, r1), (_d2, r2) = _expired(retention_service, make_dossier, n=2,
                                  docs=[("Công văn", "a", b"text a"), ("Công văn", "b", None)])
    ids = r1 + r2
    proc = subprocess.run([sys.executable, "-c", CHILD, archive_service.catalogue.url, str(fs_store.root),
                           ",".join(ids)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 17, proc.stderr
    with archive_service.catalogue.session() as s:
        log = {e.record_id: e.state for e in s.execute(sa.select(DestructionLogEntry)).scalars()}
    # every intent was written before any byte went; the crash left at least one unfinished
    assert set(log) == set(ids) and "pending" in set(log.values())
    assert len(_bytes_present(archive_service, ids)) < 5  # some bytes are already gone
    service = DestructionService(archive_service, HoldGuard())
    pending = sorted(r for r, state in log.items() if state == "pending")
    assert sorted(service.resume(actor="software:resume")) == pending
    assert not _bytes_present(archive_service, ids)
    assert {r["record_id"] for r in service.register()} == set(ids)
    assert set(pending) <= set(indexer.deleted)  # the child de-indexed the ones it finished itself
    with archive_service.catalogue.session() as s:
        assert {s.get(Record, i).status for i in ids} == {"disposed"}
