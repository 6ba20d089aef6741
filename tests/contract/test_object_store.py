"""One contract for every ObjectStore: the filesystem store and the S3 store, on moto's S3 server
(in-process) and on the real S3 server of tests/servers/start (versitygw)."""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from fixtures_s3 import s3_store_on

from archive.errors import IntegrityError, ObjectLocked, ObjectNotFound
from archive.objects.base import ObjectStore, key_for_sha256


def _corrupt_file(store, key: str) -> None:
    path = store.root / key
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture(params=["filesystem", pytest.param("s3-moto", marks=pytest.mark.s3),
                        pytest.param("s3-server", marks=[pytest.mark.s3, pytest.mark.s3_server])])
def store(request, fs_store):
    """(store, corrupt) where corrupt(key) damages the stored bytes behind the store's back."""
    if request.param == "filesystem":
        yield fs_store, lambda key: _corrupt_file(fs_store, key)
        return
    server = request.getfixturevalue("moto_s3_server" if request.param == "s3-moto" else "real_s3_server")
    with s3_store_on(server) as pair:
        yield pair


class ChunkedStream(io.RawIOBase):
    """A stream of ``size`` pseudo-random bytes that never exists in memory as a whole."""

    def __init__(self, size: int, seed: int = 7):
        self.remaining = size
        self.block = hashlib.sha256(str(seed).encode()).digest() * 32768  # 1 MiB pattern
        self.sha = hashlib.sha256()

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.remaining if n is None or n < 0 else min(n, self.remaining)
        out = (self.block * (n // len(self.block) + 1))[:n]
        self.remaining -= n
        self.sha.update(out)
        return out


class TestObjectStoreContract:
    def test_conforms_to_protocol(self, store):
        s, _ = store
        assert isinstance(s, ObjectStore)
        assert isinstance(s.health(), str)

    def test_round_trip_is_content_addressed(self, store):
        s, _ = store
        data = "Quyết định số 15/QĐ-UBND".encode()
        obj = s.put(io.BytesIO(data), media_type="text/plain")
        assert obj.sha256 == hashlib.sha256(data).hexdigest()
        assert obj.key == key_for_sha256(obj.sha256)
        assert obj.size == len(data) and obj.created
        with s.open(obj.key, verify=True) as r:
            assert r.read() == data
        info = s.stat(obj.key)
        assert (info.size, info.sha256) == (len(data), obj.sha256)
        assert s.exists(obj.key)
        assert obj.key in list(s.iter_keys())

    @pytest.mark.parametrize("data", [b"", b"x"], ids=["empty", "one-byte"])
    def test_tiny_objects(self, store, data):
        s, _ = store
        obj = s.put(io.BytesIO(data))
        with s.open(obj.key, verify=True) as r:
            assert r.read() == data

    def test_same_bytes_are_never_stored_twice(self, store):
        s, _ = store
        first = s.put(io.BytesIO(b"cong van"))
        second = s.put(io.BytesIO(b"cong van"))
        assert first.key == second.key and first.created and not second.created
        assert list(s.iter_keys()).count(first.key) == 1

    def test_wrong_expected_digest_stores_nothing(self, store):
        s, _ = store
        with pytest.raises(IntegrityError):
            s.put(io.BytesIO(b"noi dung"), expected_sha256="0" * 64)
        assert list(s.iter_keys()) == []

    def test_wrong_declared_size_stores_nothing(self, store):
        s, _ = store
        with pytest.raises(IntegrityError):
            s.put(io.BytesIO(b"12345"), size=3)
        assert list(s.iter_keys()) == []

    def test_streamed_multi_part_object(self, store):
        s, _ = store
        src = ChunkedStream(12 * 1024 * 1024 + 17)
        obj = s.put(src)
        assert obj.sha256 == src.sha.hexdigest()
        digest = hashlib.sha256()
        with s.open(obj.key, verify=True) as r:
            for chunk in r:
                digest.update(chunk)
        assert digest.hexdigest() == obj.sha256

    def test_byte_ranges(self, store):
        """GIVEN an object WHEN parts are read by offset and length (HTTP Range) THEN exactly those
        bytes come back, across chunk boundaries and at the ends."""
        s, _ = store
        data = bytes(range(256)) * 5000  # 1.28 MB: crosses the stores' chunk size
        obj = s.put(io.BytesIO(data))
        for start, length in ((0, 1), (0, len(data)), (1000, 70_000), (len(data) - 5, 5), (300_000, 900_000)):
            got = b"".join(s.open_range(obj.key, start, length))
            assert got == data[start:start + length], (start, length)
        with pytest.raises(ObjectNotFound):
            b"".join(s.open_range(key_for_sha256("cd" * 32), 0, 10))

    def test_missing_object(self, store):
        s, _ = store
        key = key_for_sha256("ab" * 32)
        assert not s.exists(key)
        with pytest.raises(ObjectNotFound):
            s.open(key)
        with pytest.raises(ObjectNotFound):
            s.stat(key)

    def test_corruption_detected_on_verified_read(self, store):
        s, corrupt = store
        obj = s.put(io.BytesIO(b"ban goc dien tu " * 100))
        corrupt(obj.key)
        with pytest.raises(IntegrityError), s.open(obj.key, verify=True) as r:
            r.read()

    def test_size_checked_against_the_catalogue(self, store):
        s, _ = store
        obj = s.put(io.BytesIO(b"abc"))
        with pytest.raises(IntegrityError), s.open(obj.key, expected_size=4) as r:
            while r.read(1):
                pass

    def test_retained_object_cannot_be_deleted_or_replaced(self, store):
        s, _ = store
        until = datetime.now(UTC) + timedelta(days=3650)
        data = b"Bien ban huy tai lieu"
        obj = s.put(io.BytesIO(data), retain_until=until)
        assert s.stat(obj.key).retain_until >= until - timedelta(seconds=1)
        with pytest.raises(ObjectLocked):
            s.delete(obj.key)
        again = s.put(io.BytesIO(data))  # same key: never overwrites, stays locked
        assert not again.created
        with pytest.raises(ObjectLocked):
            s.delete(obj.key)
        with pytest.raises(ObjectLocked):
            s.set_retention(obj.key, until - timedelta(days=1))  # never shortened
        s.set_retention(obj.key, until + timedelta(days=1))
        with s.open(obj.key, verify=True) as r:
            assert r.read() == data

    def test_retention_expires_and_legal_hold_blocks(self, store):
        s, _ = store
        obj = s.put(io.BytesIO(b"het han"), retain_until=datetime.now(UTC) + timedelta(seconds=2))
        s.set_legal_hold(obj.key, True)
        time.sleep(3.2)  # the S3 store rounds a retain-until date up to the whole second
        with pytest.raises(ObjectLocked):
            s.delete(obj.key)  # retention over, hold still on
        assert s.stat(obj.key).legal_hold
        s.set_legal_hold(obj.key, False)
        s.delete(obj.key)
        assert not s.exists(obj.key)
        assert obj.key not in list(s.iter_keys())

    def test_cleanup_incomplete_leaves_objects(self, store):
        s, _ = store
        obj = s.put(io.BytesIO(b"giu lai"))
        s.cleanup_incomplete(datetime.now(UTC) + timedelta(seconds=1))
        assert s.exists(obj.key)


def test_put_retain_until_means_at_least(store):
    s, _ = store
    far = datetime.now(UTC) + timedelta(days=3650)
    obj = s.put(io.BytesIO(b"toi thieu"), retain_until=far)
    again = s.put(io.BytesIO(b"toi thieu"), retain_until=far - timedelta(days=365))
    assert not again.created
    assert s.stat(obj.key).retain_until >= far - timedelta(seconds=1)


class TestNamedObjects:
    """What the archive publishes about itself (the audit anchors): written once, never listed as
    content, found again by name and by prefix."""

    def test_written_once_read_back_and_listed_by_prefix(self, store):
        from archive.errors import ObjectExists

        s, _ = store
        s.put_named("audit/anchors/00000002.json", b'{"id": 2}')
        s.put_named("audit/anchors/00000001.json", b'{"id": 1}', retain_until=datetime.now(UTC) + timedelta(days=1))
        s.put_named("other/x.json", b"{}")
        with pytest.raises(ObjectExists):
            s.put_named("audit/anchors/00000001.json", b'{"id": "rewritten"}')
        assert s.get_named("audit/anchors/00000001.json") == b'{"id": 1}'
        assert list(s.list_named("audit/anchors/")) == ["audit/anchors/00000001.json", "audit/anchors/00000002.json"]
        assert list(s.list_named("nothing/")) == []
        assert list(s.iter_keys()) == []  # never mistaken for content (the repair pass would remove it)
        with pytest.raises(ObjectNotFound):
            s.get_named("audit/anchors/00000003.json")

    def test_deleted_only_while_unlocked(self, store):
        """GIVEN a locked and an unlocked named object WHEN each is deleted THEN the unlocked one
        is gone (its name free again, deleting it twice is nothing) and the locked one stays."""
        s, _ = store
        s.put_named("deposits/a.json", b"{}")
        s.put_named("audit/anchors/00000001.json", b"{}", retain_until=datetime.now(UTC) + timedelta(days=1))
        s.delete_named("deposits/a.json")
        s.delete_named("deposits/a.json")
        assert list(s.list_named("deposits/")) == []
        s.put_named("deposits/a.json", b'{"again": 1}')
        assert s.get_named("deposits/a.json") == b'{"again": 1}'
        with pytest.raises(ObjectLocked):
            s.delete_named("audit/anchors/00000001.json")
        assert s.get_named("audit/anchors/00000001.json") == b"{}"
        with pytest.raises(ValueError):
            s.delete_named("../x")

    def test_staged_deposits_are_jobs_until_done(self, store):
        """GIVEN deposits staged (``archive.staging``) WHEN listed, found stale, finished THEN the
        bytes are a content object, the manifest names them, and ``done`` ends the job only."""
        from archive.staging import DepositStaging

        s, _ = store
        staging = DepositStaging(s)
        m = staging.stage(io.BytesIO(b"%PDF-1.7 staged"), size=15, manifest={"submitter": "client:qlvb"})
        assert m["key"] == key_for_sha256(hashlib.sha256(b"%PDF-1.7 staged").hexdigest()) and s.exists(m["key"])
        assert staging.get(m["job_id"]) == m and staging.keys() == {m["key"]}
        assert staging.stale(timedelta(minutes=5)) == []
        assert [x["job_id"] for x in staging.stale(timedelta(minutes=5), datetime.now(UTC) + timedelta(hours=1))] \
            == [m["job_id"]]
        staging.done(m["job_id"])
        assert staging.get(m["job_id"]) is None and list(staging.pending()) == [] and s.exists(m["key"])
        assert staging.get("../../audit/anchors/00000001") is None  # only a UUID names a job

    @pytest.mark.parametrize("name", ["../x", "/abs", "a/../b", "UPPER.json", "sha256 x", "", "a//b", "x/" * 120])
    def test_names_that_could_escape_are_refused(self, store, name):
        s, _ = store
        with pytest.raises(ValueError):
            s.put_named(name, b"x")


# fixity: block digests recorded while writing, verified reads, audits ---------------------------
MiB = 1024 * 1024


def _pattern(size: int, seed: int) -> bytes:
    block = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(1024))
    return (block * (size // len(block) + 1))[:size]


def test_put_records_the_digest_of_every_block(store):
    """GIVEN 2 MiB + 100 bytes WHEN stored THEN the store returns the SHA-256 of each 1 MiB block,
    computed in the same pass; an object of one block needs none."""
    s, _ = store
    data = _pattern(2 * MiB + 100, 1)
    obj = s.put(io.BytesIO(data))
    assert obj.block_digests == b"".join(hashlib.sha256(data[i:i + MiB]).digest() for i in range(0, len(data), MiB))
    assert s.put(io.BytesIO(data)).block_digests == obj.block_digests  # a duplicate put too
    assert s.put(io.BytesIO(b"x" * 100)).block_digests is None
    assert s.put(io.BytesIO(_pattern(MiB, 2))).block_digests is None


def test_block_reads_hand_out_only_verified_blocks(store):
    """GIVEN an object of four blocks WHEN its first byte is altered behind the store's back THEN a
    block read fails at block 0, and the blocks that are still right read back verified."""
    from archive.objects.blocks import BlockMismatch, Digests, read_blocks

    s, corrupt = store
    data = _pattern(3 * MiB + 5, 3)
    obj = s.put(io.BytesIO(data))
    digests = Digests.of(obj.key, obj.sha256, obj.size, MiB, obj.block_digests)
    assert b"".join(b for _, b in read_blocks(s, digests, 0, 3)) == data
    assert [i for i, _ in read_blocks(s, digests, 1, 2)] == [1, 2]
    corrupt(obj.key)
    with pytest.raises(BlockMismatch) as exc:
        list(read_blocks(s, digests, 0, 3))
    assert exc.value.block == 0
    assert b"".join(b for _, b in read_blocks(s, digests, 1, 3)) == data[MiB:]


def test_fixity_audit_and_downloads_on_every_store(store, catalogue):
    """GIVEN a record on this store (and catalogue) WHEN its bytes are altered THEN the fixity audit
    finds it and marks the record damaged, and no download hands out its bytes (whole, or a range
    over the bad block); the bytes themselves are re-read and hashed, not an ETag."""
    from archive.domain import RecordMetadata
    from archive.errors import FixityFailed
    from archive.fixity import FixityService
    from archive.service import ArchiveService

    s, corrupt = store
    archive = ArchiveService(catalogue, s)
    fixity = FixityService(archive, prehash_limit=MiB, budget_bytes_s=None)
    data = _pattern(3 * MiB, 4)
    rid = archive.create_record(io.BytesIO(data), filename="ban-do.tif", metadata=RecordMetadata(subject="Bản đồ"),
                                actor="user:lan").record_id
    time.sleep(0.01)
    first = fixity.run()
    assert first.objects == 1 and not first.failures and first.bytes == len(data)
    info = fixity.component(rid)
    with fixity.open(info, actor="t", span=(MiB + 1, 10)) as content:
        assert b"".join(content) == data[MiB + 1:MiB + 11]
    corrupt(info["storage_key"])
    time.sleep(0.01)
    report = fixity.run()
    assert [f["record_id"] for f in report.failures] == [rid]
    assert archive.get_record(rid, actor="t", audit_access=False)["status"] == "damaged"
    for span in (None, (0, 10), (0, 2 * MiB)):
        with pytest.raises(FixityFailed):
            fixity.open(info, actor="t", span=span)
    with fixity.open(info, actor="t", span=(2 * MiB, 100)) as content:  # intact blocks stay readable
        assert b"".join(content) == data[2 * MiB:2 * MiB + 100]


def test_the_audit_asks_for_the_lock_only_where_locks_are_files(store, catalogue, monkeypatch):
    """GIVEN a record on this store WHEN the fixity audit reads it THEN the store is asked for the
    object's lock (``stat``: one more request per object on S3) only when it keeps its locks in
    sidecar files that can be damaged apart from the object — the filesystem store — and never on
    S3, whose object lock the server keeps."""
    from archive.domain import RecordMetadata
    from archive.fixity import FixityService
    from archive.service import ArchiveService

    s, _ = store
    archive = ArchiveService(catalogue, s)
    fixity = FixityService(archive, prehash_limit=MiB, budget_bytes_s=None)
    archive.create_record(io.BytesIO(_pattern(MiB + 3, 6)), filename="to-trinh.pdf",
                          metadata=RecordMetadata(subject="Tờ trình"), actor="user:lan")
    asked: list[str] = []
    stat = s.stat
    monkeypatch.setattr(s, "stat", lambda key: asked.append(key) or stat(key))
    time.sleep(0.01)
    report = fixity.run()
    assert report.objects == 1 and not report.failures
    assert len(asked) == (1 if s.name == "filesystem" else 0), (s.name, asked)
    assert s.locks_in_sidecars == (s.name == "filesystem")


def test_a_replica_on_every_store_serves_what_the_store_lost(store, catalogue, tmp_path):
    """GIVEN this store as the replica of a filesystem store WHEN the store's copy is altered THEN a
    download is served, verified, from the replica — in the middle of a long transfer too."""
    from archive.domain import RecordMetadata
    from archive.fixity import FixityService
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService

    replica, _ = store
    primary = FilesystemObjectStore(tmp_path / "primary")
    archive = ArchiveService(catalogue, primary)
    fixity = FixityService(archive, prehash_limit=MiB, replica=replica)
    data = _pattern(4 * MiB + 9, 5)
    rid = archive.create_record(io.BytesIO(data), filename="so-do.tif", metadata=RecordMetadata(subject="Sơ đồ"),
                                actor="user:lan").record_id
    replica.put(io.BytesIO(data))
    info = fixity.component(rid)
    _corrupt_file(primary, info["storage_key"])  # block 0: no byte of the store's copy can be used
    with fixity.open(info, actor="t") as content:
        assert content.source == "replica" and b"".join(content) == data
    _corrupt_file(primary, info["storage_key"])
    path = primary.root / info["storage_key"]
    raw = bytearray(path.read_bytes())
    raw[3 * MiB] ^= 0xFF
    path.write_bytes(bytes(raw))
    with fixity.open(info, actor="t") as content:
        assert content.source == "primary" and b"".join(content) == data and content.source == "replica"
