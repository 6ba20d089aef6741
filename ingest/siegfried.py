"""One long-lived Siegfried server (``sf -serve``) per ingesting process.

Running ``sf`` once per file costs ~130 ms, nearly all of it loading the signature file; the
server loads it once and answers each file in a few milliseconds, from any thread (Siegfried's
documented HTTP interface: ``GET /identify/<URL-safe base64 of the path>?base64=true&format=json``
returns the same JSON report as ``sf -json``).

The server listens on 127.0.0.1 only, on a port chosen when it starts. It runs under a small
``sh`` guard that reads a pipe from this process: when this process ends in any way (even killed),
the pipe closes and the guard stops the server, so no ``sf`` outlives the archive. ``close`` stops
it at once (the guard and the server lead their own process group, killed as one).

A forked child (Celery's prefork pool forks its workers from a parent that may have identified a
file already) does not share its parent's server: after the fork it forgets the inherited one
without stopping it (the parent still uses it), closes its copy of the guard's pipe (so the
parent's server still ends with the parent) and starts its own on first use. Its lock is new, too:
a lock held by another thread of the parent at the moment of the fork would never be released.

A local user who can reach the port can ask it to identify a file this process may read (the
answer is a format, a size and a date); set ``LUUTRU_FORMATS__SIEGFRIED_SERVE=false`` where other
users share the machine, and each file runs ``sf`` as before.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import weakref
from pathlib import Path

# The guard: start sf; a background reader waits for stdin to close (this process ended, or
# closed it) and then stops sf; the guard itself ends when sf does (so a server that died or
# could not bind its port is seen as a process that exited).
# (A background job's stdin is /dev/null unless redirected: the pipe is kept as fd 3 for it.)
_GUARD = ('exec 3<&0; "$0" "$@" 3<&- & child=$!; '
          '(cat <&3 >/dev/null; kill $child 2>/dev/null) & exec 3<&-; wait $child')


class ServerUnavailable(Exception):
    """The server did not answer (not started, died, refused): the caller runs ``sf`` itself."""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the guard's group if the guard still runs (a reaped guard's id may be reused)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_SERVERS: weakref.WeakSet[SiegfriedServer] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for server in list(_SERVERS):
        server._forget_inherited()


os.register_at_fork(after_in_child=_after_fork_in_child)


class SiegfriedServer:
    """``sf -serve`` started on first use, restarted when it died, stopped by ``close``."""

    def __init__(self, binary: str, home: Path, signature: str, *, timeout: float = 120.0,
                 start_timeout: float = 20.0):
        self.binary = binary
        self.home = home
        self.signature = signature
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._finalizer: weakref.finalize | None = None
        self.starts = 0
        """How many times this process started a server (a restart after a death counts)."""
        _SERVERS.add(self)

    def _forget_inherited(self) -> None:
        """In a forked child: drop the parent's server without stopping it (see the module)."""
        self._lock = threading.Lock()
        self.starts = 0
        proc, self._proc, self._port = self._proc, None, None
        if self._finalizer is not None:
            self._finalizer.detach()  # the child's exit must not kill the parent's server
            self._finalizer = None
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass

    @property
    def pid(self) -> int | None:
        """The guard's process id, which is also the server's process group."""
        return self._proc.pid if self._proc is not None else None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self) -> None:
        """Start (or restart) the server and wait until it answers; ``ServerUnavailable`` if not."""
        self._stop()
        last = "not started"
        for _ in range(3):  # a port taken between choosing it and sf binding it: another port
            port = _free_port()
            proc = subprocess.Popen(
                ["sh", "-c", _GUARD, self.binary, "-home", str(self.home), "-sig", self.signature, "-nr",
                 "-serve", f"127.0.0.1:{port}"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
            self._proc, self._port = proc, port
            self.starts += 1
            # an identifier dropped without close (services never closed): stopped when collected
            self._finalizer = weakref.finalize(self, _kill_group, proc)
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline:
                try:
                    # identifying the signature file itself loads the signatures: the first
                    # document does not pay for it
                    self._get(self.home / self.signature, timeout=self.start_timeout)
                    return
                except (OSError, http.client.HTTPException, ServerUnavailable) as exc:
                    last = str(exc)
                    if proc.poll() is not None:
                        break
                    time.sleep(0.05)
            self._stop()
        raise ServerUnavailable(f"sf -serve did not start: {last}")

    def _stop(self) -> None:
        proc, self._proc, self._port = self._proc, None, None
        if proc is None:
            return
        _kill_group(proc)
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def _get(self, path: Path, *, timeout: float) -> dict:
        assert self._port is not None
        name = base64.urlsafe_b64encode(os.fsencode(path)).decode("ascii")
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=timeout)
        try:
            conn.request("GET", f"/identify/{name}?base64=true&format=json&nr=true")
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise ServerUnavailable(f"HTTP {resp.status}: {body[:300].decode('utf-8', 'replace')}")
        report: dict = json.loads(body)
        return report

    def identify(self, path: Path) -> dict:
        """Siegfried's JSON report on one file (``sf -json`` shape, one entry in ``files``).

        A server that is not running or stopped answering is started again once; when that fails
        too, or the server refuses the file, ``ServerUnavailable`` tells the caller to run ``sf``."""
        for attempt in (1, 2):
            with self._lock:
                if self._closed:
                    raise ServerUnavailable("the identifier was closed")
                if not self._alive():
                    self._start()
                port = self._port
            try:
                return self._get(path, timeout=self.timeout)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                with self._lock:
                    if self._port == port and attempt == 1:
                        self._stop()  # dead or hung: the next attempt starts a new one
                if attempt == 2:
                    raise ServerUnavailable(f"sf -serve failed: {exc}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop()
