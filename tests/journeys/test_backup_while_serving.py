"""A backup taken while ``luutru serve`` serves and other processes ingest restores to a working archive.

GIVEN an embedded archive served by a real ``luutru serve``, with one process depositing over HTTP
and another running ``luutru ingest`` in a loop (concurrent writers to the same SQLite catalogue and
object store), WHEN ``luutru backup create`` runs in the middle of it, THEN every record whose
commit was acknowledged before the backup started is in the restored archive, its bytes download
and verify, a reindex makes it findable, the audit log verifies; a second backup into the same
folder copies only the new objects; a flipped byte is found by ``verify`` and refused by
``restore``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from served import PASSWORD, run_cli, serve

from api.wiring import build_services
from archive.settings import load_settings
from kit.corpus.generator import generate_pdf, random_doc_spec

WORD = "khoáng sản"


def _pdf(seed: int) -> bytes:
    spec = random_doc_spec(random.Random(seed), doc_type="Công văn", marks=False, pages=1)
    spec.subject = f"Về việc cấp phép {WORD} đợt {seed}"
    return generate_pdf(spec)


@pytest.fixture
def archive(tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LUUTRU_USER": "luutruvien", "LUUTRU_PASSWORD": PASSWORD}
    services = build_services(load_settings({"LUUTRU_DATA_DIR": env["LUUTRU_DATA_DIR"]}))
    try:
        services.accounts.create_user("luutruvien", full_name="Nguyễn Thị Lan", role="archivist", password=PASSWORD,
                                      actor="test", access_levels=["public", "internal", "restricted", "secret"])
        token = services.accounts.create_client("qlvb", scopes=["read", "search", "deposit"],
                                                access_levels=["public", "internal", "restricted", "secret"],
                                                rate_limit=0, actor="test")["token"]
    finally:
        services.close()
    return env, {"Authorization": f"Bearer {token}"}


class Writers:
    """Two writer processes' worth of work, each acknowledged commit logged with its time."""

    def __init__(self, srv, auth, env, folder: Path):
        self.srv, self.auth, self.env, self.folder = srv, auth, env, folder
        self.acked: list[tuple[float, str, str]] = []  # (time acknowledged, record id, sha256)
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._http, daemon=True),
                        threading.Thread(target=self._cli, daemon=True)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=300)

    def _http(self) -> None:
        seed = 1000
        while not self.stop.is_set():
            seed += 1
            data = _pdf(seed)
            r = httpx.post(self.srv.base + "/api/v1/records", params={"filename": f"http-{seed}.pdf"},
                           headers={**self.auth, "Content-Type": "application/pdf"}, content=data, timeout=120)
            if r.status_code != 201:
                self.errors.append(r.text)
                return
            self.acked.append((time.time(), r.json()["record_id"], hashlib.sha256(data).hexdigest()))

    def _cli(self) -> None:
        seed = 5000
        while not self.stop.is_set():
            seed += 1
            path = self.folder / f"cli-{seed}.pdf"
            data = _pdf(seed)
            path.write_bytes(data)
            done = run_cli(self.env, "ingest", str(path), "--json")
            if done.returncode != 0:
                self.errors.append(done.stderr + done.stdout)
                return
            row = json.loads(done.stdout.splitlines()[0])
            self.acked.append((time.time(), row["record_id"], hashlib.sha256(data).hexdigest()))

    def wait_for(self, n: int, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < n and not self.errors:
            assert time.monotonic() < deadline, f"only {len(self.acked)} records in {timeout} s"
            time.sleep(0.2)
        assert not self.errors, self.errors


def _object_files(folder: Path) -> dict[str, int]:
    root = folder / "objects" / "sha256"
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def test_backup_while_serving_restores_every_committed_record(archive, tmp_path):
    env, auth = archive
    backup = tmp_path / "backup"
    (tmp_path / "in").mkdir()
    with serve(env, tmp_path / "serve.log") as srv, Writers(srv, auth, env, tmp_path / "in") as writers:
        writers.wait_for(4)
        started = time.time()
        first = run_cli(env, "backup", "create", str(backup), "--json")
        assert first.returncode == 0, first.stderr + first.stdout
        writers.wait_for(len(writers.acked) + 3)  # writes went on during and after the backup
        before_second = _object_files(backup)
        manifest1 = json.loads((backup / "manifest.json").read_text())
        second = run_cli(env, "backup", "create", str(backup), "--json")
        assert second.returncode == 0, second.stderr + second.stdout
    assert not writers.errors, writers.errors
    committed = [(rid, sha) for at, rid, sha in writers.acked if at < started]
    assert len(committed) >= 4

    # the second backup copied exactly the objects that are new, and rewrote none of the old ones
    report2 = json.loads(second.stdout)
    manifest2 = json.loads((backup / "manifest.json").read_text())
    new = set(manifest2["objects"]) - set(manifest1["objects"])
    assert new and report2["objects_copied"] == len(new)
    assert report2["objects_skipped"] == len(set(manifest2["objects"]) & set(manifest1["objects"]))
    after_second = _object_files(backup)
    assert all(after_second[p] == ino for p, ino in before_second.items())  # same files, not copies
    assert len(after_second) == len(before_second) + len(new)

    verified = run_cli(env, "backup", "verify", str(backup), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"]

    # restore into a fresh data folder: a working archive
    restored = tmp_path / "restored"
    done = run_cli(env, "backup", "restore", str(backup), "--to", str(restored), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["audit"]["ok"]
    renv = {**env, "LUUTRU_DATA_DIR": str(restored)}
    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(restored)}))
    try:
        for rid, sha in committed:
            info, reader = services.archive.open_component(rid, actor="test", verify=True)
            with reader:
                data = b"".join(reader.chunks())
            assert hashlib.sha256(data).hexdigest() == sha == info["sha256"]
    finally:
        services.close()
    rid = committed[0][0]
    got = run_cli(renv, "get", rid, "-o", str(tmp_path / "got.pdf"))
    assert got.returncode == 0, got.stderr
    assert hashlib.sha256((tmp_path / "got.pdf").read_bytes()).hexdigest() == committed[0][1]

    assert run_cli(renv, "reindex").returncode == 0
    found = run_cli(renv, "search", WORD, "--json", "--limit", "500")
    assert found.returncode == 0, found.stderr
    hits = {h["record_id"] for h in json.loads(found.stdout)["hits"]}
    assert {rid for rid, _ in committed} <= hits

    audit = run_cli(renv, "audit", "verify", "--json")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert json.loads(audit.stdout)["ok"]

    # the restored archive takes new work
    path = tmp_path / "sau-khoi-phuc.pdf"
    path.write_bytes(_pdf(9999))
    assert run_cli(renv, "ingest", str(path)).returncode == 0


def _flat(text: str) -> str:
    """Rich wraps lines at the terminal width: compare words, not layout."""
    return " ".join(text.split())


def _flip(path: Path, offset: int = 100) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[min(offset, len(data) - 1)] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def small_backup(archive, tmp_path):
    env, _ = archive
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.pdf").write_bytes(_pdf(n))
    assert run_cli(env, "ingest", str(folder)).returncode == 0
    backup = tmp_path / "backup"
    done = run_cli(env, "backup", "create", str(backup))
    assert done.returncode == 0, done.stderr
    return env, backup


@pytest.mark.parametrize("target", ["object", "catalogue", "key"])
def test_a_flipped_byte_is_found_and_the_restore_refused(small_backup, tmp_path, target):
    env, backup = small_backup
    manifest = json.loads((backup / "manifest.json").read_text())
    if target == "object":
        victim = backup / "objects" / sorted(manifest["objects"])[0]
    elif target == "catalogue":
        victim = backup / "snapshot" / "catalogue.db"
    else:
        victim = backup / "snapshot" / "keys" / "api-token-key"
        assert "snapshot/keys/api-token-key" in manifest["files"]
    _flip(victim, 4096 if target == "catalogue" else 10)
    checked = run_cli(env, "backup", "verify", str(backup), "--json")
    assert checked.returncode == 1
    problems = json.loads(checked.stdout)["problems"]
    assert [p for p in problems if victim.name in p and "SHA-256" in p], problems
    restored = tmp_path / "restored"
    done = run_cli(env, "backup", "restore", str(backup), "--to", str(restored))
    assert done.returncode == 1
    assert "không toàn vẹn" in _flat(done.stderr)
    assert not restored.exists() or not any(restored.iterdir())


def test_restore_refuses_a_data_folder_in_use_without_force(small_backup, tmp_path):
    env, backup = small_backup
    done = run_cli(env, "backup", "restore", str(backup), "--to", env["LUUTRU_DATA_DIR"])
    assert done.returncode == 1 and "không trống" in _flat(done.stderr)
    other = tmp_path / "other"
    other.mkdir()
    (other / "catalogue.db").write_bytes(b"not a database")
    (other / "ghi-chu.txt").write_text("giữ lại")
    done = run_cli(env, "backup", "restore", str(backup), "--to", str(other), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (other / "ghi-chu.txt").read_text() == "giữ lại"  # only what the backup brings is replaced


def test_a_destroyed_object_leaves_the_backup_at_the_next_run(small_backup, tmp_path):
    """An object no longer referenced by the catalogue (its record destroyed) is pruned."""
    env, backup = small_backup
    manifest = json.loads((backup / "manifest.json").read_text())
    stray = backup / "objects" / "sha256" / "00" / "00" / ("00" * 32)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"gone")
    done = run_cli(env, "backup", "create", str(backup), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["objects_copied"] == 0 and report["objects_skipped"] == len(manifest["objects"])
    assert report["objects_pruned"] == 1 and not stray.exists()


@pytest.mark.parametrize("setting", [{"LUUTRU_DB__URL": "postgresql://postgres@127.0.0.1:5432/test"},
                                     {"LUUTRU_OBJECTS__BACKEND": "s3", "LUUTRU_OBJECTS__S3__ENDPOINT": "127.0.0.1:9",
                                      "LUUTRU_OBJECTS__S3__ACCESS_KEY": "a", "LUUTRU_OBJECTS__S3__SECRET_KEY": "b"}])
@pytest.mark.parametrize("command", [["create"], ["verify"], ["restore", "--to", "x"]])
def test_scale_out_is_refused_with_the_procedure(tmp_path, setting, command):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), **setting}
    argv = ["backup", command[0], str(tmp_path / "b"), *command[1:]]
    done = run_cli(env, *argv)
    if command[0] == "verify":  # verify reads a folder only: no deployment is involved
        assert done.returncode == 1 and "manifest.json" in _flat(done.stderr)
        return
    assert done.returncode == 2, done.stdout + done.stderr
    assert "docs/operations.md" in _flat(done.stderr) and "pg_dump" in _flat(done.stderr)
    assert not (tmp_path / "b").exists()


def test_backup_with_index_restores_a_searchable_archive(small_backup, tmp_path):
    env, backup = small_backup
    done = run_cli(env, "backup", "create", str(backup), "--with-index")
    assert done.returncode == 0, done.stderr
    restored = tmp_path / "restored"
    assert run_cli(env, "backup", "restore", str(backup), "--to", str(restored)).returncode == 0
    found = run_cli({**env, "LUUTRU_DATA_DIR": str(restored)}, "search", WORD, "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == 3  # without a reindex
    shutil.rmtree(restored)
