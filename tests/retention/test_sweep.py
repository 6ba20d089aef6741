"""The sweep reads only pending dossiers (``dossiers.due_state``), and a dossier becomes pending —
eligible again — exactly when the rules say so: taken out of a batch (held, rejected by the
council or the appraiser, not destroyed), or its due date changed. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from alembic import command

from archive.catalogue.models import Dossier
from archive.catalogue.retention_tables import DisposalItem
from archive.domain import RecordMetadata
from retention.policy import Action, Period, Schedule, ScheduleItem

COUNCIL = ["user:chu.tich", "user:thu.ky", "user:chuyen.gia"]
AS_OF = date(2025, 1, 1)


def _schedule(retention_service):
    retention_service.save_schedule(Schedule(code="agency", title="t", items=(
        ScheduleItem("5", "Công văn", Period(years=5)), ScheduleItem("20", "Kế hoạch", Period(years=20)),
        ScheduleItem("P", "Báo cáo năm", Period(permanent=True), action=Action.TRANSFER))), "u")


def _due(retention_service, make_dossier, n=1, year=2010, item="5"):
    out = []
    for _ in range(n):
        did, recs = make_dossier(year)
        retention_service.assign_manual("dossier", did, schedule_code="agency", item_code=item, reason="thử", actor="u")
        out.append((did, recs))
    return out


def _state(retention_service, did):
    with retention_service.catalogue.session() as s:
        d = s.get(Dossier, did)
        items = s.execute(sa.select(DisposalItem.state).where(DisposalItem.dossier_id == did)
                          .order_by(DisposalItem.added_at)).scalars().all()
        return d.due_state, items


def _to_review(disposal_service, archived_doc, votes):
    b = disposal_service.propose(title="Đợt hủy", explanation="Hết hạn", council=COUNCIL, actor="user:luu.tru")["batch_id"]
    for member, vote in zip(COUNCIL, votes, strict=True):
        disposal_service.vote(b, member=member, vote=vote)
    disposal_service.close_review(b, minutes_record_id=archived_doc("Biên bản họp"), actor="user:thu.ky")
    return b


def test_a_sweep_lists_once_and_reads_only_pending_dossiers(retention_service, make_dossier):
    _schedule(retention_service)
    [(a, _), (b, _)] = _due(retention_service, make_dossier, n=2)
    [(later, _)] = _due(retention_service, make_dossier, year=2019)  # due 31/12/2024
    [(young, _)] = _due(retention_service, make_dossier, year=2022)  # due 31/12/2027
    assert _state(retention_service, a) == (None, [])
    first = retention_service.sweep(AS_OF, actor="u")
    assert sorted(first.listed) == sorted([a, b, later])
    assert _state(retention_service, a) == ("listed", ["candidate"])
    assert _state(retention_service, young) == (None, [])
    assert retention_service.sweep(AS_OF, actor="u").listed == []  # nothing re-read, nothing doubled
    assert retention_service.sweep(date(2027, 12, 31), actor="u").listed == [young]
    assert retention_service.due(AS_OF)[0]["dossier_id"] in (a, b, later)  # "due" still shows listed ones


def test_rejected_by_the_council_becomes_eligible_again(retention_service, disposal_service, make_dossier,
                                                        archived_doc):
    _schedule(retention_service)
    [(did, _)] = _due(retention_service, make_dossier)
    retention_service.sweep(AS_OF, actor="u")
    b = _to_review(disposal_service, archived_doc, ["approve", "reject", "reject"])
    assert disposal_service.status(b)["state"] == "rejected"
    assert _state(retention_service, did) == (None, ["excluded"])
    assert retention_service.sweep(AS_OF, actor="u").listed == [did]  # the next sweep lists it again
    assert _state(retention_service, did) == ("listed", ["excluded", "candidate"])


def test_rejected_by_the_appraiser_becomes_eligible_again(retention_service, disposal_service, make_dossier,
                                                          archived_doc):
    _schedule(retention_service)
    [(did, _)] = _due(retention_service, make_dossier)
    retention_service.sweep(AS_OF, actor="u")
    b = _to_review(disposal_service, archived_doc, ["approve"] * 3)
    disposal_service.request_appraisal(b, letter_record_id=archived_doc("Công văn đề nghị"), actor="user:luu.tru")
    disposal_service.record_appraisal(b, appraisal_record_id=archived_doc("Văn bản thẩm định"), agreed=False,
                                      actor="cuc.vtltnn", opinion="Chưa đủ căn cứ")
    assert _state(retention_service, did) == (None, ["excluded"])
    assert retention_service.sweep(AS_OF, actor="u").listed == [did]


def test_held_in_a_batch_comes_back_after_the_release(retention_service, disposal_service, make_dossier,
                                                      archived_doc):
    _schedule(retention_service)
    [(held, _), (free, _)] = _due(retention_service, make_dossier, n=2)
    retention_service.sweep(AS_OF, actor="u")
    b = _to_review(disposal_service, archived_doc, ["approve"] * 3)
    h = retention_service.place_hold(authority="Tòa án", reason="Vụ án", scope_type="dossiers",
                                     scope={"ids": [held]}, actor="u")
    disposal_service.approve(b, decision_record_id=archived_doc("Quyết định hủy"), actor="user:giam.doc")
    assert _state(retention_service, held) == (None, ["excluded"])
    assert disposal_service.destroy(b, actor="user:nhan.vien")["state"] == "destroyed"
    assert _state(retention_service, free)[1] == ["destroyed"]
    again = retention_service.sweep(AS_OF, actor="u")
    assert again.listed == [] and again.held == [held]  # still held: pending, checked at every sweep
    retention_service.release_hold(h, reason="Đã xét xử xong", actor="u")
    assert retention_service.sweep(AS_OF, actor="u").listed == [held]


def test_a_longer_period_withdraws_the_dossier_until_its_new_due_date(retention_service, disposal_service,
                                                                      make_dossier, archived_doc):
    _schedule(retention_service)
    [(candidate, _), (in_batch, batch_recs), (other, _)] = _due(retention_service, make_dossier, n=3)
    retention_service.sweep(AS_OF, actor="u")
    b = disposal_service.propose(title="Đợt hủy", explanation="Hết hạn", council=COUNCIL, actor="user:luu.tru",
                                 dossier_ids=[in_batch, other])["batch_id"]
    # the period of two dossiers is extended to 20 years (due 31/12/2030)
    for did in (candidate, in_batch):
        out = retention_service.assign_manual("dossier", did, schedule_code="agency", item_code="20",
                                              reason="Gia hạn theo Quyết định số 5/QĐ", actor="user:truong.phong")
        assert out["dossier"]["due_date"] == "2030-12-31"
    assert _state(retention_service, candidate) == (None, ["excluded"])
    assert _state(retention_service, in_batch) == (None, ["excluded"])
    assert retention_service.candidates() == []
    for member in COUNCIL:
        disposal_service.vote(b, member=member, vote="approve")
    disposal_service.close_review(b, minutes_record_id=archived_doc("Biên bản"), actor="user:thu.ky")
    disposal_service.approve(b, decision_record_id=archived_doc("Quyết định"), actor="user:giam.doc")
    result = disposal_service.destroy(b, actor="user:nhan.vien")
    assert not set(batch_recs) & set(result["destroyed"])  # the extended dossier is not destroyed
    assert retention_service.sweep(date(2030, 12, 30), actor="u").listed == []
    assert sorted(retention_service.sweep(date(2030, 12, 31), actor="u").listed) == sorted([candidate, in_batch])


def test_an_unchanged_due_date_keeps_the_dossier_listed(retention_service, make_dossier, archive_service):
    """A new document with the same period does not take the dossier out of the list."""
    _schedule(retention_service)
    retention_service.add_rule(name="cv", schedule_code="agency", item_code="5",
                               criteria={"type_names": ["Công văn"]}, actor="u")
    did, _ = make_dossier(2010)
    retention_service.apply_rules(actor="u")
    assert retention_service.sweep(AS_OF, actor="u").listed == [did]
    archive_service.create_record(io.BytesIO(b"%PDF-1.4 more"), filename="b.pdf", actor="u", dossier_id=did,
                                  metadata=RecordMetadata(type_name="Công văn", subject="Thêm"))
    retention_service.apply_rules(actor="u")
    assert _state(retention_service, did) == ("listed", ["candidate"])


def test_transfer_reminders_stop_after_the_last_one_and_restart_on_a_new_date(retention_service, make_dossier):
    _schedule(retention_service)
    [(perm, _)] = _due(retention_service, make_dossier, year=2019, item="P")  # transfer due 31/12/2025
    assert retention_service.sweep(date(2025, 3, 1), actor="u").transfer_reminders == [perm]
    assert _state(retention_service, perm)[0] is None  # registered; the 30-day reminder is still ahead
    assert retention_service.sweep(date(2025, 12, 10), actor="u").transfer_reminders == [perm]
    assert _state(retention_service, perm)[0] == "reminded"
    assert retention_service.sweep(date(2025, 12, 20), actor="u").transfer_reminders == []
    with retention_service.catalogue.session() as s:  # a later end of the work moves the deadline
        s.get(Dossier, perm).end_date = date(2021, 6, 30)
    assert retention_service.recompute(perm, actor="u")["due_date"] == "2027-12-31"
    assert _state(retention_service, perm)[0] is None
    assert retention_service.sweep(date(2027, 12, 10), actor="u").transfer_reminders == [perm]


def test_records_outside_any_dossier_are_reported_not_swept(retention_service, archive_service):
    _schedule(retention_service)
    retention_service.add_rule(name="cv", schedule_code="agency", item_code="5",
                               criteria={"type_names": ["Công văn"]}, actor="u")
    archive_service.ensure_fonds("000.00.00.H26", "UBND")
    loose = archive_service.create_record(io.BytesIO(b"%PDF-1.4 loose"), filename="a.pdf", actor="u",
                                          metadata=RecordMetadata(type_name="Công văn", subject="Lẻ",
                                                                  issued_date=date(2012, 5, 2))).record_id
    bare = archive_service.create_record(io.BytesIO(b"%PDF-1.4 bare"), filename="b.pdf", actor="u",
                                         metadata=RecordMetadata(subject="Không loại")).record_id
    assert retention_service.apply_rules(actor="u")["unmatched"] == [bare]
    report = retention_service.sweep(date(2020, 1, 1), actor="u")
    assert report.listed == [] and report.unfiled == 2
    notes = [n for n in retention_service.notifications() if n["kind"] == "unfiled"]
    assert len(notes) == 1 and "2 văn bản chưa lập hồ sơ" in notes[0]["message"]
    retention_service.sweep(date(2020, 1, 1), actor="u")  # the same day: no second notification
    assert len([n for n in retention_service.notifications() if n["kind"] == "unfiled"]) == 1
    rows = {r["record_id"]: r for r in retention_service.unfiled(date(2020, 1, 1))}
    assert rows[loose]["retention"] == "5 năm" and rows[loose]["due_date"] == "2017-12-31"
    assert rows[loose]["overdue"] and rows[loose]["state"] == "Chưa lập hồ sơ"
    assert rows[bare]["retention"] is None and not rows[bare]["overdue"]
    assert rows[bare]["state"] == "Chưa lập hồ sơ; chưa xác định thời hạn"


def test_migration_0004_marks_what_earlier_sweeps_did(catalogue_url):
    """From 0003 with data: listed dossiers and fully reminded transfers are not read again."""
    from archive.catalogue import Catalogue

    cat = Catalogue(catalogue_url)
    cfg = cat._alembic_config()
    with cat.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(sa.text("insert into fonds (id, organ_id, name, is_open, created_at) "
                             "values ('f', '000.00.00.H26', 'x', true, :t)"), {"t": "2020-01-01 00:00:00"})
        for i, (action, due) in enumerate([("review_destroy", "2020-12-31"), ("review_destroy", "2020-12-31"),
                                            ("transfer", "2021-12-31"), ("transfer", "2021-12-31")]):
            conn.execute(sa.text(
                "insert into dossiers (id, fonds_id, code, year, notation, title, permanent, access_regime, language,"
                " status, created_at, due_date, due_action) values (:id, 'f', :code, 2010, :n, 't', false, 'internal',"
                " 'vi', 'closed', :t, :due, :action)"),
                {"id": f"d{i}", "code": f"c{i}", "n": f"{i}.VP", "t": "2020-01-01 00:00:00",
                 "due": date.fromisoformat(due), "action": action})
        conn.execute(sa.text("insert into disposal_items (id, dossier_id, state, reason, added_at) values "
                             "('i0', 'd0', 'candidate', 'expired', :t), ('i1', 'd1', 'excluded', 'expired', :t)"),
                     {"t": "2020-01-01 00:00:00"})
        conn.execute(sa.text("insert into retention_notifications (kind, target_id, due_date, message, created_at) "
                             "values ('transfer_due', 'd2', :due, 'm', :t), ('transfer_register', 'd3', :due, 'm', :t)"),
                     {"due": date(2021, 12, 31), "t": "2020-01-01 00:00:00"})
    cat.migrate()
    with cat.engine.connect() as conn:
        states = dict(conn.execute(sa.text("select id, due_state from dossiers")).all())
    cat.dispose()
    assert states == {"d0": "listed", "d1": None, "d2": "reminded", "d3": None}
