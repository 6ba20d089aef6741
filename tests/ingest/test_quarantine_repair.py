"""``luutru repair`` repairs the quarantine: a real process dies (``os._exit``) at each step of
putting a rejected file in the quarantine and of releasing one, then a real ``luutru repair``
process runs; on SQLite and PostgreSQL (``catalogue_url``), with the real ingest pipeline.

GIVEN a crash at any step WHEN ``luutru repair`` runs THEN no file is left where no listing shows
it (a copy whose entry was never written is removed — its caller never got an outcome and still
holds the source —, an entry whose reason was written is published whole), a half-released entry is
finished (the record holds the file: audit, trace, folder removed) or undone, and the audit entry
of a release is never lost nor, once its trace is written, repeated. A folder left by a version
that wrote the file before its reason is kept as an entry ``interrupted`` for a person.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.quarantine import Quarantine


@pytest.fixture(scope="module")
def html_files(tmp_path_factory) -> list[Path]:
    from kit.corpus import generate

    folder = tmp_path_factory.mktemp("corpus")
    truth = generate(folder, seed=27, count=3, formats=("html",))
    return [folder / t["file"] for t in truth]


@pytest.fixture
def env(data_dir, catalogue_url, monkeypatch):
    """The archive the environment selects (SQLite or PostgreSQL), its ingest and quarantine service;
    the environment is the one the child processes inherit."""
    from api.http.routes.records import _ingest_service
    from api.quarantine import quarantine_service
    from api.wiring import build_services, get_settings

    monkeypatch.setenv("LUUTRU_DB__URL", catalogue_url)
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        yield services, _ingest_service(services), quarantine_service(services)
    finally:
        services.close()
        get_settings.cache_clear()


def _luutru(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=os.environ.copy(), capture_output=True,
                          text=True, timeout=300, check=False)


def _repair() -> dict:
    r = _luutru("repair", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _on_disk(root: Path) -> set[str]:
    """Every folder of the quarantine's days, hidden or not (what a crash may leave)."""
    return {p.name for day in root.iterdir() if day.name != "_log" and day.is_dir() for p in day.iterdir()}


def _audit(services, action: str) -> list:
    from archive.catalogue.models import AuditEntry

    with services.catalogue.session() as s:
        return list(s.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _originals(services, sha: str) -> int:
    from archive.catalogue.models import Component

    with services.catalogue.session() as s:
        return s.execute(sa.select(sa.func.count()).select_from(Component)
                         .where(Component.sha256 == sha, Component.role == "original")).scalar_one()


PUT_CRASH = """
import os, sys
from pathlib import Path
import ingest.quarantine as q
from api.http.routes.records import _ingest_service
from api.wiring import build_services, get_settings
from ingest.pipeline import SourceFile

def die(*a, **k):
    os._exit(9)

def die_in_quarantine(original, when=lambda *a: True):
    def call(*a, **k):  # only when called from ingest/quarantine.py (os is everyone's module)
        if sys._getframe(1).f_code.co_filename.endswith(os.path.join("ingest", "quarantine.py")) and when(*a):
            os._exit(9)
        return original(*a, **k)
    return call

services = build_services(get_settings())
step = sys.argv[2]
if step == "after_mkdir":        # the entry's folder exists, nothing in it
    q.safe_filename = die
elif step == "mid_copy":         # the bytes written, not yet flushed to disk; no reason
    os.fsync = die_in_quarantine(os.fsync)
elif step == "before_reason":    # the copy is durable, its reason not written
    q.write_json = die
elif step == "before_publish":   # the copy and its reason are durable, the entry not yet listed
    os.rename = die_in_quarantine(os.rename, lambda src, dst: not Path(dst).name.startswith("."))
outcome = _ingest_service(services).run(SourceFile(
    path=Path(sys.argv[1]), submitter="user:canbo", dossier_code="KHONG-CO",
    declared={"subject": "Về việc kiểm kê", "access_level": "Nội bộ"}))
print(outcome.outcome, outcome.quarantine)
"""


@pytest.mark.parametrize("step", ["after_mkdir", "mid_copy", "before_reason", "before_publish", "none"])
def test_a_crash_while_a_rejected_file_is_put_is_repaired(env, html_files, tmp_path, step):
    services, _ingest, svc = env
    source = tmp_path / "tờ trình.html"
    source.write_bytes(html_files[0].read_bytes())
    proc = subprocess.run([sys.executable, "-c", PUT_CRASH, str(source), step], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == (0 if step == "none" else 9), proc.stderr[-3000:]
    assert source.is_file()  # the caller's file is never touched by the quarantine

    report = _repair()
    root = services.settings.quarantine_dir
    entries = svc.list()
    # nothing on disk that no listing shows: every folder left is a listed entry
    assert _on_disk(root) == {e["id"] for e in entries}, (_on_disk(root), report)
    part = report["quarantine"]
    if step in ("before_publish", "none"):  # the reason was durable: the entry is whole
        (entry,) = entries
        assert entry["code"] == "invalid_metadata" and entry["submitter"] == "user:canbo"
        assert entry["declared"] == {"subject": "Về việc kiểm kê", "access_level": "internal"}
        assert Path(root / entry["day"] / entry["id"] / entry["file"]).read_bytes() == source.read_bytes()
        assert part["published"] == (1 if step == "before_publish" else 0)
    else:  # the put never returned: its caller still holds the file and gave no outcome
        assert entries == []
        assert part["abandoned"] == 1
    assert part["review"] == [] and report["clean"] is True


RELEASE_CRASH = """
import os, sys
from api.quarantine import quarantine_service
from api.wiring import build_services, get_settings
from ingest.quarantine import Quarantine

def die(*a, **k):
    os._exit(9)

services = build_services(get_settings())
svc = quarantine_service(services)
step = sys.argv[2]
if step == "after_commit":      # the record is committed; no audit, no trace, the entry still there
    svc._audit = die
elif step == "after_audit":     # audited; no trace, the entry still there
    Quarantine.write_trace = die
elif step == "after_trace":     # audited and traced; the entry still there
    Quarantine.remove = die
svc.release(sys.argv[1], actor="user:luutruvien", dossier_code="")
"""


@pytest.mark.parametrize("step", ["after_commit", "after_audit", "after_trace"])
def test_luutru_repair_finishes_a_release_a_crash_cut_short(env, html_files, step):
    services, ingest, svc = env
    from ingest.pipeline import SourceFile

    outcome = ingest.run(SourceFile(path=html_files[1], submitter="user:canbo", dossier_code="KHONG-CO"))
    entry_id = Path(outcome.quarantine).name
    sha = svc.show(entry_id)["sha256"]
    proc = subprocess.run([sys.executable, "-c", RELEASE_CRASH, entry_id, step], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr[-3000:]
    root = services.settings.quarantine_dir
    assert (Quarantine(root).find(entry_id) / "release.json").exists()  # half released

    report = _repair()  # luutru repair, not a quarantine command
    assert report["quarantine"]["finished"] == 1
    assert _on_disk(root) == set()
    assert _originals(services, sha) == 1
    (trace,) = svc.history("released")
    assert trace["id"] == entry_id and trace["actor"] == "user:luutruvien"
    successes = [a for a in _audit(services, "quarantine.release") if a.outcome == "success"]
    # never lost; written again only when the crash came between the audit entry and the trace
    assert len(successes) == (2 if step == "after_audit" else 1)
    assert successes[-1].target_id == entry_id
    assert svc.list() == []


def test_luutru_repair_finishes_a_removal_and_cleans_what_it_left(env, html_files):
    """A crash inside the removal (renamed ``.gone-…``, not yet deleted)."""
    services, ingest, _svc = env
    from ingest.pipeline import SourceFile

    gone = ingest.run(SourceFile(path=html_files[2], submitter="user:canbo", dossier_code="KHONG-CO"))
    folder = Path(gone.quarantine)
    os.replace(folder, folder.with_name(f".gone-{folder.name}"))
    report = _repair()
    assert report["quarantine"]["cleaned"] == 1 and _on_disk(services.settings.quarantine_dir) == set()


def _bare(root: Path, entry_id: str, files: dict[str, bytes], age: float) -> Path:
    """A folder as a crash of an older version left it: the file, no ``reason.json``."""
    folder = root / "2026-11-30" / entry_id
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    then = time.time() - age
    for p in [*folder.iterdir(), folder]:
        os.utime(p, (then, then))
    return folder


def test_a_file_an_older_version_left_without_its_reason_is_kept_for_a_person(env, html_files):
    services, _ingest, svc = env
    root = services.settings.quarantine_dir
    old, empty, fresh = "a" * 32, "b" * 32, "c" * 32
    _bare(root, old, {"công văn.html": html_files[0].read_bytes()}, age=7200)
    _bare(root, empty, {}, age=7200)
    _bare(root, fresh, {"đang ghi.html": b"<html>"}, age=5)  # an older put may still be writing it

    report = _repair()
    part = report["quarantine"]
    assert part["review"] == [old] and part["interrupted"] == 1 and part["removed"] == 1
    assert report["clean"] is False  # a person must look at it
    assert not (root / "2026-11-30" / empty).exists() and (root / "2026-11-30" / fresh).is_dir()
    (entry,) = [e for e in svc.list() if e["id"] == old]
    assert entry["code"] == "interrupted" and entry["name"] == "công văn.html"
    assert "gián đoạn" in entry["message_vi"] and entry["size"] == html_files[0].stat().st_size
    assert _repair()["quarantine"]["review"] == [old]  # named again until a person acts
    # it can be discarded (or released) like any entry; then the archive is clean again
    svc.discard(old, actor="user:luutruvien", reason="Bản sao dở, đã nộp lại")
    r = _luutru("repair")
    assert r.returncode == 0 and "Khu cách ly" in r.stdout and "Kho nhất quán" in r.stdout, r.stdout
