"""Retention decided at commit is a component installed on one archive's catalogue, not a global
listener (issue 20): two archives in one process, one with retention wired and one without, keep
their own behaviour whatever order they were built in."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import dossier_state
from archive.catalogue import Catalogue
from archive.catalogue.models import Dossier
from archive.catalogue.retention_tables import RetentionAssignment
from archive.domain import RecordMetadata
from archive.objects.filesystem import FilesystemObjectStore
from archive.service import ArchiveService
from retention import hooks
from retention.policy import Period, Schedule, ScheduleItem

ORGAN = "000.00.00.H26"


def _archive(tmp_path, name: str) -> ArchiveService:
    catalogue = Catalogue(f"sqlite:///{tmp_path / name / 'catalogue.db'}")
    catalogue.migrate()
    return ArchiveService(catalogue, FilesystemObjectStore(tmp_path / name / "objects"))


def _deposit(archive: ArchiveService, n: int) -> tuple[str, str]:
    """A Quyết định filed in a new dossier, with the ingest's request for a retention decision."""
    archive.ensure_fonds(ORGAN, "UBND")
    did = archive.create_dossier(organ_id=ORGAN, year=2010, notation=f"0{n}.VP", title=f"Hồ sơ {n}")
    rid = archive.create_record(io.BytesIO(f"%PDF-1.4 văn bản {n}".encode()), filename="a.pdf", actor="u",
                                dossier_id=did,
                                metadata=RecordMetadata(type_name="Quyết định", issued_date=date(2010, 5, 1),
                                                        extra={hooks.KEY: hooks.request(None)})).record_id
    return rid, did


def _decisions(archive: ArchiveService) -> list[tuple[str, str, str]]:
    with archive.catalogue.session() as s:
        return sorted((t, code, method) for t, code, method in s.execute(sa.select(
            RetentionAssignment.target_type, RetentionAssignment.item_code, RetentionAssignment.method)))


def _with_rule(archive: ArchiveService) -> None:
    from retention.service import RetentionService

    svc = RetentionService(archive.catalogue)  # installs the hook on this catalogue only
    svc.save_schedule(Schedule(code="agency", title="t", items=(ScheduleItem("70", "Quyết định", Period(years=70)),)),
                      "u")
    svc.add_rule(name="qđ", schedule_code="agency", item_code="70", criteria={"type_names": ["Quyết định"]}, actor="u")


@pytest.mark.parametrize("wired_first", [True, False])
def test_two_archives_in_one_process_keep_their_own_hooks(tmp_path, wired_first):
    """GIVEN two archives in one process, retention wired on one only (built first or second)
    WHEN each commits a record asking for a decision THEN only the wired one decides it."""
    plain = _archive(tmp_path, "plain") if not wired_first else None
    wired = _archive(tmp_path, "wired")
    _with_rule(wired)
    plain = plain or _archive(tmp_path, "plain")
    assert hooks.installed(wired.catalogue) and not hooks.installed(plain.catalogue)

    _deposit(wired, 1)
    assert _decisions(wired) == [("dossier", "70", "derived"), ("record", "70", "ingest")]
    _deposit(plain, 2)
    assert _decisions(plain) == []  # nothing decided on the archive without retention
    # the kernel's own extension still runs on both: dossier totals follow their records
    for archive in (wired, plain):
        with archive.catalogue.session() as s:
            assert [d.doc_total for d in s.execute(sa.select(Dossier)).scalars()] == [1]


def test_nothing_is_registered_on_the_global_session_class(tmp_path):
    """GIVEN an archive with retention wired WHEN the Session class is inspected THEN none of the
    archive's listeners are on it (a session of another engine runs none of them)."""
    archive = _archive(tmp_path, "a")
    hooks.install(archive.catalogue)
    for name, fn in (("after_flush", hooks._note_new_records), ("after_soft_rollback", hooks._forget),
                     ("after_flush", dossier_state._note_record_changes),
                     ("after_soft_rollback", dossier_state._forget)):
        assert not sa.event.contains(Session, name, fn)
        assert sa.event.contains(archive.catalogue.sessionmaker, name, fn)
    assert dossier_state.extensions(archive.catalogue) == (hooks._decide,)


def test_install_is_idempotent(tmp_path):
    """GIVEN the hook installed by the wiring and again by a service WHEN a record commits THEN it
    is decided once (one decision per target)."""
    from api.wiring import WRITE_EXTENSIONS

    archive = _archive(tmp_path, "a")
    for install in WRITE_EXTENSIONS:
        install(archive.catalogue)
    _with_rule(archive)
    assert hooks.install(archive.catalogue) is False
    assert dossier_state.extensions(archive.catalogue) == (hooks._decide,)
    _deposit(archive, 1)
    assert _decisions(archive) == [("dossier", "70", "derived"), ("record", "70", "ingest")]
