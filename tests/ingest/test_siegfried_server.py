"""The long-lived Siegfried server (``ingest.siegfried``) with the real ``sf``: the same answers as
``sf -json`` per call, no process left behind (closed, or its owner killed), a dead or unstartable
server never costs a file its PUID."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.formats import SiegfriedIdentifier
from kit.corpus.generator import generate_docx, generate_pdf, random_doc_spec

ROOT = Path(__file__).resolve().parents[2]


def _find(serve: bool) -> SiegfriedIdentifier:
    found = SiegfriedIdentifier.find("sf", None, serve=serve)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Siegfried is required under CI (.ci/run installs it)")
        pytest.skip("Siegfried is not installed")
    return found


@pytest.fixture
def served():
    ident = _find(serve=True)
    yield ident
    ident.close()


@pytest.fixture(scope="module")
def per_call() -> SiegfriedIdentifier:
    return _find(serve=False)


def _live(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies waiting for init are not)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(entry))
    return out


def _wait_gone(pgid: int, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _live(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _files(folder: Path) -> tuple[list[Path], list[str | None]]:
    spec = random_doc_spec(random.Random("sfserve"), pages=1, marks=False)
    pdf = folder / "Công văn số 12.pdf"  # spaces and Vietnamese in the name: the path is base64 in the URL
    pdf.write_bytes(generate_pdf(spec))
    docx = folder / "b.docx"
    docx.write_bytes(generate_docx(spec))
    text = folder / "c.txt"
    text.write_text("Công văn số 12/UBND-VP\n", encoding="utf-8")
    odd = folder / "d?#%.bin"
    odd.write_bytes(os.urandom(4096))
    meta = folder / "metadata.json"
    meta.write_text('{"a": 1}')
    return [pdf, docx, text, odd, meta], ["application/pdf", None, "text/plain", None, "application/json"]


def test_the_server_answers_what_sf_answers_per_call(served, per_call, tmp_path):
    paths, types = _files(tmp_path)
    via_server = served.identify(paths, types)
    assert via_server == per_call.identify(paths, types)
    assert via_server[0].puid in ("fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276")
    assert via_server[1].puid == "fmt/412" and via_server[2].puid == "x-fmt/111"
    assert via_server[3].puid is None and via_server[4].suggested[0] == "fmt/817"
    assert served.server.starts == 1
    missing = tmp_path / "gone.pdf"  # the server refuses it (404): sf per call answers, as before
    assert served.identify([missing], [None]) == per_call.identify([missing], [None])


def test_closing_stops_the_server_and_identify_still_works(served, per_call, tmp_path):
    paths, types = _files(tmp_path)
    served.identify(paths[:1], types[:1])
    pgid = served.server.pid
    assert pgid is not None and len(_live(pgid)) >= 2  # the guard and sf
    served.close()
    assert _wait_gone(pgid) == []
    # after close each call runs sf: still the PUID, and no new server
    assert served.identify(paths, types) == per_call.identify(paths, types)
    assert served.server.pid is None and served.server.starts == 1


def test_a_killed_server_is_restarted_and_no_puid_is_lost(served, per_call, tmp_path):
    paths, types = _files(tmp_path)
    expected = per_call.identify(paths, types)
    assert served.identify(paths, types) == expected
    first = served.server.pid
    os.killpg(first, signal.SIGKILL)
    assert _wait_gone(first) == []
    assert served.identify(paths, types) == expected
    assert served.server.starts == 2 and served.server.pid != first


def test_a_server_that_cannot_start_falls_back_to_sf(tmp_path, per_call, caplog):
    """An ``sf`` that refuses to serve (an old build, a port it may not bind): every file still
    gets its PUID, from ``sf`` run per call, and the log says why."""
    wrapper = tmp_path / "sf-no-serve"
    wrapper.write_text(f'#!/bin/sh\ncase " $* " in *" -serve "*) exit 3;; esac\nexec {per_call.binary} "$@"\n')
    wrapper.chmod(0o755)
    ident = SiegfriedIdentifier(str(wrapper), per_call.home, per_call.signature, serve=True)
    try:
        paths, types = _files(tmp_path)
        assert ident.identify(paths, types) == per_call.identify(paths, types)
        assert ident.server.starts == 3  # three ports tried, then sf per call
        assert "running sf for these files" in caplog.text
    finally:
        ident.close()


def test_many_threads_share_one_server(served, per_call, tmp_path):
    paths, types = _files(tmp_path)
    expected = per_call.identify(paths, types)
    results: list = []

    def work() -> None:
        for _ in range(10):
            results.append(served.identify(paths, types))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80 and all(r == expected for r in results)
    assert served.server.starts == 1


def test_a_killed_owner_leaves_no_siegfried_behind(tmp_path):
    """The ingesting process killed with SIGKILL (no close, no atexit): the guard sees its pipe
    close and stops sf."""
    _find(serve=True)
    target = tmp_path / "a.txt"
    target.write_text("xin chào\n", encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from ingest.formats import SiegfriedIdentifier
        ident = SiegfriedIdentifier.find("sf", None, serve=True)
        info = ident.identify([Path({str(target)!r})], ["text/plain"])[0]
        print(ident.server.pid, info.puid, flush=True)
        time.sleep(600)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pgid, puid = owner.stdout.readline().split()
        assert puid == "x-fmt/111"
        assert len(_live(int(pgid))) >= 2
    finally:
        owner.kill()
        owner.wait()
    assert _wait_gone(int(pgid)) == []


def test_closing_the_services_stops_the_server(tmp_path, monkeypatch):
    _find(serve=True)
    from api.wiring import build_services, format_identifier
    from archive.settings import load_settings

    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(tmp_path / "data")}))
    ident = format_identifier(services)
    assert isinstance(ident, SiegfriedIdentifier) and ident.server is not None  # serving is the default
    target = tmp_path / "a.txt"
    target.write_text("xin chào\n", encoding="utf-8")
    assert ident.identify([target], ["text/plain"])[0].puid == "x-fmt/111"
    pgid = ident.server.pid
    services.close()
    assert _wait_gone(pgid) == []


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                min_size=1, max_size=40).filter(lambda s: s not in (".", "..") and len(s.encode()) < 200)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_any_file_name_reaches_the_server_intact(served, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").getvalue())
    report = served.server.identify(path)
    assert report["files"][0]["filename"] == str(path)
    assert report["files"][0]["matches"][0]["id"] == "fmt/18"
    path.unlink()


def test_an_identifier_dropped_without_close_stops_its_server(tmp_path):
    import gc

    ident = _find(serve=True)
    target = tmp_path / "a.txt"
    target.write_text("xin chào\n", encoding="utf-8")
    ident.identify([target], ["text/plain"])
    pgid = ident.server.pid
    del ident
    gc.collect()
    assert _wait_gone(pgid) == []


def test_a_forked_worker_starts_its_own_server_and_leaves_its_parents(tmp_path):
    """GIVEN a process whose server answered once, and another of its threads inside the server's
    lock at the moment of a fork (Celery's prefork pool forks its workers from such a parent)
    WHEN the child identifies a file THEN it does not wait for a lock nobody will release, it
    answers through a server of its own, and the parent's server, untouched, still answers."""
    _find(serve=True)
    target = tmp_path / "a.txt"
    target.write_text("xin chào\n", encoding="utf-8")
    script = textwrap.dedent(f"""
        import os, signal, sys, threading, time
        from pathlib import Path
        from ingest.formats import SiegfriedIdentifier
        ident = SiegfriedIdentifier.find("sf", None, serve=True)
        target = Path({str(target)!r})
        assert ident.identify([target], ["text/plain"])[0].puid == "x-fmt/111"
        parent_group = ident.server.pid
        held, release = threading.Event(), threading.Event()
        def hold():
            with ident.server._lock:
                held.set()
                release.wait()
        threading.Thread(target=hold).start()
        held.wait()
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            signal.alarm(20)  # a deadlock ends the child with SIGALRM
            info = ident.identify([target], ["text/plain"])[0]
            os.write(write, f"{{ident.server.pid}} {{info.puid}} {{ident.server.starts}}".encode())
            os._exit(0)
        release.set()
        _, status = os.waitpid(child, 0)
        os.close(write)
        answer = os.read(read, 200).decode()
        info = ident.identify([target], ["text/plain"])[0]
        print(status, parent_group, answer or "- - -", ident.server.pid, info.puid, ident.server.starts, flush=True)
        ident.close()
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status, parent_group, child_group, child_puid, child_starts, after_group, after_puid, starts = done.stdout.split()
    assert status == "0", "the child did not answer (deadlocked on the inherited lock?)"
    assert child_puid == "x-fmt/111" and child_starts == "1"
    assert child_group != parent_group
    assert (after_group, after_puid, starts) == (parent_group, "x-fmt/111", "1")
    assert _wait_gone(int(child_group)) == []  # the child's own server ended with the child
    assert _wait_gone(int(parent_group)) == []
