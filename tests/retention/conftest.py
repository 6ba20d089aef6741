"""Fixtures for retention: a fonds with dossiers and records, the retention and disposal services."""

from __future__ import annotations

import dataclasses
import io
import itertools
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from archive.domain import RecordMetadata
from retention.disposal import DisposalService, MinutesConfig
from retention.service import RetentionService

ORGAN = "000.00.00.H26"
_counter = itertools.count(1)


class FrozenClock:
    """freezegun moves ``datetime.now``; the archive reads time through its clock port."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def retention_service(archive_service) -> RetentionService:
    archive_service.clock = FrozenClock()
    svc = RetentionService(archive_service.catalogue, clock=archive_service.clock)
    svc.ensure_sample("test:setup")
    return svc


COUNCIL_ACCOUNTS = {"chu.tich": ("Lê Văn Cường", "Phó Giám đốc, Chủ tịch Hội đồng"),
                    "thu.ky": ("Phạm Thị Dung", "Trưởng phòng Hành chính, Thư ký Hội đồng"),
                    "chuyen.gia": ("Hoàng Văn Em", "Chuyên viên chính")}


@pytest.fixture
def council_accounts(archive_service) -> list[str]:
    """The council members' accounts (a council is a list of accounts, validated when proposed)."""
    import uuid

    from archive.catalogue.access_tables import User

    with archive_service.catalogue.session() as s:
        for name, (full_name, title) in COUNCIL_ACCOUNTS.items():
            s.add(User(id=str(uuid.uuid4()), username=name, full_name=full_name, title=title, role="council",
                       access_levels=["public", "internal", "restricted"], active=True, failed_logins=0))
    return [f"user:{n}" for n in COUNCIL_ACCOUNTS]


STAFF_ACCOUNTS = {"luu.tru": ("Nguyễn Thị Lan", "Chuyên viên lưu trữ", "archivist"),
                  "giam.doc": ("Trần Văn Bình", "Giám đốc Sở", "archivist"),
                  "nhan.vien": ("Đỗ Thị Mai", "Nhân viên lưu trữ", "archivist")}


@pytest.fixture
def staff_accounts(archive_service) -> list[str]:
    """The proposer, the approver and the person who carries out the destruction, with titles."""
    import uuid

    from archive.catalogue.access_tables import User

    with archive_service.catalogue.session() as s:
        for name, (full_name, title, role) in STAFF_ACCOUNTS.items():
            s.add(User(id=str(uuid.uuid4()), username=name, full_name=full_name, title=title, role=role,
                       access_levels=["public", "internal", "restricted"], active=True, failed_logins=0))
    return [f"user:{n}" for n in STAFF_ACCOUNTS]


@pytest.fixture(scope="session")
def archive_keys(tmp_path_factory) -> Path:
    """The archive's signing identity and TSA, created once per session (key generation takes
    seconds); each test gets a copy (``archive_settings``)."""
    from archive.keys import ensure_archive_identity
    from archive.timestamping import ensure_archive_tsa

    keys = tmp_path_factory.mktemp("archive-keys") / "keys"
    ensure_archive_identity(keys)
    ensure_archive_tsa(keys)
    return keys


@pytest.fixture
def archive_settings(tmp_path, archive_keys):
    """Settings of an archive whose place is Hà Nam, with a copy of the session's keys."""
    from archive.settings import Settings

    data = tmp_path / "archive-data"
    shutil.copytree(archive_keys, data / "keys")
    return Settings(data_dir=data, archive={"place": "Hà Nam"})


@pytest.fixture
def minutes_config(archive_settings) -> MinutesConfig:
    """What ``luutru`` wires: signed by the archive's key, time-stamped by its TSA, validated as ingest does."""
    from api.retention_wiring import minutes_config as wired

    return dataclasses.replace(wired(SimpleNamespace(settings=archive_settings)),
                               organ_name="Lưu trữ Ủy ban nhân dân tỉnh Hà Nam")


@pytest.fixture
def disposal_service(archive_service, retention_service, council_accounts, minutes_config) -> DisposalService:
    return DisposalService(archive_service, minutes_config=minutes_config)


@pytest.fixture
def make_dossier(archive_service):
    """make_dossier(year, docs=[(type_name, subject, text_bytes|None)], end_date=None) -> (dossier_id, [record_ids])."""
    archive_service.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")

    def make(year: int = 2010, docs=(("Công văn", "Về việc trao đổi công tác quy hoạch", None),),
             notation: str | None = None, end_date: date | None = None, title: str = "Hồ sơ thử nghiệm"):
        """``docs``: (type_name, subject, text or None[, other RecordMetadata fields as a dict])."""
        from archive.service import NewComponent

        n = next(_counter)
        did = archive_service.create_dossier(organ_id=ORGAN, year=year, notation=notation or f"{n:02d}.VP",
                                             title=title, end_date=end_date)
        ids = []
        for type_name, subject, text, *more in docs:
            body = f"%PDF-1.4 {type_name} {subject} {n} {len(ids)}".encode()
            derivs = [NewComponent(io.BytesIO(text), "text", "text/plain")] if text else []
            created = archive_service.create_record(
                io.BytesIO(body), filename="vb.pdf", actor="user:lan", dossier_id=did,
                metadata=RecordMetadata(type_name=type_name, subject=subject, **(more[0] if more else {})),
                derivatives=derivs)
            ids.append(created.record_id)
        return did, ids

    return make


@pytest.fixture
def archived_doc(archive_service):
    """archived_doc(title) -> record id of a small uploaded document (tờ trình, quyết định…)."""

    def make(title: str) -> str:
        n = next(_counter)
        return archive_service.create_record(io.BytesIO(f"%PDF-1.4 {title} {n}".encode()),
                                             filename="vb.pdf", actor="user:lan",
                                             metadata=RecordMetadata(subject=title, code_number=str(n),
                                                                     code_notation="QĐ-UBND",
                                                                     issued_date=date(2025, 3, 1))).record_id

    return make


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_env(request, data_dir, monkeypatch):
    """The CLI's catalogue: the embedded SQLite, or (``LUUTRU_DB__URL``) a PostgreSQL schema of its own."""
    if request.param == "postgres":
        monkeypatch.setenv("LUUTRU_DB__URL", request.getfixturevalue("postgres_url"))
    return request.param
