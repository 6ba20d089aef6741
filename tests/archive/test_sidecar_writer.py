"""The record sidecars (``archive.sidecars.SidecarWriter``) on the real catalogue (SQLite and
PostgreSQL) and the filesystem store: whatever the order in which writers and transactions run, the
latest sidecar of a record ends as the catalogue's state, its seqs have no gaps, and a writer whose
state went stale never stores it after a fresher one."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime

import pytest

from archive import sidecars
from archive.catalogue.models import Event
from archive.domain import RecordMetadata
from archive.service import ArchiveService


@pytest.fixture
def archive(catalogue, fs_store) -> ArchiveService:
    return ArchiveService(catalogue, fs_store)


def _record(archive: ArchiveService, n: int = 0) -> str:
    return archive.create_record(io.BytesIO(f"Công văn số {n}/UBND-VP".encode()), filename=f"cv-{n}.pdf",
                                 metadata=RecordMetadata(subject=f"Công văn {n}"), actor="user:lan").record_id


def _event(archive: ArchiveService, record_id: str, detail: str) -> None:
    """A transaction that changes the record's sidecar (its after-commit pass writes the sidecar)."""
    with archive.catalogue.session() as s:
        s.add(Event(record_id=record_id, event_type="validation", occurred_at=datetime.now(UTC),
                    agent="user:lan", outcome="success", detail=detail))


def _seqs(archive: ArchiveService, record_id: str) -> list[int]:
    return sorted(int(n.rsplit("-", 1)[1].split(".")[0])
                  for n in archive.store.list_named(f"{sidecars.PREFIX}{record_id}/"))


def _current(archive: ArchiveService, record_id: str) -> dict:
    with archive.catalogue.session() as s:
        return sidecars.record_rows(s, record_id)


def test_a_writer_whose_state_went_stale_never_stores_it_last(archive, monkeypatch):
    """GIVEN a slow writer (another process's pass) that has read a record's rows WHEN, before it
    stores them, a transaction changes the record and its own pass writes the new sidecar THEN the
    slow writer does not store its stale rows after the fresh ones: the latest sidecar is the
    catalogue's state."""
    rid = _record(archive)
    slow = sidecars.SidecarWriter(archive.catalogue, archive.store, archive.clock)
    real = sidecars.record_rows
    fired = []

    def read_then_change(s, record_id):
        state = real(s, record_id)
        if not fired:
            fired.append(record_id)
            _event(archive, record_id, "đổi trong lúc đọc")  # its after-commit pass writes the sidecar
        return state

    _event(archive, rid, "trước")
    before = _seqs(archive, rid)
    monkeypatch.setattr(sidecars, "record_rows", read_then_change)
    slow.write([rid])
    monkeypatch.setattr(sidecars, "record_rows", real)
    assert fired == [rid]
    seq, doc = archive.sidecars.latest(rid)
    assert doc is not None and doc["tables"] == _current(archive, rid)
    assert "đổi trong lúc đọc" in json.dumps(doc["tables"], ensure_ascii=False)
    assert _seqs(archive, rid) == list(range(1, seq + 1)) and seq > before[-1]


def test_a_record_unchanged_since_its_sidecar_is_read_once(archive, monkeypatch):
    """GIVEN a record whose latest sidecar is its state WHEN its sidecar is written again (a repair
    pass, a second run of the entry) THEN the catalogue is read once and nothing is written; and a
    change is written with one read as well."""
    rid = _record(archive)
    reads = []
    real = sidecars.record_rows
    monkeypatch.setattr(sidecars, "record_rows", lambda s, r: reads.append(r) or real(s, r))
    before = _seqs(archive, rid)
    assert archive.sidecars.write([rid]) == 0
    assert reads == [rid] and _seqs(archive, rid) == before
    reads.clear()
    _event(archive, rid, "sau")  # its after-commit pass writes the new sidecar
    assert reads == [rid] and _seqs(archive, rid) == [*before, before[-1] + 1]


def test_concurrent_writers_and_transactions_end_at_the_catalogues_state(archive):
    """GIVEN four threads, each changing the same records and running their own sidecar writer (as
    several processes would) WHEN they all finish THEN each record's latest sidecar is its state in
    the catalogue and its seqs run without a gap."""
    rids = [_record(archive, n) for n in range(3)]
    errors: list[BaseException] = []

    def work(t: int) -> None:
        writer = sidecars.SidecarWriter(archive.catalogue, archive.store, archive.clock)
        try:
            for i in range(8):
                rid = rids[(t + i) % len(rids)]
                _event(archive, rid, f"luồng {t} lần {i}")
                writer.write(rids)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    for rid in rids:
        seq, doc = archive.sidecars.latest(rid)
        assert doc is not None and doc["tables"] == _current(archive, rid), rid
        assert _seqs(archive, rid) == list(range(1, seq + 1))
