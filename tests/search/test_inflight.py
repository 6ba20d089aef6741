"""A native crash inside the search engine is never silent: the dying process prints where it was
(faulthandler), and the next process to open the index reports which search was running — in its
log, in ``crashes.jsonl`` and in ``luutru status``. Real processes, real signals."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from search.embedded import INFLIGHT, EmbeddedSearchBackend
from search.inflight import CRASHES, _busy_slots, last_crash, recover
from search.query import Principal, SearchQuery

ROOT = Path(__file__).resolve().parents[2]
QUERY = "Ủy ban nhân dân thành phố Hà Nội tăng cường công tác văn thư"

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from kit.search_corpus import synthetic
    from search.embedded import EmbeddedSearchBackend
    from search.query import Principal, SearchQuery

    path, how, q, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    b = EmbeddedSearchBackend(path)
    if count:
        b.index(list(synthetic(count)))
    if how == "idle-kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how in ("segfault", "kill"):
        sig = signal.SIGSEGV if how == "segfault" else signal.SIGKILL
        real = b._collect
        def dying(*args, **kw):  # the engine's work starts, then the process dies inside it
            real(*args, **kw)
            os.kill(os.getpid(), sig)
        b._collect = dying
    print(b.search(SearchQuery(q=q), Principal.admin()).total, flush=True)
    b.close()
""")


def run(index: Path, how: str, q: str = QUERY, count: int = 30) -> subprocess.CompletedProcess:
    """Open the index at ``index`` in a new process, add ``count`` synthetic documents, and search
    ``q``: ``clean``ly, dying inside the engine (``segfault``, ``kill``), or killed while idle."""
    return subprocess.run([sys.executable, "-c", SCRIPT, str(index), how, q, str(count)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_a_crash_inside_the_engine_is_printed_and_reported_by_the_next_process(tmp_path):
    """GIVEN a process that dies of a segmentation fault in the middle of a search WHEN the index
    is opened again THEN the dead process printed the stack of the call inside the engine, and
    the new one reports the search that was running (log, crashes.jsonl, health) exactly once."""
    index = tmp_path / "index"
    dead = run(index, "segfault")
    assert dead.returncode == -11
    assert "Segmentation fault" in dead.stderr and "search/embedded.py" in dead.stderr
    backend = EmbeddedSearchBackend(index)
    try:
        assert len(backend.crashes) == 1
        report = backend.crashes[0]
        assert [s["q"] for s in report["searches"]] == [QUERY] and report["searches"][0]["op"] == "search"
        assert last_crash(index) == report
        assert "dừng đột ngột" in backend.health() and "Ủy ban nhân dân" in backend.health()
        assert backend.search(SearchQuery(q="công văn"), Principal.admin()).total > 0  # it serves again
    finally:
        backend.close()
    again = EmbeddedSearchBackend(index)
    assert again.crashes == [] and len((index / CRASHES).read_text().splitlines()) == 1
    again.close()


def test_a_kill_during_a_search_is_reported_and_an_idle_or_clean_end_is_not(tmp_path):
    """GIVEN processes that end normally, are killed while idle, or are killed (OOM killer)
    during a search WHEN the index is opened again THEN only the last is reported."""
    index = tmp_path / "index"
    assert run(index, "clean").returncode == 0
    assert run(index, "idle-kill").returncode == -9
    assert recover(index / INFLIGHT) == []
    assert run(index, "kill", "số hóa tài liệu").returncode == -9
    reports = recover(index / INFLIGHT)
    assert [s["q"] for r in reports for s in r["searches"]] == ["số hóa tài liệu"]
    assert list((index / INFLIGHT).glob("*.slots")) == []


def test_status_shows_the_last_crash(cli, data_dir):
    """GIVEN a luutru process that died inside the engine WHEN ``luutru status`` runs THEN the
    search line says when, and which search."""
    assert cli("init").exit_code == 0
    # nothing indexed: status also checks the index against the (empty) catalogue
    assert run(data_dir / "index", "segfault", "phòng chống thiên tai", count=0).returncode == -11
    result = cli("status", "--json")
    detail = json.loads(result.output)["checks"]["search"]["detail"]
    assert "dừng đột ngột" in detail and "phòng chống thiên tai" in detail


def test_concurrent_searches_free_their_slots(tmp_path):
    """GIVEN 12 threads searching at once WHEN they are done THEN no slot is left marked busy
    (a clean process leaves nothing to report), and the slots were used."""
    from kit.search_corpus import synthetic

    backend = EmbeddedSearchBackend(tmp_path / "index")
    backend.index(list(synthetic(50)))
    seen: list[int] = []
    real = backend._collect

    def watching(*args, **kw):
        seen.append(len(_busy_slots(backend._inflight.path.read_bytes())))
        return real(*args, **kw)

    backend._collect = watching
    threads = [threading.Thread(target=lambda: [backend.search(SearchQuery(q="lưu trữ"), Principal.admin())
                                               for _ in range(5)]) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen and min(seen) >= 1
    assert _busy_slots(backend._inflight.path.read_bytes()) == []
    path = backend._inflight.path
    backend.close()
    assert not path.exists()
