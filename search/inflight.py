"""Which searches are inside the native engine, kept where a crash of the process cannot erase it.

Tantivy is native code: a fault in it (a stack overflow, a bug) kills the whole process with a
signal, which Python can neither catch nor log. So that such a crash is never silent:

* ``InflightLog`` enables ``faulthandler``: the dying process prints the Python stack of every
  thread — which call was inside the engine — on its standard error, the service's log.
* Every search is written, while it runs, into a slot of a file mapped shared into memory
  (``<index>/inflight/<host>-<pid>-<start>.slots``): a write is a memory copy, not a system call,
  and the kernel keeps the page when the process dies, however it dies. A process that ends
  normally removes its file.
* The next process to open the index (``recover``) finds the files of processes that no longer
  exist and reports what was running in them: an ERROR line in its log and a line in
  ``<index>/crashes.jsonl``, which ``luutru status`` (``last_crash``) shows.

A process killed while idle leaves no busy slot and nothing is reported; a process killed by
``SIGKILL`` (the OOM killer) during a search is reported like a crash — its log tells which.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import logging
import mmap
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)
SLOTS = 64
"""Searches recorded at once per process (more run unrecorded: the API's thread pool has 40)."""
SLOT_BYTES = 2048
CRASHES = "crashes.jsonl"
_LEN = struct.Struct("<I")


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), which
    tells a process from a later one given the same pid; None where there is no ``/proc``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str) -> bool:
    if Path("/proc/self/stat").exists():
        return _start_time(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _arm_faulthandler() -> None:
    """Print every thread's Python stack on a fatal signal (SIGSEGV, SIGABRT, SIGBUS…)."""
    if faulthandler.is_enabled():
        return
    with contextlib.suppress(AttributeError, ValueError, RuntimeError, OSError):  # no usable stderr
        faulthandler.enable(all_threads=True)


class InflightLog:
    """The slots of this process in ``folder`` (created); ``running`` marks one search. Without a
    folder (an index in memory) it records nothing."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        self.host = socket.gethostname().replace("-", "_") or "host"
        self._lock = threading.Lock()
        self._map: mmap.mmap | None = None
        self._pid = -1
        self.path: Path | None = None
        if self.folder is not None:
            _arm_faulthandler()
            self._open()

    def _open(self) -> None:
        """A file for this process (again after a fork: the child is another process)."""
        assert self.folder is not None
        self._pid = os.getpid()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{self.host}-{self._pid}-{_start_time(self._pid) or 0}.slots"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, SLOTS * SLOT_BYTES)
            self._map = mmap.mmap(fd, SLOTS * SLOT_BYTES, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self._free = list(range(SLOTS - 1, -1, -1))

    @contextlib.contextmanager
    def running(self, what: dict) -> Iterator[None]:
        """Mark a search as inside the engine for the duration of the block."""
        if self.folder is None:
            yield
            return
        if os.getpid() != self._pid:
            with self._lock:
                if os.getpid() != self._pid:
                    self._open()
        data = json.dumps({"started": time.time(), "thread": threading.get_ident(), **what},
                          ensure_ascii=False, default=str).encode()[:SLOT_BYTES - _LEN.size]
        with self._lock:
            slot = self._free.pop() if self._free and self._map is not None else None
            m = self._map
        if slot is not None and m is not None:  # a slot is only taken while the map is open
            at = slot * SLOT_BYTES
            m[at + _LEN.size:at + _LEN.size + len(data)] = data
            m[at:at + _LEN.size] = _LEN.pack(len(data))
        try:
            yield
        finally:
            if slot is not None and m is not None:
                m[at:at + _LEN.size] = _LEN.pack(0)
                with self._lock:
                    self._free.append(slot)

    def close(self) -> None:
        """The process ends normally: nothing of it is left to report."""
        with self._lock:
            if self._map is not None:
                self._map.close()
                self._map = None
            if self.path is not None and self._pid == os.getpid():
                self.path.unlink(missing_ok=True)


def _busy_slots(data: bytes) -> list[dict]:
    out = []
    for slot in range(len(data) // SLOT_BYTES):
        at = slot * SLOT_BYTES
        (n,) = _LEN.unpack_from(data, at)
        if 0 < n <= SLOT_BYTES - _LEN.size:
            raw = data[at + _LEN.size:at + _LEN.size + n].decode("utf-8", "replace")
            try:
                out.append(json.loads(raw))
            except ValueError:
                out.append({"raw": raw})  # cut at the slot's end
    return out


def recover(folder: Path) -> list[dict]:
    """Report what processes of this host that ended without closing their log were running (each
    report is logged at ERROR and appended to ``crashes.jsonl`` beside ``folder``) and remove their
    files. Another process recovering at the same time claims each file by renaming it first."""
    folder = Path(folder)
    host = socket.gethostname().replace("-", "_") or "host"
    reports = []
    for f in sorted(folder.glob(f"{host}-*.slots")):
        try:
            pid_text, start = f.stem.rsplit("-", 2)[1:]
            pid = int(pid_text)
        except ValueError:
            continue
        if pid == os.getpid() or _alive(pid, start):
            continue
        claimed = f.with_name(f"{f.name}.{os.getpid()}.claimed")
        try:
            os.rename(f, claimed)
        except FileNotFoundError:
            continue
        searches = _busy_slots(claimed.read_bytes())
        claimed.unlink(missing_ok=True)
        if not searches:
            continue  # ended while idle (killed, or not closed): nothing ran in the engine
        report = {"pid": pid, "host": host, "found": time.time(), "searches": searches}
        log.error("the search engine's process %s ended while %d search(es) ran in the engine (a native crash "
                  "or a kill; that process's log has the stack): %s", pid, len(searches),
                  "; ".join(repr(s.get("q", s)) for s in searches))
        with open(folder.parent / CRASHES, "a", encoding="utf-8") as out:
            out.write(json.dumps(report, ensure_ascii=False) + "\n")
        reports.append(report)
    return reports


def last_crash(index: Path) -> dict | None:
    """The last report of ``recover`` for the index at ``index`` (None: never)."""
    f = Path(index) / CRASHES
    try:
        lines = f.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        with contextlib.suppress(ValueError):
            return json.loads(line)
    return None


def crash_note(index: Path | None) -> str:
    """``"; lần dừng đột ngột gần nhất: …"`` for a health line, or ``""`` when the index at
    ``index`` never lost a process inside the engine."""
    crash = last_crash(index) if index is not None else None
    return f"; lần dừng đột ngột gần nhất: {describe(crash)}" if crash else ""


def describe(report: dict) -> str:
    """One line for people: when, which process, which search."""
    started = min((s.get("started") or report["found"] for s in report["searches"]), default=report["found"])
    when = datetime.fromtimestamp(started, ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M:%S %d/%m/%Y")
    first = report["searches"][0]
    q = str(first.get("q", first.get("raw", "")))
    q = q if len(q) <= 80 else q[:77] + "…"
    more = f" (+{len(report['searches']) - 1})" if len(report["searches"]) > 1 else ""
    return f"tiến trình {report['pid']} dừng đột ngột lúc {when} khi đang tìm {q!r}{more}"
