"""ArchiveService on SQLite and PostgreSQL with the filesystem store."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
import sqlalchemy as sa

from archive import audit
from archive.catalogue import Component, OutboxEntry, Record
from archive.domain import RecordMetadata
from archive.errors import IntegrityError, RecordNotFound
from archive.service import DuplicateRecord, InvalidMetadata, NewComponent

PDF = b"%PDF-1.7\n" + "Quyết định về việc phê duyệt kế hoạch".encode() + b"\n%%EOF\n"


def meta(**kw) -> RecordMetadata:
    base = dict(type_name="Quyết định", code_number="15", code_notation="QĐ-UBND",
                issued_date=date(2021, 12, 15), organ_name="Ủy ban nhân dân thành phố Hà Nội",
                subject="Về việc phê duyệt kế hoạch cải cách hành chính năm 2022",
                signer_position="Chủ tịch", signer_name="Nguyễn Văn A")
    base.update(kw)
    return RecordMetadata(**base)


def test_create_read_back_and_events(archive_service, indexer):
    created = archive_service.create_record(io.BytesIO(PDF), filename="QĐ 15 UBND.pdf", metadata=meta(),
                                            actor="user:lan", media_type="application/pdf")
    assert created.sha256 == hashlib.sha256(PDF).hexdigest()
    info, reader = archive_service.open_component(created.record_id, actor="user:lan")
    with reader:
        assert reader.read() == PDF
    assert info["media_type"] == "application/pdf"
    record = archive_service.get_record(created.record_id, actor="user:lan")
    assert record["so_ky_hieu"] == "15/QĐ-UBND"
    assert record["subject"].startswith("Về việc phê duyệt")
    assert [e["type"] for e in record["events"]] == ["message digest calculation", "ingestion"]
    assert indexer.indexed == [created.record_id]
    with archive_service.catalogue.session() as s:
        actions = s.execute(sa.select(sa.text("action")).select_from(sa.text("audit_log"))
                            .order_by(sa.text("id"))).scalars().all()
        assert actions == ["record.create", "record.download", "record.view"]
        assert audit.verify(s).ok


def test_derivatives_are_stored_with_the_original(archive_service):
    created = archive_service.create_record(
        io.BytesIO(PDF), filename="a.pdf", metadata=meta(), actor="user:lan", media_type="application/pdf",
        derivatives=[NewComponent(io.BytesIO("Quyết định…".encode()), "text", "text/plain; charset=utf-8")])
    record = archive_service.get_record(created.record_id, actor="user:lan")
    roles = {c["role"]: c for c in record["components"]}
    assert set(roles) == {"original", "text"}
    _, reader = archive_service.open_component(created.record_id, role="text", actor="user:lan")
    assert reader.read().decode() == "Quyết định…"


def test_same_original_is_a_duplicate_of_its_record(archive_service):
    first = archive_service.create_record(io.BytesIO(PDF), filename="a.pdf", metadata=meta(), actor="u")
    with pytest.raises(DuplicateRecord) as info:
        archive_service.create_record(io.BytesIO(PDF), filename="b.pdf", metadata=meta(), actor="u")
    assert info.value.record_id == first.record_id
    assert archive_service.find_original(first.sha256) == first.record_id
    with archive_service.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar() == 1


@pytest.mark.parametrize("name, stored", [
    ("Tờ trình số 12-TTr.pdf", "Tờ trình số 12-TTr.pdf"),
    ("../x", "x"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\báo cáo.docx", "báo cáo.docx"),
    ("..", "tai-lieu"),
    ("Bao cao\x00.pdf", "Bao cao_.pdf"),
])
def test_file_names_are_neutralised(archive_service, tmp_path, name, stored):
    data = name.encode() + b"-noi-dung"
    created = archive_service.create_record(io.BytesIO(data), filename=name, metadata=meta(), actor="u")
    record = archive_service.get_record(created.record_id, actor="u")
    assert record["original_filename"] == stored
    assert record["components"][0]["filename"] == stored
    # nothing was written outside the store's root
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in tmp_path.iterdir() if p.name in {"objects", "catalogue.db", "catalogue.db-wal",
                                                          "catalogue.db-shm"})


def test_decomposed_vietnamese_is_stored_nfc(archive_service):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Báo cáo tổng kết")
    created = archive_service.create_record(io.BytesIO(b"x1"), filename=nfd + ".pdf",
                                            metadata=meta(subject=nfd), actor="u")
    record = archive_service.get_record(created.record_id, actor="u")
    assert record["subject"] == unicodedata.normalize("NFC", nfd)
    assert record["original_filename"] == unicodedata.normalize("NFC", nfd) + ".pdf"


def test_decree30_lengths_are_enforced(archive_service):
    with pytest.raises(InvalidMetadata) as info:
        archive_service.create_record(io.BytesIO(b"x2"), filename="a", metadata=meta(code_number="123456789012"),
                                      actor="u")
    assert "code_number" in str(info.value)


def test_wrong_digest_is_refused_and_nothing_recorded(archive_service):
    with pytest.raises(IntegrityError):
        archive_service.create_record(io.BytesIO(PDF), filename="a.pdf", metadata=meta(), actor="u",
                                      expected_sha256="1" * 64)
    assert archive_service.counts()["records"] == 0
    assert list(archive_service.store.iter_keys()) == []


def test_fonds_and_dossier_codes(archive_service):
    archive_service.ensure_fonds("000.00.00.H26", "Ủy ban nhân dân thành phố Hà Nội")
    dossier_id = archive_service.create_dossier(organ_id="000.00.00.H26", year=2025, notation="01.TCCB",
                                                title="Hồ sơ tuyển dụng công chức năm 2025")
    assert archive_service.find_dossier("000.00.00.H26.2025.01.TCCB") == dossier_id
    created = archive_service.create_record(io.BytesIO(PDF), filename="a.pdf", metadata=meta(), actor="u",
                                            dossier_id=dossier_id)
    assert archive_service.get_record(created.record_id, actor="u")["dossier_code"] == "000.00.00.H26.2025.01.TCCB"
    with pytest.raises(InvalidMetadata):
        archive_service.ensure_fonds("H26", "sai mã")


def test_unknown_record(archive_service):
    with pytest.raises(RecordNotFound):
        archive_service.get_record("khong-co", actor="u")
    with pytest.raises(RecordNotFound):
        archive_service.open_component("khong-co", actor="u")


def test_corrupted_original_fails_the_read(archive_service, fs_store):
    import os

    created = archive_service.create_record(io.BytesIO(PDF), filename="a.pdf", metadata=meta(), actor="u")
    path = fs_store.root / archive_service.get_record(created.record_id, actor="u")["components"][0]["storage_key"]
    os.chmod(path, 0o644)
    path.write_bytes(PDF.replace(b"1.7", b"1.4"))
    _, reader = archive_service.open_component(created.record_id, actor="u")
    with pytest.raises(IntegrityError):
        reader.read()


def test_outbox_is_empty_after_a_normal_write(archive_service):
    archive_service.create_record(io.BytesIO(PDF), filename="a.pdf", metadata=meta(), actor="u")
    with archive_service.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(OutboxEntry)).scalar() == 0
        assert s.execute(sa.select(sa.func.count()).select_from(Component)).scalar() == 1


@pytest.mark.parametrize("data", [b"", b"\x00", "Đ".encode()], ids=["empty", "one-byte", "one-letter"])
def test_round_trip_of_tiny_originals(archive_service, data):
    created = archive_service.create_record(io.BytesIO(data), filename="nho.bin", metadata=meta(), actor="u")
    info, reader = archive_service.open_component(created.record_id, actor="u")
    with reader:
        assert reader.read() == data
    assert info["size"] == len(data) and info["sha256"] == hashlib.sha256(data).hexdigest()
