"""edXML import through the ordinary pipeline, on SQLite and PostgreSQL: the shared samples become
records with the values read by hand from the files; bad messages store nothing; duplicates and
status messages are recognised."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from api.wiring import build_edxml_import, build_ingest, build_services, get_settings
from archive.catalogue.models import Component, Event, Record


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, data_dir, monkeypatch):
    if request.param == "postgres":
        monkeypatch.setenv("LUUTRU_DB__URL", request.getfixturevalue("postgres_url"))
    get_settings.cache_clear()
    services = build_services(get_settings())
    importer = build_edxml_import(services, build_ingest(services, workers=1))
    try:
        yield services, importer
    finally:
        services.close()
        get_settings.cache_clear()


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _record(services, rid):
    with services.catalogue.session() as s:
        rec = s.get(Record, rid)
        comps = {c.role: c for c in s.execute(sa.select(Component).where(Component.record_id == rid)).scalars()}
        roles = sorted(c.role for c in s.execute(sa.select(Component).where(Component.record_id == rid)).scalars())
        events = [(e.event_type, e.outcome, e.detail, e.data) for e in
                  s.execute(sa.select(Event).where(Event.record_id == rid).order_by(Event.id)).scalars()]
        s.expunge_all()
        return rec, comps, roles, events


def _counts(services):
    with services.catalogue.session() as s:
        return (s.execute(sa.select(sa.func.count()).select_from(Record)).scalar(),
                s.execute(sa.select(sa.func.count()).select_from(Component)).scalar())


def test_samples_import_with_the_values_of_the_files(env, tmp_path, samples):
    """GIVEN the three shared samples WHEN imported THEN the two documents are records with the số,
    ký hiệu, dates, signers and issuers written in the files, and the status 03 is an event of the
    first (values read by hand from samples/edxml/*.edxml)."""
    services, importer = env
    first = importer.import_file(_write(tmp_path, "a.edxml", samples["synthetic_edoc_new.edxml"]), submitter="test")
    assert first.outcome == "ingested", first
    assert first.so_ky_hieu == "123/STN-VP" and first.signature == "absent"
    rec, comps, roles, events = _record(services, first.record_id)
    assert (rec.code_number, rec.code_notation, rec.issued_date) == ("123", "STN-VP", date(2025, 7, 1))
    assert rec.signer_name == "Trần Văn Mẫu" and rec.signer_position == "Phó Giám đốc"
    assert rec.organ_name == "Sở Thử nghiệm Lưu trữ tỉnh Mẫu (hư cấu)" and rec.type_name == "Công văn"
    assert rec.subject == "V/v thử nghiệm liên thông văn bản điện tử (dữ liệu hư cấu)"
    assert rec.due_date == date(2025, 7, 15) and rec.urgency == "KHẨN" and rec.security_level is None
    assert rec.issued_amount == 2 and rec.direction == "incoming"
    assert rec.recipients == [{"organ_id": "000.02.99.H99", "organ_name": "Sở Thử nghiệm Số hóa tỉnh Mẫu (hư cấu)"}]
    edxml = rec.extra["edxml"]
    assert edxml["issuer"]["organ_id"] == "000.01.99.H99" and edxml["signer_competence"] == "KT. GIÁM ĐỐC"
    assert edxml["document_id"] == "000.01.99.H99,2025/07/01,123/STN-VP"
    assert edxml["trace"] == [{"organ_id": "000.01.99.H99", "timestamp": "2025-07-01T08:30:00+07:00",
                               "raw": "2025/07/01 08:30:00"}]
    assert edxml["signature"]["status"] == "absent"
    assert rec.original_filename == "cong-van-mau.txt"
    assert {"original", "edxml_message", "text", "metadata"} <= set(roles)
    with services.archive.store.open(comps["edxml_message"].storage_key) as f:
        assert f.read() == samples["synthetic_edoc_new.edxml"]  # the message kept unchanged
    with services.archive.store.open(comps["original"].storage_key) as f:
        assert "SYNTHETIC" in f.read().decode()  # the unzipped payload, not the ZIP
    types = [e[0] for e in events]
    assert "transfer" in types and "edXML receipt" in types and "digital signature validation" in types
    assert "ingestion" in types and "format identification" in types

    second = importer.import_file(_write(tmp_path, "b.edxml", samples["synthetic_edoc_variant_lgsp.edxml"]),
                                  submitter="test")
    assert second.outcome == "ingested", second
    rec2, _, _, _ = _record(services, second.record_id)
    assert (rec2.code_number, rec2.code_notation, rec2.issued_date) == ("45", "STNSH-VP", date(2025, 7, 3))
    assert rec2.signer_name == "Phạm Văn Thử" and rec2.signer_position == "Giám đốc" and rec2.urgency is None
    assert rec2.extra["edxml"]["response_for"][0]["document_id"] == "000.01.99.H99,2025/07/01,123/STN-VP"
    assert rec2.extra["edxml"]["type"] == "18"

    status = importer.import_file(_write(tmp_path, "s.edxml", samples["synthetic_status_03.edxml"]), submitter="test")
    assert status.outcome == "status" and status.record_id == first.record_id
    rec, comps, roles, events = _record(services, first.record_id)
    assert "edxml_status" in roles
    st = rec.extra["edxml"]["statuses"][0]
    assert st["code"] == "03" and st["timestamp"] == "2025-07-01T14:05:00+07:00"
    assert st["staff"]["staff"] == "Hoàng Thị Mẫu"
    assert any(e[0] == "edXML status" and e[2].startswith("03 Tiếp nhận, vào sổ") for e in events)
    # the same status again is recognised
    assert importer.import_file(_write(tmp_path, "s2.edxml", samples["synthetic_status_03.edxml"]),
                                submitter="test").outcome == "duplicate"


def test_duplicate_message_is_recognised(env, tmp_path, samples, message_builder):
    """GIVEN an imported message WHEN the same file, then the same (OrganId, DocumentId) with other
    bytes, arrive THEN both are duplicates of the first record and nothing more is stored."""
    services, importer = env
    first = importer.import_file(_write(tmp_path, "a.edxml", samples["synthetic_edoc_new.edxml"]), submitter="test")
    before = _counts(services)
    again = importer.import_file(_write(tmp_path, "a2.edxml", samples["synthetic_edoc_new.edxml"]), submitter="test")
    assert (again.outcome, again.record_id) == ("duplicate", first.record_id)
    resent = message_builder(organ_id="000.01.99.H99", document_id="000.01.99.H99,2025/07/01,123/STN-VP",
                             attachments=[("khac.txt", "Nội dung khác hẳn.".encode(), False)])
    other = importer.import_file(_write(tmp_path, "a3.edxml", resent), submitter="test")
    assert (other.outcome, other.record_id) == ("duplicate", first.record_id)
    assert _counts(services) == before


def test_third_bad_attachment_stores_nothing(env, tmp_path, message_builder):
    """GIVEN a message with three attachments whose third is truncated base64 WHEN imported THEN it
    is rejected with the reason and no record, component or object is stored."""
    services, importer = env
    bad = message_builder(attachments=[("1.txt", "một".encode(), False), ("2.txt", b"hai", True),
                                       ("3.txt", "QUJDREVGR0g=QUJD", False)])
    objects_before = sorted(p for p in (services.settings.data_dir / "objects").rglob("*") if p.is_file())
    out = importer.import_file(_write(tmp_path, "bad.edxml", bad), submitter="test")
    assert out.outcome == "rejected" and out.code == "edxml_bad_attachment", out
    assert "3.txt" in out.message_vi and "base64" in out.message_vi
    assert _counts(services) == (0, 0)
    assert sorted(p for p in (services.settings.data_dir / "objects").rglob("*") if p.is_file()) == objects_before
    assert out.quarantine and (tmp_path / "bad.edxml").exists()


def test_three_good_attachments_are_one_record(env, tmp_path, message_builder):
    services, importer = env
    msg = message_builder(attachments=[("1.txt", "một".encode(), False), ("2.txt", b"hai", True),
                                       ("3.txt", b"ba", False)])
    out = importer.import_file(_write(tmp_path, "ok.edxml", msg), submitter="test")
    assert out.outcome == "ingested", out
    rec, _, roles, _ = _record(services, out.record_id)
    assert roles.count("attachment") == 2 and roles.count("original") == 1 and roles.count("edxml_message") == 1
    assert rec.urgency == "THƯỢNG KHẨN" and rec.signer_name == "Nguyễn Văn A"


def test_status_without_its_document_is_refused(env, tmp_path, samples):
    services, importer = env
    out = importer.import_file(_write(tmp_path, "s.edxml", samples["synthetic_status_03.edxml"]), submitter="test")
    assert out.outcome == "rejected" and out.code == "edxml_status_unmatched"
    assert _counts(services) == (0, 0)


def test_overlong_fields_are_kept_whole_beside_the_cut_catalogue_value(env, tmp_path, message_builder):
    """edxml.md §12.12: a Subject over 500 and a CodeNumber over 11 characters do not refuse the
    message; the catalogue holds the Decree 30 length (cut, flagged) and the message keeps them whole."""
    services, importer = env
    subject = "V/v " + "rất dài " * 80
    data = message_builder(subject=subject, code_number="123456789012")
    out = importer.import_file(_write(tmp_path, "dai.edxml", data), submitter="test")
    assert out.outcome == "ingested", out
    rec, comps, _, events = _record(services, out.record_id)
    assert len(rec.subject) == 500 and rec.subject.endswith("…") and len(rec.code_number) == 11
    [flags] = [e[3]["warnings"] for e in events if e[0] == "metadata extraction"]
    assert any(w.startswith("subject cut") for w in flags) and any(w.startswith("code_number cut") for w in flags)
    with services.archive.store.open(comps["edxml_message"].storage_key) as f:
        assert subject.strip().encode() in f.read()


def test_recall_update_replacement_are_refused_not_misfiled(env, tmp_path, samples):
    """GIVEN the first sample turned into a recall (BussinessDocType 1, the same DocumentId) WHEN
    imported THEN it is refused with its own code (not taken for a duplicate or a new record)."""
    services, importer = env
    recall = samples["synthetic_edoc_new.edxml"].replace(b"<edXML:BussinessDocType>0<", b"<edXML:BussinessDocType>1<")
    assert recall != samples["synthetic_edoc_new.edxml"]
    out = importer.import_file(_write(tmp_path, "thu-hoi.edxml", recall), submitter="test")
    assert out.outcome == "rejected" and out.code == "edxml_unsupported_business"
    assert "thu hồi" in out.message_vi and _counts(services) == (0, 0)


def test_a_corrupt_pdf_attachment_refuses_the_whole_message(env, tmp_path, message_builder):
    """GIVEN a message whose PDF attachment is damaged (the pipeline's own check) and a good text
    attachment WHEN imported THEN nothing is stored and the reason names the file."""
    services, importer = env
    data = message_builder(attachments=[("ghi-chu.txt", "Ghi chú".encode(), False),
                                        ("van-ban.pdf", b"%PDF-1.7\n1 0 obj<<>>\n%%broken", False)])
    out = importer.import_file(_write(tmp_path, "hong.edxml", data), submitter="test")
    assert out.outcome == "rejected" and out.code == "edxml_attachment_rejected", out
    assert "van-ban.pdf" in out.message_vi and _counts(services) == (0, 0)
