"""A pool of extraction worker processes with a time and memory limit per file.

Workers are plain subprocesses (not multiprocessing children), so the pool also works inside
Celery's prefork worker processes. A worker that overruns its time, exceeds its memory limit
(resident set size, read from ``/proc``) or dies is killed and replaced; the file is reported
with the code ``timeout`` or ``resource_limit``.

Each worker leads its own process group, and the limits hold for the group: OCR runs Tesseract
and Ghostscript as the worker's children, so their memory counts, and a worker killed at its
limit takes them with it (killing the worker alone left Tesseract running, orphaned, for the rest
of its page).
"""

from __future__ import annotations

import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.extract.base import Extraction, ExtractionFailed


@dataclass(frozen=True)
class PoolConfig:
    size: int = max(1, os.cpu_count() or 1)
    timeout: float = 120.0
    memory_limit: int = 1536 * 1024**2
    tika: str = "embedded"
    tika_url: str | None = None
    max_text_chars: int = 8_000_000
    """Text kept per file (indexed, stored as the text component); the original is always whole."""


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _group_rss(pgid: int) -> int:
    """Resident set size of every process in the group ``pgid`` (the worker and its tools)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp …
        if len(fields) > 21 and int(fields[2]) == pgid:
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24 of stat: rss in pages
    return total


class _Worker:
    def __init__(self, config: PoolConfig):
        args = json.dumps({"tika": config.tika, "tika_url": config.tika_url, "timeout": config.timeout})
        # One Tesseract thread per worker: the pool's processes are the parallelism (OCRmyPDF
        # runs one job in each, Tesseract's OpenMP would otherwise take every core in every worker).
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "ingest.extract.worker", args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, encoding="utf-8", env=env, start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both pipes were asked for
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker and whatever it started (Tesseract, Ghostscript, LibreOffice)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass


class ExtractionPool:
    def __init__(self, config: PoolConfig | None = None):
        self.config = config or PoolConfig()
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.config.size):
            self._idle.put(None)  # started lazily
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def _take(self) -> _Worker:
        worker = self._idle.get()
        if worker is None or not worker.alive():
            worker = _Worker(self.config)
            with self._lock:
                self._all.add(worker)
        return worker

    def _release(self, worker: _Worker | None) -> None:
        self._idle.put(worker)

    def extract(self, path: Path, media_type: str, *, analyse: bool = False, analysis_limit: int | None = None,
                describe: bool = False) -> tuple[Extraction, dict | None]:
        """Extract in a worker; returns (extraction, pdf structure or None). The worker also makes
        the text's ``search.analysis.BodyAnalysis`` (``analyse``: ``Extraction.analysis``; not for a
        text that with its analysis would be over ``analysis_limit`` characters, which the taker
        refuses) and its Decree 30 description (``describe``: ``Extraction.description``)."""
        worker: _Worker | None  # None once released: the finally then leaves it alone
        worker = self._take()
        out = tempfile.NamedTemporaryFile(prefix="luutru-text-", suffix=".txt", delete=False)
        out.close()
        analysis_out = f"{out.name}.analysis" if analyse else None
        try:
            request: dict[str, str | int | bool] = {"path": str(path), "media_type": media_type, "out": out.name,
                                                     "max_chars": self.config.max_text_chars, "describe": describe}
            if analysis_out:
                request["analysis_out"] = analysis_out
                if analysis_limit is not None:
                    request["analysis_limit"] = analysis_limit
            worker.stdin.write(json.dumps(request) + "\n")
            worker.stdin.flush()
            answer = self._wait(worker)
            if not answer["ok"]:
                raise ExtractionFailed(answer["code"], answer["error"])
            warnings = answer["warnings"] or []
            # read at most max_text_chars: a huge text file must not fill the ingesting process
            with open(out.name, encoding="utf-8", errors="replace") as f:
                text = f.read(self.config.max_text_chars)
                cut = bool(f.read(1))
                if cut:
                    warnings.append(f"text truncated to its first {self.config.max_text_chars:,} characters "
                                    "for the text copy and the index (the original is archived whole)")
            analysis = None
            if analysis_out and not cut and os.path.exists(analysis_out):
                with open(analysis_out, encoding="utf-8") as f:
                    analysis = f.read()
            extraction = Extraction(text=text, extractor=answer["extractor"], media_type=answer["media_type"],
                                    pages=answer["pages"], metadata=answer["metadata"] or {}, warnings=warnings,
                                    legacy_encoding=answer.get("legacy_encoding"),
                                    legacy_changed_chars=answer.get("legacy_changed_chars") or 0,
                                    analysis=analysis, description=None if cut else answer.get("description"),
                                    cut=cut)
            self._release(worker)
            worker = None
            return extraction, answer.get("structure")
        except BrokenPipeError:
            raise ExtractionFailed("corrupt", "the extraction process died") from None
        finally:
            if worker is not None:  # killed or failed: replace it
                worker.kill()
                with self._lock:
                    self._all.discard(worker)
                self._release(None)
            os.unlink(out.name)
            if analysis_out and os.path.exists(analysis_out):
                os.unlink(analysis_out)

    def job(self, op: str, path: Path, media_type: str, work: Path, *, params: dict | None = None,
            timeout: float | None = None) -> dict:
        """Run ``op`` (``ocr``, ``pdfa``) in a worker within ``timeout`` seconds (the extraction
        limit when None); returns the job's result, raises ``ExtractionFailed`` (code ``timeout``,
        ``resource_limit``, ``ocr_unavailable``, ``ocr_failed``)."""
        worker: _Worker | None  # None once released: the finally then leaves it alone
        worker = self._take()
        try:
            worker.stdin.write(json.dumps({"op": op, "path": str(path), "media_type": media_type,
                                                "work": str(work), "params": params or {}}) + "\n")
            worker.stdin.flush()
            answer = self._wait(worker, timeout)
            if not answer["ok"]:
                failed = ExtractionFailed(answer["code"], answer["error"])
                self._release(worker)
                worker = None
                raise failed
            self._release(worker)
            worker = None
            return answer["result"]
        except BrokenPipeError:
            raise ExtractionFailed("ocr_failed", "the worker process died") from None
        finally:
            if worker is not None:
                worker.kill()
                with self._lock:
                    self._all.discard(worker)
                self._release(None)

    def _wait(self, worker: _Worker, timeout: float | None = None) -> dict:
        timeout = timeout or self.config.timeout
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(worker.stdout, selectors.EVENT_READ)
        group_checked = time.monotonic()
        try:
            while True:
                # close() kills the worker and closes its pipe: a pipe closed between two selects
                # leaves the selector (epoll drops a closed descriptor) with nothing to report, so the
                # job would wait out its whole time limit instead of failing at once
                if self._closed:
                    raise ExtractionFailed("cancelled", "the extraction pool was closed during the job")
                now = time.monotonic()
                remaining = deadline - now
                if remaining <= 0:
                    raise ExtractionFailed("timeout", f"extraction took longer than {timeout:.0f} s")
                rss = _rss(worker.proc.pid)
                if now - group_checked >= 0.5:  # the whole group: a walk of /proc, twice a second
                    group_checked = now
                    rss = max(rss, _group_rss(worker.proc.pid))
                if rss > self.config.memory_limit:
                    raise ExtractionFailed("resource_limit",
                                           f"extraction used more than {self.config.memory_limit // 2**20} MiB")
                try:
                    ready = sel.select(timeout=min(0.05, remaining))
                    line = worker.stdout.readline() if ready else None
                except (ValueError, OSError):  # the pool closed and killed the worker under us
                    raise ExtractionFailed("cancelled", "the extraction pool was closed during the job") from None
                if ready:
                    if not line and self._closed:
                        raise ExtractionFailed("cancelled", "the extraction pool was closed during the job")
                    if not line:
                        raise ExtractionFailed("resource_limit" if worker.proc.poll() in (-9, 137) else "corrupt",
                                               f"the extraction process died (exit {worker.proc.poll()})")
                    answer = json.loads(line)
                    if answer["ok"] or answer["code"] != "transient":
                        return answer
                    raise ConnectionError(answer["error"])
        finally:
            sel.close()

    def close(self) -> None:
        """Kill every worker; a job still waiting on one fails with code ``cancelled``."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
