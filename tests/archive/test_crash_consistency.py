"""A crash at any step of a write leaves a state that the repair pass resolves; nothing accepted
is lost. The crashes are real: a child process dies with ``os._exit`` at the chosen point."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from archive.catalogue import Catalogue
from archive.domain import RecordMetadata
from archive.objects.filesystem import FilesystemObjectStore
from archive.service import ArchiveService

CHILD = textwrap.dedent("""
    import io, json, os, sys
    from archive.catalogue import Catalogue
    from archive.domain import RecordMetadata
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService

    url, root, crash_at, log = sys.argv[1:5]

    class FileIndexer:
        def index(self, ids):
            with open(log, "a") as f:
                f.write(json.dumps(ids) + "\\n")
        def delete(self, ids):
            pass

    store = FilesystemObjectStore(root)
    if crash_at == "after_object":
        real_put = store.put
        def put(*a, **k):
            real_put(*a, **k)
            os._exit(17)
        store.put = put
    service = ArchiveService(Catalogue(url), store, indexer=FileIndexer())
    if crash_at == "after_commit":
        service._run_outbox = lambda ids=None, **kw: os._exit(17)
    service.create_record(io.BytesIO("Công văn số 9545/UBND-THCB".encode()), filename="cv.pdf",
                          metadata=RecordMetadata(subject="Về việc tăng cường công tác lưu trữ"), actor="user:lan")
    os._exit(0)
""")


class FileIndexer:
    def __init__(self, path):
        self.path = path

    def index(self, ids):
        with open(self.path, "a") as f:
            f.write(json.dumps(ids) + "\n")

    def delete(self, ids):
        pass

    def indexed(self) -> list[str]:
        if not os.path.exists(self.path):
            return []
        return [i for line in open(self.path) for i in json.loads(line)]


@pytest.fixture
def setup(catalogue_url, tmp_path):
    cat = Catalogue(catalogue_url)
    cat.migrate()
    store = FilesystemObjectStore(tmp_path / "objects")
    indexer = FileIndexer(tmp_path / "index.log")
    service = ArchiveService(cat, store, indexer=indexer, orphan_grace=timedelta(0))
    # A record accepted before the crash, which must survive everything below.
    kept = service.create_record(io.BytesIO(b"%PDF-1.4 da luu truoc"), filename="truoc.pdf",
                                 metadata=RecordMetadata(subject="Báo cáo đã lưu trước"), actor="user:lan")
    yield service, store, indexer, kept, catalogue_url, tmp_path
    cat.dispose()


def crash_child(url, root, point, log) -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD, url, str(root), point, str(log)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 17, proc.stderr


def assert_kept_intact(service, kept):
    _, reader = service.open_component(kept.record_id, actor="test")
    assert reader.read() == b"%PDF-1.4 da luu truoc"


def test_crash_between_object_and_commit(setup):
    """GIVEN a process that dies after storing the bytes but before the catalogue commit
    WHEN the repair pass runs THEN the orphan object is removed and no record exists for it."""
    service, store, _, kept, url, tmp = setup
    crash_child(url, store.root, "after_object", tmp / "index.log")
    assert len(list(store.iter_keys())) == 2 and service.counts()["records"] == 1
    report = service.repair()
    assert len(report.orphans_removed) == 1 and not report.missing
    assert list(store.iter_keys()) == [c["storage_key"] for c in
                                       service.get_record(kept.record_id, actor="t")["components"]]
    assert_kept_intact(service, kept)
    # and the same file can be archived afterwards
    again = service.create_record(io.BytesIO("Công văn số 9545/UBND-THCB".encode()), filename="cv.pdf",
                                  metadata=RecordMetadata(), actor="user:lan")
    assert service.find_original(again.sha256) == again.record_id


def test_recent_orphans_are_kept_during_the_grace_period(setup):
    service, store, _, _, url, tmp = setup
    crash_child(url, store.root, "after_object", tmp / "index.log")
    service.orphan_grace = timedelta(hours=1)
    report = service.repair()
    assert len(report.orphans_kept) == 1 and not report.orphans_removed
    assert len(list(store.iter_keys())) == 2


def test_crash_between_commit_and_post_commit(setup):
    """GIVEN a process that dies right after the commit, before indexing
    WHEN the repair pass runs THEN the record is indexed and readable."""
    service, store, indexer, kept, url, tmp = setup
    crash_child(url, store.root, "after_commit", tmp / "index.log")
    # two post-commit rows: the index work and the record's metadata sidecar (archive.sidecars)
    assert service.counts()["records"] == 2 and service.counts()["pending_post_commit"] == 2
    new_ids = set(service_ids(service)) - {kept.record_id}
    assert new_ids and not new_ids & set(indexer.indexed())
    assert all(service.sidecars.latest(rid) == (0, None) for rid in new_ids)
    report = service.repair()
    assert report.outbox_done == 2 and report.clean
    assert new_ids <= set(indexer.indexed())
    assert all(service.sidecars.latest(rid)[0] == 1 for rid in new_ids)
    assert service.counts()["pending_post_commit"] == 0
    assert_kept_intact(service, kept)


def service_ids(service) -> list[str]:
    import sqlalchemy as sa

    from archive.catalogue import Record

    with service.catalogue.session() as s:
        return list(s.execute(sa.select(Record.id)).scalars())


def test_index_down_keeps_the_work_for_later(catalogue, fs_store, indexer):
    service = ArchiveService(catalogue, fs_store, indexer=indexer, orphan_grace=timedelta(0))
    indexer.fail = True
    created = service.create_record(io.BytesIO(b"abc"), filename="a", metadata=RecordMetadata(), actor="u")
    assert service.counts()["pending_post_commit"] == 1
    assert service.repair().outbox_failed == 1
    indexer.fail = False
    assert service.repair().outbox_done == 1
    assert indexer.indexed == [created.record_id]


def test_missing_bytes_are_reported_and_restored(catalogue, fs_store, indexer):
    service = ArchiveService(catalogue, fs_store, indexer=indexer, orphan_grace=timedelta(0))
    created = service.create_record(io.BytesIO(b"ban goc"), filename="a", metadata=RecordMetadata(), actor="u")
    key = service.get_record(created.record_id, actor="u")["components"][0]["storage_key"]
    path = fs_store.root / key
    saved = path.read_bytes()
    path.unlink()
    report = service.repair()
    assert [m["record_id"] for m in report.missing] == [created.record_id]
    record = service.get_record(created.record_id, actor="u")
    assert record["status"] == "damaged"
    assert record["events"][-1]["type"] == "fixity check" and record["events"][-1]["outcome"] == "failure"
    # restored from a backup: the next pass notices
    fs_store.put(io.BytesIO(saved))
    report = service.repair()
    assert report.restored == [created.record_id] and report.clean
    assert service.get_record(created.record_id, actor="u")["status"] == "active"


def test_a_destruction_in_progress_is_not_a_fixity_failure(catalogue, fs_store, indexer):
    """GIVEN a record whose destruction crashed after its bytes were removed (status disposing)
    WHEN the repair pass runs THEN it is left to the destruction's resume, not marked damaged."""
    import sqlalchemy as sa

    from archive.catalogue import Record

    service = ArchiveService(catalogue, fs_store, indexer=indexer, orphan_grace=timedelta(0))
    created = service.create_record(io.BytesIO(b"se huy"), filename="a", metadata=RecordMetadata(), actor="u")
    key = service.get_record(created.record_id, actor="u")["components"][0]["storage_key"]
    with catalogue.session() as s:
        s.execute(sa.update(Record).where(Record.id == created.record_id).values(status="disposing"))
    fs_store.delete(key)
    report = service.repair()
    assert report.missing == []
    assert service.get_record(created.record_id, actor="u")["status"] == "disposing"


def test_grouped_indexing_sends_records_together_and_keeps_rows_until_indexed(catalogue, fs_store, indexer):
    service = ArchiveService(catalogue, fs_store, indexer=indexer, orphan_grace=timedelta(0))
    calls = []
    real = indexer.index
    indexer.index = lambda ids: (calls.append(list(ids)), real(ids))
    with service.grouped_indexing(size=3):
        made = [service.create_record(io.BytesIO(f"vb {i}".encode()), filename=f"{i}", metadata=RecordMetadata(),
                                      actor="u").record_id for i in range(5)]
        assert calls == [made[:3]]
        assert service.counts()["pending_post_commit"] == 2  # staged, not yet indexed: still durable
    assert calls == [made[:3], made[3:]]
    assert service.counts()["pending_post_commit"] == 0
    indexer.fail = True
    with service.grouped_indexing(size=10):
        service.create_record(io.BytesIO(b"vb loi"), filename="x", metadata=RecordMetadata(), actor="u")
    assert service.counts()["pending_post_commit"] == 1  # left for the repair pass


def test_a_new_folder_is_named_on_disk_before_anything_goes_into_it(tmp_path, monkeypatch):
    """GIVEN an empty filesystem store WHEN an object and a named object land in folders that do
    not exist yet THEN each new folder's parent is fsync'd after the folder is made and before the
    file is linked into it — a file fsync'd with its folder would otherwise still vanish in a power
    cut, its folder's own entry never written (after the catalogue committed the row naming it)."""
    import archive.objects.filesystem as fs

    store = FilesystemObjectStore(tmp_path / "objects")
    calls: list[tuple[str, str]] = []
    real_sync, real_link = fs.fsync_dir, os.link
    monkeypatch.setattr(fs, "fsync_dir", lambda p: (calls.append(("sync", str(p))), real_sync(p))[1])
    monkeypatch.setattr(fs.os, "link", lambda a, b: (calls.append(("link", str(b))), real_link(a, b))[1])

    stored = store.put(io.BytesIO(b"Quyet dinh so 12/QD-UBND"))
    store.put_named("records/8f14e45f-ceea-467f-a1b4-1f6c9d2e8e10/meta-00000001.json", b"{}")

    for final in (store._path(stored.key), store._named_path("records/8f14e45f-ceea-467f-a1b4-1f6c9d2e8e10/meta-00000001.json")):
        link_at = calls.index(("link", str(final)))
        made = [p for p in final.parents if p != store.root and store.root in p.parents]
        for folder in made:  # every folder between the store's root and the file was new
            assert ("sync", str(folder.parent)) in calls[:link_at], (folder, calls)


def test_a_retention_lock_reaches_the_disk_before_its_name(tmp_path, monkeypatch):
    """GIVEN a filesystem store WHEN a retention date is set on an object and a named object is put
    with one THEN each lock's bytes are fsync'd before the temporary file is renamed (or linked) to
    the lock's name and the folder is fsync'd after — a lock renamed before its bytes were durable
    could come back empty after a power cut."""
    from datetime import UTC, datetime

    import archive.objects.filesystem as fs

    store = FilesystemObjectStore(tmp_path / "objects")
    stored = store.put(io.BytesIO(b"Bien ban huy tai lieu so 3"))
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace, real_link, real_sync = os.fsync, os.replace, os.link, fs.fsync_dir
    monkeypatch.setattr(fs.os, "fsync", lambda fd: (calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                     real_fsync(fd))[1])
    monkeypatch.setattr(fs.os, "replace", lambda a, b: (calls.append(("name", str(a))), real_replace(a, b))[1])
    monkeypatch.setattr(fs.os, "link", lambda a, b: (calls.append(("name", str(a))), real_link(a, b))[1])
    monkeypatch.setattr(fs, "fsync_dir", lambda p: (calls.append(("sync", str(p))), real_sync(p))[1])

    until = datetime(2200, 1, 1, tzinfo=UTC)
    store.set_retention(stored.key, until)
    store.put_named("audit/anchors/00000001.json", b"{}", retain_until=until)
    named = [arg for op, arg in calls if op == "name" and arg.endswith(".tmp")]
    assert len(named) == 2
    for tmp in named:
        at = calls.index(("name", tmp))
        assert ("fsync", tmp) in calls[:at]  # the bytes first
        assert any(op == "sync" and arg == str(Path(tmp).parent) for op, arg in calls[at:])  # then the name
    assert store.stat(stored.key).retain_until == until
    lock = store._named_path("audit/anchors/00000001.json").with_name("00000001.json.lock")
    assert json.loads(lock.read_text())["retain_until"] == until.isoformat()
    assert not list(lock.parent.glob("*.tmp"))


def test_a_named_object_never_appears_without_its_lock(tmp_path, monkeypatch):
    """GIVEN a named object put with a retention date (an audit anchor, kept until 2200) WHEN its
    bytes are linked under its name THEN its lock is already on disk; a crash before the object
    leaves a lock alone, which the retry keeps (an earlier date never shortens it) or extends."""
    from datetime import UTC, datetime

    import archive.objects.filesystem as fs
    from archive.errors import ObjectExists

    store = FilesystemObjectStore(tmp_path / "objects")
    name = "audit/anchors/00000002.json"
    final = store._named_path(name)
    lock = final.with_name(final.name + ".lock")
    seen, real_link = [], os.link

    def link(src, dst):
        if Path(dst) == final:
            seen.append(json.loads(lock.read_text())["retain_until"])
        return real_link(src, dst)

    monkeypatch.setattr(fs.os, "link", link)
    until, later = datetime(2200, 1, 1, tzinfo=UTC), datetime(2300, 1, 1, tzinfo=UTC)
    store.put_named(name, b"{}", retain_until=until)
    assert seen == [until.isoformat()]

    crashed = "audit/anchors/00000003.json"  # a crash after the lock, before the object
    crashed_lock = store._named_path(crashed).with_name("00000003.json.lock")
    crashed_lock.write_text(json.dumps({"retain_until": later.isoformat()}))
    store.put_named(crashed, b"{}", retain_until=until)  # the retry with an earlier date
    assert json.loads(crashed_lock.read_text())["retain_until"] == later.isoformat()
    assert store.get_named(crashed) == b"{}"
    with pytest.raises(ObjectExists):
        store.put_named(name, b"{}", retain_until=later)
    assert json.loads(lock.read_text())["retain_until"] == until.isoformat()  # untouched by the refusal
