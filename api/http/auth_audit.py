"""Failed authentications in the audit log: one entry per address and window, not one per request.

A client hammering the API with bad tokens (or a login form with wrong passwords) used to add one
append-only row per request: 500 bad tokens, 500 rows in 3 s, without bound. Here, per action
(``auth.token``, ``auth.login``) and address (IPv6: its /64) and window of
``api.auth_failure_window_seconds`` (60 s):

* the **first** failure is appended at once, in full, as before (``auth.token`` with the path and
  method; ``auth.login`` with the user name tried and the reason);
* the others are **counted in memory**; when the window ends one ``auth.token.summary`` /
  ``auth.login.summary`` entry is appended with ``count`` (every failure of the window, the first
  included), ``first_entry`` (the id of the first one), ``from``/``until`` and the most frequent
  paths, user names and reasons (at most 20 of each, with ``others`` counting the rest). A window
  with a single failure gets no summary.

No row is ever changed (the log is append-only and hash-chained): the summary is a new entry
after the first. Windows are closed by the next failure after their end and by the API's
background loop, and all of them at shutdown. **A crash loses at most the count of each open
window** (a minute's worth per address); the first failure of the window is already in the log.
Each API process aggregates its own failures: with N processes an address costs at most 2N
entries per window. Logins refused by the throttle before any check (``auth.login.refused``) share
one window for all addresses, the summary tallying the addresses. Beyond ``max_windows`` open
windows (a flood of distinct addresses) new addresses share one window per action under the
address ``*``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.http.login_guard import address_key
from archive import audit

log = logging.getLogger(__name__)
TALLY_LIMIT = 20


@dataclass
class _Window:
    action: str
    address: str | None
    opened: float
    opened_at: datetime
    last_at: datetime
    count: int = 0
    first_id: int | None = None
    tallies: dict[str, Counter] = field(default_factory=dict)


class AuthFailureAudit:
    """Aggregates failed authentications per (action, address, window) into the audit log."""

    def __init__(self, catalogue, *, window: float = 60.0, now: Callable[[], datetime],
                 clock: Callable[[], float] = time.monotonic, max_windows: int = 10_000):
        self.catalogue = catalogue
        self.window = window
        self.now = now
        self.clock = clock
        self.max_windows = max_windows
        self._open: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()
        self._next_close = float("inf")

    @classmethod
    def from_services(cls, services) -> AuthFailureAudit:
        return cls(services.catalogue, window=services.settings.api.auth_failure_window_seconds,
                   now=services.archive.clock.now)

    async def run(self) -> None:
        """Close due windows in the background (the API's lifespan runs this)."""
        import anyio

        while True:
            await anyio.sleep(min(self.window / 2, 5.0))
            try:
                await anyio.to_thread.run_sync(self.flush)
            except Exception:  # the next pass retries; never let the loop die
                log.exception("could not append the summary of failed authentications")

    def record(self, action: str, address: str | None, *, actor: str = "anonymous", detail: dict | None = None,
               target_type: str | None = None, target_id: str | None = None,
               tally: dict[str, str] | None = None, shared: bool = False) -> None:
        """One failed authentication. The first of its window is appended now; the rest counted.
        ``shared``: one window for every address (refusals by the login throttle, which cost
        nothing: a flood from many addresses must not cost a row per address)."""
        mono, at = self.clock(), self.now()
        key = (action, "*" if shared else address_key(address))
        with self._lock:
            due = self._take_due(mono)
            w = self._open.get(key)
            if w is None and len(self._open) >= self.max_windows:
                key = (action, "*")
                w = self._open.get(key)
            first = w is None
            if first:
                w = _Window(action, "*" if key[1] == "*" else address, mono, at, at)
                self._open[key] = w
                self._next_close = min(self._next_close, mono + self.window)
            assert w is not None  # found, or made just above
            w.count += 1
            w.last_at = at
            for name, value in (tally or {}).items():
                counter = w.tallies.setdefault(name, Counter())
                if value in counter or len(counter) < TALLY_LIMIT:
                    counter[value] += 1
                else:
                    counter["others"] += 1
        if first:
            with self.catalogue.session() as s:
                entry = audit.append(s, at=at, actor=actor, address=address, action=action, outcome="failure",
                                     target_type=target_type, target_id=target_id, detail=detail)
                w.first_id = entry.id
        self._append_summaries(due)

    def flush(self, *, force: bool = False) -> int:
        """Close the windows whose time is up (all with ``force``); how many summaries were appended."""
        with self._lock:
            due = self._take_due(float("inf") if force else self.clock())
        return self._append_summaries(due)

    def _take_due(self, mono: float) -> list[_Window]:
        if mono < self._next_close:
            return []
        due = [k for k, w in self._open.items() if mono >= w.opened + self.window]
        out = [self._open.pop(k) for k in due]
        self._next_close = min((w.opened + self.window for w in self._open.values()), default=float("inf"))
        return out

    def _append_summaries(self, windows: list[_Window]) -> int:
        windows = [w for w in windows if w.count > 1]
        if not windows:
            return 0
        with self.catalogue.session() as s:
            for w in windows:
                detail: dict[str, Any] = {"count": w.count, "first_entry": w.first_id, "from": w.opened_at.isoformat(),
                          "until": w.last_at.isoformat(), "window_seconds": self.window}
                for name, counter in w.tallies.items():
                    others = counter.pop("others", 0)
                    plural = name + ("es" if name.endswith("s") else "s")
                    detail[plural] = dict(counter.most_common())
                    if others:
                        detail[plural]["others"] = others
                audit.append(s, at=self.now(), actor="anonymous", address=w.address, action=w.action + ".summary",
                             outcome="failure", detail=detail)
        return len(windows)
