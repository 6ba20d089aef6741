"""Fonds and dossiers in the kernel, on SQLite and PostgreSQL: creation with the Decree 30 fields,
the lifecycle (closed dossiers take no record until reopened with a reason), filing (all or
nothing, ordinals, fonds following the dossier, index and audit), and a dossier's dates and totals
following its records whatever the path."""

from __future__ import annotations

import io
import threading
import time
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from archive.catalogue.models import AuditEntry, Dossier, Event, Record
from archive.catalogue.retention_tables import DisposalBatch, DisposalItem
from archive.domain import RecordMetadata
from archive.dossier_fields import InvalidDossier
from archive.dossiers import Conflict, DossierClosed, DossierLocked, DossierService, FilingRefused
from archive.errors import RecordNotFound

ORGAN, OTHER = "000.00.00.H26", "000.00.00.H40"
_n = iter(range(1, 10**6))


@pytest.fixture
def svc(archive_service) -> DossierService:
    return DossierService(archive_service)


@pytest.fixture
def fonds(svc) -> dict[str, str]:
    return {ORGAN: svc.create_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam", actor="user:lan"),
            OTHER: svc.create_fonds(OTHER, "Sở Nội vụ tỉnh Hà Nam", actor="user:lan")}


def _dossier(svc, fonds, notation="01.VP", organ=ORGAN, **values) -> str:
    return svc.create(fonds[organ], {"year": 2025, "notation": notation, "title": f"Hồ sơ {notation}", **values},
                      actor="user:lan")


def _record(archive_service, dossier_id=None, *, issued=None, pages=None, number=None, require_open=False) -> str:
    n = next(_n)
    return archive_service.create_record(
        io.BytesIO(f"%PDF-1.4 văn bản {n} {uuid.uuid4()}".encode()), filename=f"{n}.pdf", actor="user:lan",
        dossier_id=dossier_id, require_open=require_open,
        metadata=RecordMetadata(type_name="Công văn", subject=f"Trích yếu {n}", issued_date=issued,
                                page_amount=pages, code_number=number or str(n), code_notation="UBND-VP")).record_id


def _row(catalogue, model, ident):
    with catalogue.session() as s:
        row = s.get(model, ident)
        s.expunge(row)
        return row


def _audit(catalogue, action) -> list[AuditEntry]:
    with catalogue.session() as s:
        return list(s.execute(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
                    .scalars())


def test_fonds_and_dossiers_are_created_once(svc, fonds, catalogue):
    with pytest.raises(Conflict) as err:
        svc.create_fonds(ORGAN, "Trùng", actor="user:lan")
    assert "Đã có phông" in err.value.message_vi
    with pytest.raises(InvalidDossier) as err:
        svc.create_fonds("H26", "", actor="user:lan")
    assert {p.field for p in err.value.problems} == {"organ_id", "name"}
    did = _dossier(svc, fonds, "01.tccb", start_date="01/01/2025", catalogue_number="01", sheet_total=40)
    d = _row(catalogue, Dossier, did)
    assert (d.code, d.notation, d.declared_start_date, d.start_date, d.catalogue_number, d.sheet_total, d.status) == (
        f"{ORGAN}.2025.01.TCCB", "01.TCCB", date(2025, 1, 1), date(2025, 1, 1), "01", 40, "open")
    with pytest.raises(Conflict):  # the same mã hồ sơ, typed in lower case
        _dossier(svc, fonds, "01.tccb")
    assert _dossier(svc, fonds, "01.TCCB", organ=OTHER)  # the same notation in another fonds is another code
    with pytest.raises(InvalidDossier) as err:
        svc.create(fonds[ORGAN], {"notation": "abc"}, actor="user:lan")
    assert {p.field for p in err.value.problems} == {"year", "title", "notation"}
    with pytest.raises(RecordNotFound):
        svc.create(str(uuid.uuid4()), {"year": 2025, "notation": "09.VP", "title": "x"}, actor="user:lan")
    created = _audit(catalogue, "dossier.create")[0]
    assert created.actor == "user:lan" and created.detail["code"] == f"{ORGAN}.2025.01.TCCB"


def test_dates_and_totals_follow_the_records(svc, fonds, archive_service, catalogue):
    """GIVEN a dossier declared for 01/03–30/06/2025 WHEN records are ingested into it, one of
    them corrected, one filed out THEN the totals count them, the period widens to cover them and
    never narrows below the declared one, and the ordinals run 1, 2, 3."""
    did = _dossier(svc, fonds, start_date=date(2025, 3, 1), end_date=date(2025, 6, 30))
    a = _record(archive_service, did, issued=date(2025, 4, 2), pages=3)
    b = _record(archive_service, did, issued=date(2025, 8, 9), pages=2)
    c = _record(archive_service, did, pages=None)  # no date of issue, no page count
    d = _row(catalogue, Dossier, did)
    assert (d.doc_total, d.page_total, d.start_date, d.end_date) == (3, 5, date(2025, 3, 1), date(2025, 8, 9))
    assert [_row(catalogue, Record, r).doc_ordinal for r in (a, b, c)] == [1, 2, 3]
    with catalogue.session() as s:  # a metadata correction through the ORM, as any path makes it
        rec = s.get(Record, a)
        rec.issued_date, rec.page_amount = date(2024, 12, 30), 7
    d = _row(catalogue, Dossier, did)
    assert (d.doc_total, d.page_total, d.start_date, d.end_date) == (3, 9, date(2024, 12, 30), date(2025, 8, 9))
    other = _dossier(svc, fonds, "02.VP")
    svc.file([b], other, reason="để nhầm hồ sơ", actor="user:lan")
    d = _row(catalogue, Dossier, did)
    assert (d.doc_total, d.page_total, d.start_date, d.end_date) == (2, 7, date(2024, 12, 30), date(2025, 6, 30))
    o = _row(catalogue, Dossier, other)
    assert (o.doc_total, o.page_total, o.start_date, o.end_date) == (1, 2, date(2025, 8, 9), date(2025, 8, 9))
    svc.edit(did, {"start_date": None, "end_date": None}, reason="theo văn bản", actor="user:lan")
    d = _row(catalogue, Dossier, did)
    assert (d.declared_start_date, d.start_date, d.end_date) == (None, date(2024, 12, 30), date(2024, 12, 30))


def test_a_closed_dossier_takes_no_record_until_reopened_with_a_reason(svc, fonds, archive_service, catalogue):
    did = _dossier(svc, fonds)
    loose = _record(archive_service)
    assert svc.close(did, reason=None, actor="user:lan")["status"] == "closed"
    with pytest.raises(DossierClosed) as err:
        svc.close(did, reason=None, actor="user:lan")
    assert "đã kết thúc" in err.value.message_vi
    with catalogue.session() as s:
        before = s.execute(sa.select(sa.func.count()).select_from(Record)).scalar()
    with pytest.raises(DossierClosed) as err:
        _record(archive_service, did, require_open=True)
    assert "mở lại hồ sơ" in err.value.message_vi and "reopen" in err.value.message_vi
    with pytest.raises(DossierClosed):
        svc.file([loose], did, reason="lập hồ sơ", actor="user:lan")
    with catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar() == before
    assert _row(catalogue, Record, loose).dossier_id is None
    for reason in (None, "", "   "):
        with pytest.raises(InvalidDossier):
            svc.reopen(did, reason=reason, actor="user:lan")
    svc.reopen(did, reason="Bổ sung văn bản còn thiếu", actor="user:binh")
    with pytest.raises(Conflict):
        svc.reopen(did, reason="lần nữa", actor="user:binh")
    svc.file([loose], did, reason="lập hồ sơ", actor="user:lan")
    assert _row(catalogue, Record, loose).dossier_id == did
    [close] = _audit(catalogue, "dossier.close")
    [reopen] = _audit(catalogue, "dossier.reopen")
    assert close.target_id == reopen.target_id == did
    assert (reopen.actor, reopen.detail["reason"]) == ("user:binh", "Bổ sung văn bản còn thiếu")
    # the archive's own system path files into closed dossiers (the Hồ sơ hủy tài liệu is created closed)
    svc.close(did, reason="xong", actor="user:lan")
    assert _record(archive_service, did)


def test_filing_moves_records_all_or_nothing(svc, fonds, archive_service, catalogue, indexer):
    """GIVEN two unfiled records and one misfiled in another fonds' dossier WHEN filed with a
    reason THEN they take the target's fonds and the next ordinals by date of issue, each move is a
    PREMIS event and an audit entry with the reason, and they are re-indexed at once."""
    target = _dossier(svc, fonds, "05.VP")
    first = _record(archive_service, target, issued=date(2025, 1, 5))
    wrong = _dossier(svc, fonds, "01.NV", organ=OTHER)
    misfiled = _record(archive_service, wrong, issued=date(2025, 2, 1))
    late, early = _record(archive_service, issued=date(2025, 9, 1)), _record(archive_service, issued=date(2025, 3, 3))
    indexer.indexed.clear()
    out = svc.file([late, misfiled, early, first], target, reason="Lập hồ sơ năm 2025", actor="user:lan")
    assert [f["record_id"] for f in out["filed"]] == [misfiled, early, late]
    assert [f["doc_ordinal"] for f in out["filed"]] == [2, 3, 4] and out["unchanged"] == [first]
    assert [f["from_code"] for f in out["filed"]] == [f"{OTHER}.2025.01.NV", None, None]
    for rid in (misfiled, early, late):
        rec = _row(catalogue, Record, rid)
        assert (rec.dossier_id, rec.fonds_id) == (target, fonds[ORGAN])
    assert set(indexer.indexed) == {misfiled, early, late}
    moves = [e for e in _audit(catalogue, "record.file")]
    assert {e.target_id for e in moves} == {misfiled, early, late}
    assert all(e.actor == "user:lan" and e.detail["reason"] == "Lập hồ sơ năm 2025" for e in moves)
    with catalogue.session() as s:
        ev = s.execute(sa.select(Event).where(Event.record_id == misfiled, Event.event_type == "metadata modification")
                       ).scalar_one()
        assert f"từ hồ sơ {OTHER}.2025.01.NV" in ev.detail and ev.data["to_dossier_id"] == target
    assert (_row(catalogue, Dossier, wrong).doc_total, _row(catalogue, Dossier, target).doc_total) == (0, 4)

    # one destroyed record: nothing moves
    other = _dossier(svc, fonds, "06.VP")
    gone = _record(archive_service)
    with catalogue.session() as s:
        s.get(Record, gone).status = "disposed"
    with pytest.raises(FilingRefused) as err:
        svc.file([early, gone], other, reason="chuyển", actor="user:lan")
    assert "đã hủy" in err.value.message_vi
    assert _row(catalogue, Record, early).dossier_id == target
    for reason in ("", "x" * 501, "lý do\x00"):
        with pytest.raises(InvalidDossier):
            svc.file([early], other, reason=reason, actor="user:lan")
    with pytest.raises(RecordNotFound):
        svc.file([str(uuid.uuid4())], other, reason="chuyển", actor="user:lan")


def _batch(catalogue, dossier_id, state="listed") -> str:
    bid = str(uuid.uuid4())
    now = datetime.now(UTC)
    with catalogue.session() as s:
        s.add(DisposalBatch(id=bid, state=state, title="Đợt hủy", explanation="Hết hạn", proposed_by="user:lan",
                            proposed_at=now, council=[]))
        s.flush()
        s.add(DisposalItem(id=str(uuid.uuid4()), dossier_id=dossier_id, batch_id=bid, state="listed", reason="expired",
                           added_at=now))
    return bid


def test_destroyed_and_batched_dossiers_cannot_change(svc, fonds, archive_service, catalogue):
    """GIVEN a dossier listed in a disposal batch under way, and a destroyed one WHEN records are
    filed into or out of them, or they are reopened or edited THEN each is refused; once the batch
    is finished (rejected) the dossier may change again."""
    batched, dest = _dossier(svc, fonds, "07.VP"), _dossier(svc, fonds, "08.VP")
    inside = _record(archive_service, batched)
    loose = _record(archive_service)
    bid = _batch(catalogue, batched)
    for call in (lambda: svc.file([inside], dest, reason="chuyển", actor="u"),
                 lambda: svc.file([loose], batched, reason="thêm", actor="u"),
                 lambda: svc.edit(batched, {"title": "Tên mới"}, reason=None, actor="u"),
                 lambda: _record(archive_service, batched, require_open=True)):
        with pytest.raises(DossierLocked) as err:
            call()
        assert "đợt hủy" in err.value.message_vi
    svc.close(batched, reason=None, actor="u")  # closing is allowed; reopening is not
    with pytest.raises(DossierLocked):
        svc.reopen(batched, reason="thêm", actor="u")
    with catalogue.session() as s:
        s.get(DisposalBatch, bid).state = "rejected"
    svc.reopen(batched, reason="Hội đồng không đồng ý hủy", actor="u")
    svc.file([inside], dest, reason="chuyển", actor="u")

    gone = _dossier(svc, fonds, "09.VP")
    survivor = _record(archive_service, gone)
    with catalogue.session() as s:
        s.get(Dossier, gone).status = "disposed"
    for call in (lambda: svc.file([survivor], dest, reason="cứu", actor="u"),
                 lambda: svc.reopen(gone, reason="x", actor="u"),
                 lambda: svc.edit(gone, {"title": "x"}, reason=None, actor="u")):
        with pytest.raises(DossierLocked) as err:
            call()
        assert "đã bị hủy" in err.value.message_vi
    assert _row(catalogue, Dossier, gone).doc_total == 1  # a destroyed dossier keeps its totals


def test_edit_changes_the_code_audits_old_and_new_and_reindexes(svc, fonds, archive_service, catalogue, indexer):
    did = _dossier(svc, fonds, "10.VP")
    rid = _record(archive_service, did)
    _dossier(svc, fonds, "11.VP")
    with pytest.raises(Conflict):
        svc.edit(did, {"notation": "11.vp"}, reason=None, actor="u")
    with pytest.raises(InvalidDossier) as err:
        svc.edit(did, {"doc_total": 99, "end_date": "31/12/2024", "start_date": "01/01/2025"}, reason=None, actor="u")
    assert {p.field for p in err.value.problems} == {"doc_total", "end_date"}
    assert svc.edit(did, {"title": "Hồ sơ 10.VP"}, reason=None, actor="u")["changes"] == {}  # nothing changed
    indexer.indexed.clear()
    out = svc.edit(did, {"notation": "12.vp", "title": "Công văn đi năm 2025"}, reason="sai số hồ sơ", actor="user:lan")
    assert out["code"] == f"{ORGAN}.2025.12.VP"
    assert out["changes"] == {"notation": ["10.VP", "12.VP"], "title": ["Hồ sơ 10.VP", "Công văn đi năm 2025"]}
    assert indexer.indexed == [rid]
    [entry] = _audit(catalogue, "dossier.edit")
    assert entry.detail["previous_code"] == f"{ORGAN}.2025.10.VP" and entry.detail["reason"] == "sai số hồ sơ"


def test_concurrent_ingests_into_one_dossier_get_distinct_ordinals(svc, fonds, archive_service, catalogue):
    """GIVEN eight threads archiving into one dossier while another closes it WHEN they race THEN
    every record that got in has its own ordinal, the total counts exactly them, and every one
    refused was refused because the dossier had been closed."""
    did = _dossier(svc, fonds, "20.VP")
    got, refused, errors = [], [], []
    start = threading.Barrier(9)

    def ingest(i):
        start.wait()
        try:
            for _ in range(6):
                got.append(_record(archive_service, did, require_open=True, pages=1))
        except DossierClosed:
            refused.append(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def close():
        start.wait()
        deadline = time.monotonic() + 60
        while len(got) < 6 and time.monotonic() < deadline:  # close while ingests are in flight
            time.sleep(0.005)
        svc.close(did, reason=None, actor="u")

    threads = [threading.Thread(target=ingest, args=(i,)) for i in range(8)] + [threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with catalogue.session() as s:
        ordinals = sorted(s.execute(sa.select(Record.doc_ordinal).where(Record.dossier_id == did)).scalars())
        d = s.get(Dossier, did)
        assert d.status == "closed" and d.doc_total == d.page_total == len(got) == len(ordinals)
        closed_at = d.closed_at
        created = s.execute(sa.select(Record.created_at).where(Record.dossier_id == did)).scalars().all()
    assert ordinals == list(range(1, len(got) + 1))
    assert 6 <= len(got) < 48 and refused  # the close did land in the middle of the ingests
    assert all(c <= closed_at for c in created)
