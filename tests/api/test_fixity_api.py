"""Fixity through the HTTP app and the command line: a byte flipped on disk is never downloaded as a
success (whole, by range, or by ``luutru get``), ``luutru fixity run`` finds it, ``fixity report``
and ``status`` show it, and a replica's verified copy is served instead."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil

import pytest
import sqlalchemy as sa
from apienv import make_env
from fastapi.testclient import TestClient

MiB = 1024 * 1024


def flip(services, key: str, offset: int = 0) -> None:
    path = services.settings.objects_root / key
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def blob(size: int, seed: int) -> bytes:
    block = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(1024))
    return (block * (size // len(block) + 1))[:size]


class Tap:
    """Stands between the archive and its event sink (the webhooks): what was published."""

    def __init__(self, inner):
        self.inner, self.events = inner, []

    def publish(self, event, data, *, event_id):
        self.events.append((event, data))
        self.inner.publish(event, data, event_id=event_id)


def _storage_key(services, record_id: str) -> str:
    data = services.archive.get_record(record_id, actor="t", audit_access=False)
    return next(c["storage_key"] for c in data["components"] if c["role"] == "original")


def test_a_corrupt_original_is_never_a_successful_download(api, records):
    """GIVEN a public record whose original has one byte flipped on disk WHEN an official downloads
    it, whole or by range THEN the answer is a 500 problem+json ``fixity_failed`` in Vietnamese, never
    a 200/206 with the bytes; the record is marked damaged, fixity.failed is published once, and
    every attempt is audited. HEAD stays header-only."""
    services = api.services
    tap = services.archive.events = Tap(services.archive.events)
    rid = records["public"]
    good = api.get("canbo", f"/api/v1/records/{rid}/content")
    assert good.status_code == 200
    flip(services, _storage_key(services, rid), len(good.content) // 2)
    for headers in ({}, {"Range": "bytes=0-99"}, {"Range": f"bytes={len(good.content) // 2}-"}, {"Range": "bytes=-10"}):
        r = api.get("canbo", f"/api/v1/records/{rid}/content", headers=headers)
        assert r.status_code == 500, (headers, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["code"] == "fixity_failed" and "SHA-256" in body["detail_vi"] and body["status"] == 500
    head = api.client.head(f"/api/v1/records/{rid}/content", headers=api.auth("canbo"))
    assert head.status_code == 200 and head.content == b""
    meta = api.get("canbo", f"/api/v1/records/{rid}").json()
    assert meta["status"] == "damaged"
    assert meta["components"][0]["status"] == "present"
    events = api.get("canbo", f"/api/v1/records/{rid}/events").json()
    assert any(e["type"] == "fixity check" and e["outcome"] == "failure" for e in events)
    assert [(e, d["record_id"], d["detected_by"]) for e, d in tap.events] == [("fixity.failed", rid, "download")]
    from archive.catalogue.models import AuditEntry

    with services.catalogue.session() as s:
        rows = s.execute(sa.select(AuditEntry.action, AuditEntry.outcome).where(AuditEntry.target_id == rid)).all()
    assert rows.count(("record.download", "failure")) == 4
    assert ("fixity.failed", "failure") in rows
    # the other records are untouched
    assert api.get("canbo", f"/api/v1/records/{records['internal']}/content").status_code == 200


def test_a_long_download_is_cut_at_the_first_bad_block_and_ranges_are_verified(tmp_path):
    """GIVEN a pre-hash limit of 1 MiB and a 5 MiB original whose fourth block is altered WHEN it is
    downloaded THEN the transfer breaks off before the bad block (never the whole length); a range
    over the bad block fails, a range of intact blocks is a verified 206."""
    services, app = make_env(tmp_path / "data", LUUTRU_FIXITY__PREHASH_LIMIT=str(MiB))
    try:
        from archive.domain import RecordMetadata

        data = blob(5 * MiB, 1)
        rid = services.archive.create_record(io.BytesIO(data), filename="ban-do.tif", actor="user:lan",
                                             metadata=RecordMetadata(subject="Bản đồ", access_level="public")).record_id
        token = services.accounts.create_client("xem", scopes=["read"], access_levels=["public"], actor="t")["token"]
        auth = {"Authorization": f"Bearer {token}"}
        flip(services, _storage_key(services, rid), 3 * MiB + 10)
        with TestClient(app) as client:
            received = bytearray()
            # The test client re-raises what cuts the transfer; a real server closes the connection
            # (tests/api/test_fixity_serve.py).
            url = f"/api/v1/records/{rid}/content"
            with pytest.raises(RuntimeError, match="cut short"), client.stream("GET", url, headers=auth) as r:
                assert r.status_code == 200 and r.headers["content-length"] == str(len(data))
                for piece in r.iter_bytes():
                    received += piece
            assert len(received) < len(data) and bytes(received) == data[:len(received)]
            over = client.get(f"/api/v1/records/{rid}/content", headers={**auth, "Range": f"bytes={3 * MiB}-{3 * MiB + 9}"})
            assert over.status_code == 500 and over.json()["code"] == "fixity_failed"
            intact = client.get(f"/api/v1/records/{rid}/content", headers={**auth, "Range": f"bytes=100-{2 * MiB}"})
            assert intact.status_code == 206 and intact.content == data[100:2 * MiB + 1]
    finally:
        services.close()


def test_the_replica_copy_is_served_when_the_store_copy_is_altered(tmp_path):
    """GIVEN ``LUUTRU_OBJECTS__REPLICA=filesystem`` pointing at a copy of the objects WHEN the store's
    copy is altered THEN downloads answer 200 with the right bytes from the replica (marked by
    ``X-Luutru-Copy``), and the record is still reported damaged for the archivist to restore."""
    replica = tmp_path / "replica"
    services, app = make_env(tmp_path / "data", LUUTRU_OBJECTS__REPLICA="filesystem",
                             LUUTRU_OBJECTS__REPLICA_ROOT=str(replica))
    try:
        from archive.domain import RecordMetadata

        data = blob(300_000, 2)
        rid = services.archive.create_record(io.BytesIO(data), filename="to-trinh.pdf", actor="user:lan",
                                             metadata=RecordMetadata(subject="Tờ trình", access_level="public")).record_id
        shutil.copytree(services.settings.objects_root / "sha256", replica / "sha256")
        token = services.accounts.create_client("xem", scopes=["read"], access_levels=["public"], actor="t")["token"]
        auth = {"Authorization": f"Bearer {token}"}
        flip(services, _storage_key(services, rid), 7)
        with TestClient(app) as client:
            whole = client.get(f"/api/v1/records/{rid}/content", headers=auth)
            assert whole.status_code == 200 and whole.content == data and whole.headers["x-luutru-copy"] == "replica"
            part = client.get(f"/api/v1/records/{rid}/content", headers={**auth, "Range": "bytes=0-15"})
            assert part.status_code == 206 and part.content == data[:16]
            assert client.get(f"/api/v1/records/{rid}", headers=auth).json()["status"] == "damaged"
    finally:
        services.close()


@pytest.fixture
def archive_with_records(data_dir):
    """Three records in the ``data_dir`` archive (built as ``luutru`` would), keys by record."""
    from api.wiring import build_services
    from archive.domain import RecordMetadata
    from archive.settings import load_settings

    services = build_services(load_settings())
    out = {}
    try:
        for i, (subject, size) in enumerate((("Quyết định", 40_000), ("Bản đồ", 3 * MiB + 7), ("Công văn", 900))):
            data = blob(size, 10 + i)
            rid = services.archive.create_record(io.BytesIO(data), filename=f"{i}.pdf", actor="user:lan",
                                                 metadata=RecordMetadata(subject=subject)).record_id
            out[subject] = (rid, _storage_key(services, rid), data)
    finally:
        services.close()
    return out


def _flip_in(data_dir, key: str, offset: int) -> None:
    path = data_dir / "objects" / key
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_fixity_commands_find_report_and_refuse_a_flipped_byte(cli, data_dir, archive_with_records, tmp_path):
    """GIVEN three records and one byte flipped in the map WHEN ``luutru fixity run`` runs THEN it
    checks all three, names the record and exits 1; ``fixity report`` lists the failure with dates in
    dd/mm/yyyy; ``status`` shows it and exits 1; ``luutru get`` writes no file. WHEN the byte is put
    back THEN the next run finds everything right and the record active again."""
    rid, key, data = archive_with_records["Bản đồ"]
    first = cli("fixity", "run", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["objects"] == 3
    _flip_in(data_dir, key, 2 * MiB + 1)
    run = cli("fixity", "run", "--json")
    assert run.exit_code == 1, run.output
    report = json.loads(run.output)
    assert report["objects"] == 3 and report["complete"]
    assert [(f["record_id"], f["role"]) for f in report["failures"]] == [(rid, "original")]
    assert "block 2" in report["failures"][0]["problem"]
    text = cli("fixity", "report")
    assert text.exit_code == 0, text.output
    assert "Tệp hỏng hoặc mất (1)" in text.output and "SAI" in text.output
    import re

    assert re.search(r"\d\d:\d\d \d\d/\d\d/20\d\d", text.output)
    as_json = json.loads(cli("fixity", "report", "--json").output)
    assert [f["storage_key"] for f in as_json["failures"]] == [key]
    assert as_json["failures"][0]["records"][0]["record_id"] == rid and len(as_json["objects"]) == 3
    status = cli("status", "--json")
    assert status.exit_code == 1 and json.loads(status.output)["fixity"]["failing"] == 1
    assert "Toàn vẹn tệp" in cli("status").output
    target = tmp_path / "ban-do.tif"
    got = cli("get", rid, "-o", str(target))
    assert got.exit_code == 1 and "mã băm SHA-256 không khớp" in " ".join(got.output.split())
    assert not target.exists() and not (tmp_path / "ban-do.tif.part").exists()
    fine = cli("get", archive_with_records["Công văn"][0], "-o", str(tmp_path / "cv.pdf"))
    assert fine.exit_code == 0 and (tmp_path / "cv.pdf").read_bytes() == archive_with_records["Công văn"][2]

    _flip_in(data_dir, key, 2 * MiB + 1)
    again = cli("fixity", "run")
    assert again.exit_code == 0, again.output
    assert "Đã khôi phục" in again.output
    assert cli("status", "--json").exit_code == 0
    assert cli("get", rid, "-o", str(target)).exit_code == 0 and target.read_bytes() == data


def test_fixity_run_options_are_checked(cli, archive_with_records):
    bad = cli("fixity", "run", "--budget-mb-s", "-1")
    assert bad.exit_code == 2
    due = cli("fixity", "run", "--due", "--json")
    assert due.exit_code == 0 and json.loads(due.output)["objects"] == 0  # ingested just now: not due


def test_the_celery_beat_task_runs_a_due_slice(tmp_path, monkeypatch):
    """GIVEN the scale-out worker's task table WHEN beat's ``luutru.fixity_audit`` runs THEN it audits
    the due objects through the same service as the embedded loop, one slice at a time."""
    import api.worker as worker
    from api.scheduler import PERIODS
    from archive.domain import RecordMetadata
    from archive.settings import load_settings

    services, _app = make_env(tmp_path / "data")
    try:
        services.archive.create_record(io.BytesIO(b"Cong van 12"), filename="cv.pdf", actor="user:lan",
                                       metadata=RecordMetadata(subject="Công văn"))
        services.fixity.cycle = services.fixity.cycle * 0  # everything is due at once
        monkeypatch.setattr(worker, "_services", services)
        celery = worker.create_celery(load_settings({"LUUTRU_TASKS__BACKEND": "celery",
                                                     "LUUTRU_TASKS__BROKER_URL": "memory://", "LUUTRU_TASKS__RESULT_BACKEND": "cache+memory://",
                                                     "LUUTRU_SEARCH__BACKEND": "opensearch",
                                                     "LUUTRU_SEARCH__OPENSEARCH_URL": "http://127.0.0.1:9"}))
        entry = next(e for e in celery.conf.beat_schedule.values() if e["task"] == "luutru.fixity_audit")
        assert entry["schedule"] == PERIODS["fixity_audit"]
        result = celery.tasks["luutru.fixity_audit"].apply().get()
        assert result["kind"] == "due" and result["objects"] == 1 and result["failures"] == []
    finally:
        services.close()


def test_fixity_run_names_an_object_whose_retention_lock_is_damaged(cli, data_dir, archive_with_records):
    """GIVEN a record whose original has a retention lock, damaged on disk (a truncated write) WHEN
    ``luutru fixity run`` runs THEN its bytes still verify (no failure, the record stays active), the
    run names the object as held with an unreadable lock, exits 1, and its audit entry is a warning;
    after the lock is restored the next run is clean."""
    from datetime import UTC, datetime

    from archive.objects.filesystem import FilesystemObjectStore

    rid, key, _data = archive_with_records["Bản đồ"]
    store = FilesystemObjectStore(data_dir / "objects")
    store.set_retention(key, datetime(2200, 1, 1, tzinfo=UTC))
    lock = store._lock_path(key)
    good = lock.read_bytes()
    lock.write_bytes(good[: len(good) // 2])
    run = cli("fixity", "run", "--json")
    assert run.exit_code == 1, run.output
    report = json.loads(run.output)
    assert report["failures"] == [] and report["unreadable_locks"] == [key]
    assert json.loads(cli("show", rid, "--json").output)["status"] == "active"
    text = cli("fixity", "run")
    assert "Khóa lưu giữ bị hỏng" in text.output and key in text.output
    audit = json.loads(cli("audit", "list", "--action", "fixity.run", "--json").output)
    assert audit and audit[0]["outcome"] == "warning"
    lock.write_bytes(good)
    again = cli("fixity", "run", "--json")
    assert again.exit_code == 0 and json.loads(again.output)["unreadable_locks"] == []
