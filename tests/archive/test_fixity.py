"""Fixity on the real catalogue (SQLite and PostgreSQL) and the filesystem store: audits that find a
flipped byte, downloads that never hand out altered bytes, the replica, the budget, resumability
and the cycle. Bytes are damaged on disk behind the store's back, as rot or an intruder would."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from archive import audit
from archive.catalogue.fixity_tables import FixityRun, ObjectFixity
from archive.catalogue.models import AuditEntry, Event, Record
from archive.domain import RecordMetadata
from archive.errors import FixityFailed
from archive.fixity import FixityBusy, FixityService, Throttle
from archive.objects.base import BLOCK_SIZE
from archive.objects.filesystem import FilesystemObjectStore
from archive.service import ArchiveService

MiB = 1024 * 1024


class Clock:
    def __init__(self):
        self.at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class Sink:
    """The archive's event sink (webhooks in production): what was published."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def publish(self, event, data, *, event_id):
        if event != "record.ingested":
            self.events.append((event, data))


class Env:
    def __init__(self, catalogue, root, **fixity):
        self.clock, self.sink = Clock(), Sink()
        self.store = FilesystemObjectStore(root)
        self.archive = ArchiveService(catalogue, self.store, clock=self.clock, events=self.sink,
                                      orphan_grace=timedelta(0))
        fixity.setdefault("budget_bytes_s", None)
        self.fixity = FixityService(self.archive, **fixity)

    def add(self, data: bytes, subject: str = "Công văn") -> tuple[str, str]:
        """(record id, storage key); each record one second after the previous."""
        self.clock.at += timedelta(seconds=1)
        rec = self.archive.create_record(io.BytesIO(data), filename="tai-lieu.pdf", actor="user:lan",
                                         metadata=RecordMetadata(subject=subject))
        return rec.record_id, self.archive.get_record(rec.record_id, actor="t", audit_access=False)[
            "components"][0]["storage_key"]

    def flip(self, key: str, offset: int) -> None:
        path = self.store.root / key
        os.chmod(path, 0o644)
        data = bytearray(path.read_bytes())
        data[offset] ^= 0x01
        path.write_bytes(bytes(data))

    def status(self, record_id: str) -> str:
        with self.archive.catalogue.session() as s:
            return s.get(Record, record_id).status

    def events(self, record_id: str) -> list[tuple[str, str]]:
        with self.archive.catalogue.session() as s:
            return [(e.event_type, e.outcome) for e in s.execute(
                sa.select(Event).where(Event.record_id == record_id).order_by(Event.id)).scalars()]

    def audit_actions(self, target: str) -> list[tuple[str, str]]:
        with self.archive.catalogue.session() as s:
            return [(e.action, e.outcome) for e in s.execute(
                sa.select(AuditEntry).where(AuditEntry.target_id == target).order_by(AuditEntry.id)).scalars()]

    def download(self, record_id: str, span=None) -> bytes:
        info = self.fixity.component(record_id)
        with self.fixity.open(info, actor="user:lan", span=span) as content:
            return b"".join(content)


def blob(size: int, seed: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 1024
        counter += 1
    return bytes(out[:size])


@pytest.fixture
def env(catalogue, tmp_path) -> Env:
    return Env(catalogue, tmp_path / "objects")


def test_an_audit_finds_a_flipped_byte_and_a_restored_copy(env):
    """GIVEN three records, one of several blocks WHEN one byte of its third block is flipped on disk
    THEN the audit checks every object, reports that one with the bad block, marks its record damaged
    with a failed PREMIS fixity event and an audit entry, and publishes fixity.failed once; the
    others get a successful fixity event. WHEN the byte is put back THEN the next audit returns the
    record to active."""
    small, _ = env.add(b"Quyet dinh 15/QD-UBND", "Quyết định")
    big, big_key = env.add(blob(3 * MiB + 500, 1), "Bản đồ")
    other, _ = env.add(blob(200_000, 2), "Tờ trình")
    env.flip(big_key, 2 * MiB + 17)
    env.clock.at += timedelta(minutes=1)
    report = env.fixity.run()
    assert report.complete and report.objects == 3 and report.bytes == 21 + 3 * MiB + 500 + 200_000
    assert [(f["record_id"], f["first"]) for f in report.failures] == [(big, True)]
    assert "block 2 of 4" in report.failures[0]["problem"]
    assert env.status(big) == "damaged" and env.status(small) == env.status(other) == "active"
    assert env.events(big)[-1] == ("fixity check", "failure")
    assert env.events(small)[-1] == env.events(other)[-1] == ("fixity check", "success")
    assert ("fixity.failed", "failure") in env.audit_actions(big)
    assert env.sink.events == [("fixity.failed", {"record_id": big, "role": "original", "detected_by": "fixity",
                                                  "problem": "sha256 mismatch"})]
    env.clock.at += timedelta(minutes=1)
    again = env.fixity.run()
    assert [f["first"] for f in again.failures] == [False]
    assert len(env.sink.events) == 1, "a failure already open is not published again"
    assert env.events(big)[-2:] == [("fixity check", "failure")] * 2, "every audit records its check"

    env.flip(big_key, 2 * MiB + 17)  # restored from a backup
    env.clock.at += timedelta(minutes=1)
    restored = env.fixity.run()
    assert not restored.failures and big in restored.restored
    assert env.status(big) == "active" and env.events(big)[-1] == ("fixity check", "success")
    assert ("fixity.restored", "success") in env.audit_actions(big)
    with env.archive.catalogue.session() as s:
        assert audit.verify(s).ok
        row = s.get(ObjectFixity, big_key)
        assert (row.outcome, row.failed_at, row.checks) == ("success", None, 3)


def test_a_missing_object_is_marked_as_the_repair_pass_does(env):
    rid, key = env.add(blob(5000, 3))
    kept = env.store.root / "kept"
    shutil.move(env.store.root / key, kept)
    env.clock.at += timedelta(minutes=1)
    report = env.fixity.run()
    assert [(f["record_id"], f["problem"]) for f in report.failures] == [(rid, "missing")]
    assert env.status(rid) == "damaged"
    assert env.sink.events[-1][1]["detected_by"] == "fixity" and env.sink.events[-1][1]["problem"] == "missing"
    with pytest.raises(FixityFailed):
        env.download(rid)
    shutil.move(kept, env.store.root / key)
    env.clock.at += timedelta(minutes=1)
    report = env.fixity.run()
    assert not report.failures and rid in report.restored and env.status(rid) == "active"


def test_a_download_of_altered_bytes_fails_before_the_first_byte(env):
    """GIVEN an object within the pre-hash limit with one byte flipped WHEN it is downloaded, whole
    or by a range that covers the flipped byte THEN nothing is handed out (FixityFailed before the
    first byte); the record is damaged and fixity.failed published once, however often it is tried.
    A range whose blocks are intact is served: those bytes are verified."""
    data = blob(3 * MiB, 4)
    rid, key = env.add(data)
    assert env.download(rid) == data and env.download(rid, (10, 100)) == data[10:110]
    env.flip(key, MiB + 5)
    for span in (None, (MiB, 10), (0, 3 * MiB), (MiB - 10, 20)):
        with pytest.raises(FixityFailed) as exc:
            env.download(rid, span)
        assert exc.value.code == "fixity_failed" and "SHA-256" in exc.value.message_vi
    assert env.status(rid) == "damaged"
    assert [e for e, _ in env.sink.events] == ["fixity.failed"]
    assert env.sink.events[0][1]["detected_by"] == "download"
    assert env.download(rid, (2 * MiB, 1000)) == data[2 * MiB:2 * MiB + 1000]
    downloads = [a for a in env.audit_actions(rid) if a[0] == "record.download"]
    assert downloads.count(("record.download", "failure")) == 4


def test_a_long_download_is_cut_at_the_first_bad_block(catalogue, tmp_path):
    """GIVEN a pre-hash limit of 1 MiB and a 6 MiB object WHEN block 4 is altered THEN a download
    hands out only verified blocks (0–2; block 3 is held back) and then fails; WHEN block 0 is
    altered THEN it fails before the first byte."""
    env = Env(catalogue, tmp_path / "objects", prehash_limit=MiB)
    data = blob(6 * MiB, 5)
    rid, key = env.add(data)
    env.flip(key, 4 * MiB + 99)
    info = env.fixity.component(rid)
    got = []
    with pytest.raises(FixityFailed), env.fixity.open(info, actor="t") as content:
        for piece in content:
            got.append(piece)
    assert b"".join(got) == data[:3 * MiB]
    assert env.status(rid) == "damaged"
    # a long range past the bad block is cut the same way; one before it is served
    with pytest.raises(FixityFailed):
        env.download(rid, (MiB, 4 * MiB))
    assert env.download(rid, (MiB + 3, 2 * MiB)) == data[MiB + 3:3 * MiB + 3]
    env.flip(key, 4 * MiB + 99)
    env.flip(key, 7)
    with pytest.raises(FixityFailed):
        env.fixity.open(info, actor="t")


def test_the_whole_sha256_decides_even_when_block_digests_lie(catalogue, tmp_path):
    """GIVEN bytes altered and the recorded block digests rewritten to match them WHEN the object is
    downloaded THEN the last block is never handed out: the SHA-256 of the whole (its key) decides."""
    env = Env(catalogue, tmp_path / "objects", prehash_limit=MiB)
    data = blob(3 * MiB, 6)
    rid, key = env.add(data)
    env.flip(key, 100)
    altered = (env.store.root / key).read_bytes()
    with env.archive.catalogue.session() as s:
        s.get(ObjectFixity, key).block_digests = b"".join(
            hashlib.sha256(altered[i:i + BLOCK_SIZE]).digest() for i in range(0, len(altered), BLOCK_SIZE))
    got = []
    with pytest.raises(FixityFailed), env.fixity.open(env.fixity.component(rid), actor="t") as content:
        got.extend(content)
    assert len(b"".join(got)) == 2 * MiB


def test_objects_without_block_digests_are_hashed_whole_first(catalogue, tmp_path):
    """GIVEN an object stored before block digests existed (the migration's rows) WHEN it is
    downloaded beyond the pre-hash limit THEN it is hashed whole before the first byte: altered, it
    fails cleanly; right, its block digests are recorded for the next time."""
    env = Env(catalogue, tmp_path / "objects", prehash_limit=MiB)
    data = blob(10 * MiB + 1, 7)
    rid, key = env.add(data)
    with env.archive.catalogue.session() as s:
        recorded = s.get(ObjectFixity, key).block_digests
        s.get(ObjectFixity, key).block_digests = None
    assert env.download(rid, (5 * MiB, 2 * MiB)) == data[5 * MiB:7 * MiB]
    with env.archive.catalogue.session() as s:
        assert s.get(ObjectFixity, key).block_digests == recorded
        s.get(ObjectFixity, key).block_digests = None
    env.flip(key, 9 * MiB)
    with pytest.raises(FixityFailed):
        env.fixity.open(env.fixity.component(rid), actor="t")


def test_the_replica_serves_what_the_store_lost(catalogue, tmp_path):
    """GIVEN a replica folder holding a copy of the objects WHEN the store's copy is altered THEN
    downloads are served from the replica, verified, also when the bad block is found in the middle
    of a transfer; the record is still marked damaged. WHEN the replica is altered too THEN nothing
    is handed out."""
    env = Env(catalogue, tmp_path / "objects", prehash_limit=MiB)
    data = blob(5 * MiB, 8)
    rid, key = env.add(data)
    shutil.copytree(env.store.root / "sha256", tmp_path / "replica" / "sha256")
    env.fixity.replica = FilesystemObjectStore(tmp_path / "replica", read_only=True)
    env.flip(key, 3 * MiB + 1)
    info = env.fixity.component(rid)
    with env.fixity.open(info, actor="t") as content:
        assert content.source == "primary"  # blocks 0–2 are right in the store
        assert b"".join(content) == data
        assert content.source == "replica"
    assert env.status(rid) == "damaged"
    env.fixity.prehash_limit = 64 * MiB
    with env.fixity.open(info, actor="t", span=(3 * MiB, 10)) as content:
        assert content.source == "replica" and b"".join(content) == data[3 * MiB:3 * MiB + 10]
    replica_path = tmp_path / "replica" / key
    os.chmod(replica_path, 0o644)
    replica_path.write_bytes(b"x" + replica_path.read_bytes()[1:])
    with pytest.raises(FixityFailed):
        env.download(rid)


def test_the_throttle_keeps_to_the_budget_with_an_injected_clock():
    """The budget, measured on a clock that only the throttle's sleeps move: within 10 %."""
    now = [0.0]
    throttle = Throttle(10e6, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    for _ in range(100):
        now[0] += 0.001  # reading and hashing 1 MiB takes 1 ms: far faster than the budget
        throttle.consume(MiB)
    rate = 100 * MiB / now[0]
    assert 0.9 * 10e6 <= rate <= 1.1 * 10e6


def test_an_audit_keeps_to_its_budget_on_the_wall_clock(env):
    """GIVEN 8 MB of objects WHEN they are audited at 10 MB/s on the real clock THEN the run is never
    faster than the budget (the throttle guarantees it), and not starved: the throttle's sleeps
    add up to no more than the 0.8 s the budget asks for. (Sleeps, not the run's time: a loaded
    machine may read and hash slowly; that is not the throttle's doing.)"""
    for i in range(8):
        env.add(blob(1_000_000, 100 + i))
    env.clock.at += timedelta(minutes=1)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    fixity = FixityService(env.archive, budget_bytes_s=None, sleep=sleep)
    started = time.monotonic()
    report = fixity.run(budget_bytes_s=10e6)
    elapsed = time.monotonic() - started
    assert report.objects == 8 and report.bytes == 8_000_000
    assert report.rate <= 1.1 * 10e6 and 8_000_000 / elapsed <= 1.1 * 10e6
    assert slept and sum(slept) <= 0.8 + 0.01, slept


def test_an_interrupted_audit_continues_with_the_oldest_unchecked(env):
    """GIVEN ten objects WHEN a full audit is interrupted after five (Ctrl-C while reading the sixth)
    THEN the five are recorded, the run is marked interrupted, and the next run resumes it (same
    cutoff) and checks exactly the other five, oldest first; a third run starts afresh."""
    keys = [env.add(blob(1000 + i, 200 + i))[1] for i in range(10)]
    env.clock.at += timedelta(minutes=5)
    opened: list[str] = []
    real_open = env.store.open

    def open_(key, **kw):
        if len(opened) == 5 and not hasattr(open_, "done"):
            open_.done = True
            raise KeyboardInterrupt
        opened.append(key)
        return real_open(key, **kw)

    env.store.open = open_
    with pytest.raises(KeyboardInterrupt):
        env.fixity.run()
    assert opened == keys[:5]
    with env.archive.catalogue.session() as s:
        first = s.execute(sa.select(FixityRun)).scalars().one()
        assert (first.state, first.objects) == ("interrupted", 5)
        first_id, first_cutoff = first.id, first.cutoff
    env.clock.at += timedelta(minutes=5)
    second = env.fixity.run()
    assert opened == keys, "the rest, oldest first, and nothing checked twice"
    assert second.resumed_from == first_id and second.cutoff == first_cutoff.isoformat()
    assert second.objects == 5 and second.complete
    env.clock.at += timedelta(minutes=5)
    third = env.fixity.run(max_objects=3)
    assert third.resumed_from is None and third.objects == 3 and not third.complete
    fourth = env.fixity.run()
    assert fourth.resumed_from == third.run_id and fourth.objects == 7


def test_one_audit_at_a_time_and_a_crashed_one_is_taken_over(env):
    env.add(b"mot")
    env.clock.at += timedelta(minutes=1)
    now = env.clock.now()
    with env.archive.catalogue.session() as s:
        s.add(FixityRun(kind="full", state="running", owner=f"{os.uname().nodename}:{os.getpid()}", started_at=now,
                        heartbeat_at=now, cutoff=now, objects=0, bytes=0, failures=0))
    with pytest.raises(FixityBusy):
        env.fixity.run()
    assert env.fixity.run_due() == {"busy": True}
    with env.archive.catalogue.session() as s:  # its process died (a pid that does not exist)
        s.execute(sa.update(FixityRun).values(owner=f"{os.uname().nodename}:{2**22 + 12345}"))
    report = env.fixity.run()
    assert report.resumed_from is not None and report.objects == 1


def test_periodic_slices_verify_each_object_within_the_cycle(env):
    """GIVEN objects ingested on one day and a 30-day cycle WHEN slices run THEN nothing is due for
    27 days, everything on day 28 (the last tenth of the cycle absorbs bursts), then nothing again;
    a failed object is checked again after a day."""
    keys = [env.add(blob(2000 + i, 300 + i))[1] for i in range(4)]
    start = env.clock.at
    env.clock.at = start + timedelta(days=20)
    assert env.fixity.run_due()["objects"] == 0
    env.clock.at = start + timedelta(days=28)
    assert env.fixity.run_due()["objects"] == 4
    assert env.fixity.run_due()["objects"] == 0
    env.flip(keys[1], 0)
    env.clock.at = start + timedelta(days=60)
    assert len(env.fixity.run_due()["failures"]) == 1
    env.clock.at += timedelta(hours=2)
    assert env.fixity.run_due()["objects"] == 0
    env.clock.at += timedelta(days=1)
    slice_ = env.fixity.run_due()
    assert slice_["objects"] == 1 and len(slice_["failures"]) == 1
    summary = env.fixity.summary()
    assert summary["failing"] == 1 and not summary["ok"] and summary["overdue"] == 0


def test_ingest_records_block_digests_once_per_object(env):
    data = blob(2 * MiB + 3, 9)
    rid, key = env.add(data)
    env.clock.at += timedelta(minutes=1)
    comp = env.archive.add_component(rid, __import__("archive.service", fromlist=["NewComponent"]).NewComponent(
        io.BytesIO(data), "rendition", "application/octet-stream"), actor="t")
    assert comp
    with env.archive.catalogue.session() as s:
        rows = s.execute(sa.select(ObjectFixity)).scalars().all()
        assert [r.storage_key for r in rows] == [key]
        assert rows[0].block_digests == b"".join(
            hashlib.sha256(data[i:i + MiB]).digest() for i in range(0, len(data), MiB))
        assert rows[0].outcome == "ingest" and rows[0].checks == 0
    report = env.fixity.run()
    assert report.objects == 1
    assert env.events(rid).count(("fixity check", "success")) == 2, "one event per component"


def test_components_sharing_bytes_in_one_record_get_one_fixity_row_each_object(env):
    """GIVEN a record whose original, text copy and a rendition carry the same bytes (a plain-text
    deposit), besides one other object WHEN it is created THEN each object has exactly one fixity
    row, with its block digests; the events name components that exist (foreign keys, checked by
    PostgreSQL at each statement) and an audit finds every object whole."""
    from archive.service import NewComponent

    data, other = blob(MiB + 5, 4), b'{"a": 1}'
    env.clock.at += timedelta(seconds=1)
    rec = env.archive.create_record(
        io.BytesIO(data), filename="van-ban.txt", actor="user:lan", metadata=RecordMetadata(subject="Công văn"),
        derivatives=[NewComponent(io.BytesIO(data), "text", "text/plain"),
                     NewComponent(io.BytesIO(other), "metadata", "application/json"),
                     NewComponent(io.BytesIO(data), "rendition", "text/plain")])
    comps = env.archive.get_record(rec.record_id, actor="t", audit_access=False)["components"]
    assert [c["role"] for c in comps] == ["original", "text", "metadata", "rendition"]
    keys = {c["storage_key"] for c in comps}
    assert len(keys) == 2
    with env.archive.catalogue.session() as s:
        rows = {r.storage_key: r for r in s.execute(sa.select(ObjectFixity)).scalars()}
    assert set(rows) == keys
    big = rows[comps[0]["storage_key"]]
    assert big.block_size == BLOCK_SIZE and len(big.block_digests) == 2 * 32
    assert env.events(rec.record_id)[0] == ("message digest calculation", "success")
    env.clock.at += timedelta(minutes=1)
    assert env.fixity.run().objects == 2 and env.status(rec.record_id) == "active"
