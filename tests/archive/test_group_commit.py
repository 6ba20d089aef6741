"""Group commit (archive/unit_of_work.py ``CommitGroup``) on SQLite and PostgreSQL: the records that
threads of one batch create at the same time commit in one transaction; a record refused there
commits nothing of its own and loses nothing of the others; a process that dies in the middle of a
group, or after its commit, leaves a state the repair pass resolves, and nothing accepted is lost.

The transactions are observed on the catalogue's sessions (SQLAlchemy events), not through the
group's own bookkeeping; the crashes are real (a child process ends with ``os._exit``)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from archive.catalogue import Catalogue
from archive.catalogue.models import OutboxEntry, Record
from archive.domain import RecordMetadata
from archive.objects.filesystem import FilesystemObjectStore
from archive.service import ArchiveService, DuplicateRecord

WAIT = 60


class Indexer:
    def __init__(self):
        self.ids: list[str] = []

    def index(self, record_ids):
        self.ids += list(record_ids)

    def delete(self, record_ids):
        pass


def _doc(n: int) -> bytes:
    return f"Công văn số {n}/UBND-VP về công tác lưu trữ năm 2025".encode()


def _commits(catalogue: Catalogue) -> list[list[str]]:
    """The records each committed transaction of this catalogue inserted, seen by session events."""
    seen: list[list[str]] = []

    def after_flush(session, _ctx):
        session.info.setdefault("test.records", []).extend(o.id for o in session.new if isinstance(o, Record))

    def after_commit(session):
        made = session.info.pop("test.records", [])
        if made:
            seen.append(made)

    def after_rollback(session):
        session.info.pop("test.records", None)

    sa.event.listen(catalogue.sessionmaker, "after_flush", after_flush)
    sa.event.listen(catalogue.sessionmaker, "after_commit", after_commit)
    sa.event.listen(catalogue.sessionmaker, "after_soft_rollback", lambda s, _prev: after_rollback(s))
    return seen


def _wait_queued(group, n: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(group._queue) < n:
        assert time.monotonic() < deadline, "the other threads never reached the group"
        time.sleep(0.01)


def _wait_leading(group) -> None:
    deadline = time.monotonic() + WAIT
    while not group._leading:
        assert time.monotonic() < deadline, "the first write never started"
        time.sleep(0.01)


def _grouped(service: ArchiveService, docs: list[bytes], *, hold_first=None):
    """Create one record per document from threads of one batch with group commit; the first
    thread's write holds the group until the others wait in it (so they form the next group).
    Returns the results (record id or the exception) in document order."""
    results: list[object] = [None] * len(docs)
    with service.batch(commit_group=16) as batch:
        group = batch.commits
        assert group is not None

        def create(i: int) -> None:
            try:
                results[i] = service.create_record(io.BytesIO(docs[i]), filename=f"cv-{i}.pdf", actor="user:lan",
                                                   metadata=RecordMetadata(subject=f"Về việc số {i}")).record_id
            except Exception as exc:  # noqa: BLE001 - compared by the test
                results[i] = exc

        def holder(uow):
            _wait_queued(group, len(docs))
            return (hold_first or (lambda u: None))(uow)

        with ThreadPoolExecutor(max_workers=len(docs) + 1) as pool:
            first = pool.submit(group.submit, holder)
            _wait_leading(group)  # the holder leads before the others arrive
            list(pool.map(batch.bind(create), range(len(docs))))
            first.result(WAIT)
        return results, list(group.groups)


@pytest.fixture
def service(catalogue, fs_store):
    return ArchiveService(catalogue, fs_store, indexer=Indexer(), orphan_grace=timedelta(hours=1))


def test_records_ready_together_commit_in_one_transaction(service, catalogue):
    """GIVEN five threads whose records reach the catalogue while another write is committing
    WHEN that write ends THEN the five records commit in one transaction, each thread gets its own
    record, every record is indexed and has its sidecar, and no outbox row is left."""
    commits = _commits(catalogue)
    results, groups = _grouped(service, [_doc(n) for n in range(5)])
    assert all(isinstance(r, str) for r in results), results
    assert groups == [1, 5]
    assert [sorted(c) for c in commits if len(c) > 1] == [sorted(results)]  # one transaction, five records
    assert sorted(service.indexer.ids) == sorted(results)
    assert all(service.sidecars.latest(rid)[0] == 1 for rid in results)
    with catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(OutboxEntry)).scalar_one() == 0


def test_a_refused_record_fails_alone_and_the_others_commit(service, catalogue):
    """GIVEN a group of four records of which one has the bytes of a record already archived
    WHEN the group commits THEN that thread gets DuplicateRecord naming the archived record, the
    three others are committed (each on its own after the group rolled back), and the catalogue
    holds exactly one original per distinct document."""
    kept = service.create_record(io.BytesIO(_doc(99)), filename="truoc.pdf", actor="user:lan",
                                 metadata=RecordMetadata(subject="Đã lưu trước")).record_id
    commits = _commits(catalogue)
    results, groups = _grouped(service, [_doc(1), _doc(2), _doc(99), _doc(3)])
    assert isinstance(results[2], DuplicateRecord) and results[2].record_id == kept
    made = [r for i, r in enumerate(results) if i != 2]
    assert all(isinstance(r, str) for r in made), results
    assert groups == [1, 1, 1, 1]  # the holder, then the three that commit alone after the rollback
    assert sorted(rid for c in commits for rid in c) == sorted(made)
    with catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar_one() == 4


def test_the_same_bytes_twice_in_one_group_is_one_record_and_a_duplicate(service, catalogue):
    results, _ = _grouped(service, [_doc(7), _doc(8), _doc(7)])
    made = [r for r in results if isinstance(r, str)]
    dups = [r for r in results if isinstance(r, DuplicateRecord)]
    assert len(made) == 2 and len(dups) == 1 and dups[0].record_id in made
    with catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar_one() == 2


def test_without_group_commit_each_record_commits_alone(service, catalogue):
    """The batch of before (no ``commit_group``): one transaction per record."""
    commits = _commits(catalogue)
    with service.batch() as batch, ThreadPoolExecutor(max_workers=4) as pool:
        assert batch.commits is None
        made = list(pool.map(batch.bind(lambda n: service.create_record(
            io.BytesIO(_doc(n)), filename="a.pdf", actor="u", metadata=RecordMetadata()).record_id), range(4)))
    assert sorted(len(c) for c in commits if c) == [1, 1, 1, 1] and len(set(made)) == 4


CHILD = textwrap.dedent("""
    import io, json, os, sys, threading, time
    from concurrent.futures import ThreadPoolExecutor
    from archive import audit
    from archive.catalogue import Catalogue
    from archive.domain import RecordMetadata
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService

    url, root, crash_at, log, count = sys.argv[1:6]
    count = int(count)

    class FileIndexer:
        def index(self, ids):
            with open(log, "a") as f:
                f.write(json.dumps(ids) + "\\n")
        def delete(self, ids):
            pass

    service = ArchiveService(Catalogue(url), FilesystemObjectStore(root), indexer=FileIndexer())
    if crash_at == "mid_group":
        real_append, calls = audit.append, []
        def append(*a, **k):  # the audit entry of the group's second record: inside the transaction
            calls.append(1)
            if len(calls) == 2:
                os._exit(17)
            return real_append(*a, **k)
        audit.append = append
    if crash_at == "after_group_commit":
        real_run = service._run_outbox
        def run(ids=None, **kw):
            if ids:
                os._exit(17)
            return real_run(ids, **kw)
        service._run_outbox = run
    with service.batch(commit_group=16) as batch:
        group = batch.commits
        def hold(uow):
            while len(group._queue) < count:
                time.sleep(0.01)
        def create(n):
            service.create_record(io.BytesIO(f"Công văn số {n}/UBND-VP về công tác lưu trữ năm 2025".encode()),
                                  filename=f"cv-{n}.pdf", actor="user:lan", metadata=RecordMetadata())
        with ThreadPoolExecutor(max_workers=count + 1) as pool:
            first = pool.submit(group.submit, hold)
            while not group._leading:
                time.sleep(0.01)
            list(pool.map(batch.bind(create), range(count)))
            first.result()
    os._exit(0)
""")


def _records(service) -> list[str]:
    with service.catalogue.session() as s:
        return list(s.execute(sa.select(Record.id)).scalars())


@pytest.mark.parametrize("crash_at", ["mid_group", "after_group_commit"])
def test_a_process_dying_in_a_group_leaves_a_state_the_repair_resolves(catalogue_url, tmp_path, crash_at):
    """GIVEN a record archived before, and a process that dies while a group of three records
    commits (inside the transaction, after the first record's rows) or right after the group's
    commit (before its post-commit work)
    WHEN the repair pass runs and the same three documents are archived again
    THEN inside: nothing of the group was committed, its objects are orphans the repair removes,
    and the three are archived anew; after: the three are committed, the repair indexes them and
    writes their sidecars, and archiving them again finds them as duplicates. Either way the record
    of before is intact, the outbox empty and the repair report clean."""
    cat = Catalogue(catalogue_url)
    cat.migrate()
    store = FilesystemObjectStore(tmp_path / "objects")
    indexer_log = tmp_path / "index.log"
    service = ArchiveService(cat, store, indexer=Indexer(), orphan_grace=timedelta(0))
    kept = service.create_record(io.BytesIO(b"%PDF-1.4 da luu truoc"), filename="truoc.pdf",
                                 metadata=RecordMetadata(subject="Báo cáo đã lưu trước"), actor="user:lan")
    proc = subprocess.run([sys.executable, "-c", CHILD, catalogue_url, str(store.root), crash_at, str(indexer_log), "3"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 17, proc.stderr
    after_crash = set(_records(service)) - {kept.record_id}
    report = service.repair()
    if crash_at == "mid_group":
        assert after_crash == set()
        assert len(report.orphans_removed) == 3 and report.outbox_done == 0
    else:
        assert len(after_crash) == 3
        assert report.outbox_done == 4  # the group's three index rows and its one sidecar row
        assert after_crash <= set(service.indexer.ids)
        assert all(service.sidecars.latest(rid)[0] == 1 for rid in after_crash)
        assert not indexer_log.exists()  # the child never indexed: it died first
    assert report.clean and not report.missing
    again = []
    for n in range(3):
        try:
            again.append(("new", service.create_record(
                io.BytesIO(_doc(n)), filename=f"cv-{n}.pdf", actor="user:lan", metadata=RecordMetadata()).record_id))
        except DuplicateRecord as dup:
            again.append(("duplicate", dup.record_id))
    assert [k for k, _ in again] == (["new"] * 3 if crash_at == "mid_group" else ["duplicate"] * 3)
    if crash_at == "after_group_commit":
        assert {rid for _, rid in again} == after_crash
    assert len(_records(service)) == 4
    with cat.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(OutboxEntry)).scalar_one() == 0
    _, reader = service.open_component(kept.record_id, actor="test")
    assert reader.read() == b"%PDF-1.4 da luu truoc"
    assert service.repair().clean
    cat.dispose()
