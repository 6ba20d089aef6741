"""Fixtures for retention: a fonds with dossiers and records, the retention and disposal services."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime

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


@pytest.fixture
def disposal_service(archive_service, retention_service, council_accounts, tmp_path) -> DisposalService:
    return DisposalService(archive_service, minutes_config=MinutesConfig(
        organ_name="Ủy ban nhân dân tỉnh Hà Nam", place="Hà Nam", keys_dir=tmp_path / "keys"))


@pytest.fixture
def make_dossier(archive_service):
    """make_dossier(year, docs=[(type_name, subject, text_bytes|None)], end_date=None) -> (dossier_id, [record_ids])."""
    archive_service.ensure_fonds(ORGAN, "Ủy ban nhân dân tỉnh Hà Nam")

    def make(year: int = 2010, docs=(("Công văn", "Về việc trao đổi công tác quy hoạch", None),),
             notation: str | None = None, end_date: date | None = None, title: str = "Hồ sơ thử nghiệm"):
        from archive.service import NewComponent

        n = next(_counter)
        did = archive_service.create_dossier(organ_id=ORGAN, year=year, notation=notation or f"{n:02d}.VP",
                                             title=title, end_date=end_date)
        ids = []
        for type_name, subject, text in docs:
            body = f"%PDF-1.4 {type_name} {subject} {n} {len(ids)}".encode()
            derivs = [NewComponent(io.BytesIO(text), "text", "text/plain")] if text else []
            created = archive_service.create_record(
                io.BytesIO(body), filename="vb.pdf", actor="user:lan", dossier_id=did,
                metadata=RecordMetadata(type_name=type_name, subject=subject), derivatives=derivs)
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
