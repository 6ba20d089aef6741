"""The kernel's unit of work (archive/unit_of_work.py) on SQLite and PostgreSQL: several service
calls commit together or not at all, post-commit work runs only after the commit, and the index
grouping of one batch is its own (two batches in two threads of one process never mix)."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from archive.catalogue.models import AuditEntry, Component, OutboxEntry, Record
from archive.domain import RecordMetadata
from archive.errors import RecordNotFound
from archive.service import ArchiveService, DuplicateRecord, NewComponent, NewEvent

WAIT = 60  # seconds a thread waits for the other before the test fails (never reached when right)


class CallsIndexer:
    """Keeps each call to ``index`` apart (the grouping is what is tested) and, when given the
    catalogue, what the catalogue said about each record at the moment of the call."""

    def __init__(self, catalogue=None):
        self.calls: list[list[str]] = []
        self.committed: dict[str, bool] = {}
        self.catalogue = catalogue
        self._lock = threading.Lock()

    def index(self, record_ids):
        if self.catalogue is not None:
            with self.catalogue.engine.connect() as conn:  # another connection: sees committed rows only
                for rid in record_ids:
                    self.committed[rid] = conn.execute(
                        sa.select(sa.func.count()).select_from(Record).where(Record.id == rid)).scalar_one() == 1
        with self._lock:
            self.calls.append(list(record_ids))

    def delete(self, record_ids):
        pass

    def indexed(self) -> list[str]:
        with self._lock:
            return [rid for call in self.calls for rid in call]


def _doc(text: str) -> io.BytesIO:
    return io.BytesIO(f"Công văn {text} về công tác lưu trữ".encode())


def _create(service: ArchiveService, text: str, **kw) -> str:
    return service.create_record(_doc(text), filename=f"{text}.pdf", actor="user:lan",
                                 metadata=RecordMetadata(subject=f"Về việc {text}"), **kw).record_id


def _count(catalogue, model, *where) -> int:
    with catalogue.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def service(catalogue, fs_store) -> ArchiveService:
    return ArchiveService(catalogue, fs_store, indexer=CallsIndexer(catalogue), orphan_grace=timedelta(hours=1))


def test_two_calls_in_one_unit_of_work_commit_together(service, catalogue):
    """GIVEN a unit of work WHEN a record is created and a component added to it in it THEN neither
    is visible before the block ends, both are after, with one index pass after the commit."""
    with service.unit_of_work() as uow:
        rid = _create(service, "số 12/UBND", uow=uow)
        service.add_component(rid, NewComponent(io.BytesIO(b"<report/>"), "report", "application/xml", "r.xml"),
                              actor="user:lan", uow=uow,
                              event=NewEvent("validation", detail="Kiểm tra cấu trúc"))
        assert _count(catalogue, Record) == 0  # not committed yet: another connection sees nothing
        assert service.indexer.calls == []
    assert _count(catalogue, Record, Record.id == rid) == 1
    assert _count(catalogue, Component, Component.record_id == rid) == 2  # the original and the report
    assert _count(catalogue, OutboxEntry) == 0
    assert service.indexer.committed == {rid: True}
    assert set(service.indexer.indexed()) == {rid}


def test_an_error_in_the_second_call_rolls_back_the_first(service, catalogue, fs_store):
    """GIVEN a unit of work whose second call fails WHEN the error leaves the block THEN the first
    call's rows, audit entries and outbox rows are gone, nothing was indexed, and its objects are
    orphans that the repair pass keeps during the grace period and removes after it."""
    with pytest.raises(RecordNotFound), service.unit_of_work() as uow:
        _create(service, "số 13/UBND", uow=uow)
        service.add_component("00000000-0000-0000-0000-000000000000",
                              NewComponent(io.BytesIO(b"x"), "report", "text/plain"), actor="user:lan", uow=uow)
    assert _count(catalogue, Record) == 0
    assert _count(catalogue, Component) == 0
    assert _count(catalogue, OutboxEntry) == 0
    assert _count(catalogue, AuditEntry, AuditEntry.action == "record.create") == 0
    assert service.indexer.calls == []
    stored = list(fs_store.iter_keys())
    assert stored  # objects first: the original and the second call's object are in the store
    report = service.repair()
    assert set(stored) <= set(report.orphans_kept) and report.orphans_removed == []
    service.orphan_grace = timedelta(0)
    report = service.repair()
    assert set(stored) <= set(report.orphans_removed)
    assert not [k for k in fs_store.iter_keys() if k in stored]


def test_an_exception_of_the_caller_rolls_back_too(service, catalogue):
    """GIVEN two records created in one unit of work WHEN the caller's own code then fails THEN no
    record, no outbox row and no index pass remain."""
    with pytest.raises(ZeroDivisionError), service.unit_of_work() as uow:
        _create(service, "số 14/UBND", uow=uow)
        _create(service, "số 15/UBND", uow=uow)
        service.emit("record.checked", uow=uow, record_id="x")
        _ = 1 / 0
    assert _count(catalogue, Record) == 0
    assert _count(catalogue, OutboxEntry) == 0
    assert service.indexer.calls == []


def test_the_same_bytes_twice_in_one_unit_of_work_is_a_duplicate(service, catalogue):
    with pytest.raises(DuplicateRecord), service.unit_of_work() as uow:
        first = _create(service, "số 16/UBND", uow=uow)
        _create(service, "số 16/UBND", uow=uow)
    assert first and _count(catalogue, Record) == 0


def test_fonds_dossier_and_record_in_one_unit_of_work(service, catalogue):
    with service.unit_of_work() as uow:
        service.ensure_fonds("000.00.11.H26", "Sở Nội vụ tỉnh Hà Tĩnh", actor="user:lan", uow=uow)
        dossier = service.create_dossier(organ_id="000.00.11.H26", year=2025, notation="HS-07",
                                         title="Hồ sơ tổ chức cán bộ", actor="user:lan", uow=uow)
        rid = _create(service, "số 17/SNV", dossier_id=dossier, uow=uow)
    with catalogue.session() as s:
        rec = s.get(Record, rid)
        assert rec is not None and rec.dossier_id == dossier and rec.fonds_id is not None
    assert service.indexer.committed == {rid: True}


def test_post_commit_work_runs_only_after_the_commit(service, catalogue):
    """The indexer reads the catalogue through its own connection when it is called: every record
    it is asked to index is already committed, in a unit of work and without one."""
    alone = _create(service, "số 18/UBND")
    with service.unit_of_work() as uow:
        together = [_create(service, f"số {n}/UBND", uow=uow) for n in (19, 20)]
        service.amend_derived(together[0], actor="user:lan", extra={"checked": True}, uow=uow)
        assert service.indexer.calls == [[alone]]
    assert service.indexer.committed == {alone: True, together[0]: True, together[1]: True}
    assert _count(catalogue, OutboxEntry) == 0


def test_a_unit_of_work_groups_its_own_index_work(service):
    with service.unit_of_work(group_size=2) as uow:
        made = [_create(service, f"số {n}/STP", uow=uow) for n in range(3)]
    assert service.indexer.calls == [made[:2], made[2:]]


def test_worker_threads_join_their_batch_and_other_threads_do_not(service):
    """GIVEN a batch of 3 WHEN three records are made in worker threads bound to it THEN they reach
    the indexer in one call; a thread not bound to it indexes at once."""
    with service.batch(3) as batch, ThreadPoolExecutor(max_workers=3) as pool:
        made = list(pool.map(batch.bind(lambda n: _create(service, f"số {n}/SXD")), range(3)))
        assert sorted(service.indexer.calls[0]) == sorted(made) and len(service.indexer.calls) == 1
        outside = threading.Thread(target=lambda: made.append(_create(service, "số 99/SXD")))
        outside.start()
        outside.join(WAIT)
        assert service.indexer.calls[1:] == [[made[3]]]  # not staged in the batch of this thread
    assert len(service.indexer.calls) == 2


def test_two_batches_in_two_threads_keep_their_own_grouping(service):
    """GIVEN two batches open at the same time in two threads, of 2 and of 50 records WHEN the first
    makes 2 records and the second 1 THEN the first's are indexed together at once (its own group
    size, not the other's), and the end of the first does not send the second's record.

    Fails on the grouping kept on the service (``_group_size``, one staging list for both)."""
    a_in, b_in, a_made, b_made, a_out = (threading.Event() for _ in range(5))
    seen: dict[str, object] = {}
    errors: list[BaseException] = []

    def first():
        try:
            with service.grouped_indexing(size=2):
                a_in.set()
                assert b_in.wait(WAIT)
                seen["a"] = [_create(service, "số 1/A"), _create(service, "số 2/A")]
                seen["a_calls"] = [list(c) for c in service.indexer.calls]
                a_made.set()
                assert b_made.wait(WAIT)
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
            errors.append(exc)
        finally:
            a_made.set()
            a_out.set()

    def second():
        try:
            assert a_in.wait(WAIT)
            with service.grouped_indexing(size=50):
                b_in.set()
                assert a_made.wait(WAIT)
                seen["b"] = _create(service, "số 1/B")
                b_made.set()
                assert a_out.wait(WAIT)
                seen["b_indexed_before_its_end"] = seen["b"] in service.indexer.indexed()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            b_in.set()
            b_made.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
    assert not errors, errors
    assert seen["a_calls"] == [seen["a"]]  # the group of 2 was full: sent at once, by itself
    assert seen["b_indexed_before_its_end"] is False
    assert service.indexer.calls == [seen["a"], [seen["b"]]]


def test_a_new_records_events_and_outbox_rows_each_go_in_one_insert(service, catalogue):
    """GIVEN a record created with events of every shape (data or none, detail or none) and tasks
    WHEN it is committed THEN its events are one INSERT and its outbox rows one INSERT (the ORM
    wrote one per row on SQLite, which cannot return new rowids in the rows' order), every event
    is there in order with its data, "no data" is SQL NULL whichever way it was given, and the
    post-commit work ran every outbox row (each id returned, none left behind)."""
    inserts: list[str] = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO"):
            inserts.append(statement.split()[2].strip('"'))

    events = [NewEvent("format identification", data={"puid": "fmt/17"}, detail="fmt/17"),
              NewEvent("metadata extraction", outcome="warning", data=None, detail=None),
              NewEvent("validation", detail="Kiểm tra cấu trúc"),
              NewEvent("timestamping", agent="software:tsa", data={"gen_time": "2026-12-07"})]
    dispatched: list[tuple[str, dict]] = []
    service.dispatcher = type("Dispatcher", (), {"deferred": False,
                                                 "dispatch": lambda self, t, a: dispatched.append((t, a))})()
    sa.event.listen(catalogue.engine, "before_cursor_execute", seen)
    try:
        rid = _create(service, "số 99/UBND", events=events,
                      tasks=[("preserve_record", {"record_id": "x"}), ("make_ltv_copy", {"record_id": "x"})])
    finally:
        sa.event.remove(catalogue.engine, "before_cursor_execute", seen)
    assert inserts.count("events") == 1, inserts
    assert inserts.count("outbox") == 2, inserts  # the record's rows, then the sidecar row at the commit
    with catalogue.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT event_type, detail, data IS NULL, agent FROM events "
                                    "WHERE record_id = :r ORDER BY id"), {"r": rid}).all()
    assert [r[0] for r in rows] == ["message digest calculation", "format identification", "metadata extraction",
                                    "validation", "timestamping", "ingestion"]
    assert [bool(r[2]) for r in rows] == [False, False, True, True, False, True]
    assert rows[3][1] == "Kiểm tra cấu trúc" and rows[4][3] == "software:tsa" and rows[5][3] == "user:lan"
    listed = {e["type"]: e for e in service.list_events(rid)}
    assert listed["format identification"]["data"] == {"puid": "fmt/17"}
    assert listed["metadata extraction"]["data"] is None and listed["ingestion"]["data"] is None
    assert sorted(t for t, _ in dispatched) == ["make_ltv_copy", "preserve_record"]
    assert _count(catalogue, OutboxEntry) == 0
    assert service.indexer.indexed() == [rid]
