"""The embedded default's periodic work, run by the API process (scale-out: Celery beat).

On the embedded default there is no beat and no worker: ``luutru serve`` runs, in a background
task of its lifespan, what the beat schedule of ``api/worker.py`` runs in scale-out —

* deferred background work every ``tasks.inline_interval_seconds`` (LTV copies, webhook
  deliveries and their retries, index work left by a crash), so a retry never waits for the next
  upload;
* the audit log's RFC 3161 anchor every hour, the retention sweep and the renewal of archive
  timestamps once a day;
* a slice of the fixity audit every 5 minutes: the objects due in the cycle
  (``fixity.cycle_days``), oldest-checked first, for at most ``fixity.slice_seconds`` at the
  ``fixity.budget_mb_s`` read rate, so every object is re-hashed within the cycle.

Jobs run one after another in a worker thread (never two at once), each failure is logged and the
job runs again at its next turn. ``tasks.inline_interval_seconds = 0`` turns the loop off (then
``luutru repair``, ``luutru retention sweep``, ``luutru timestamps renew`` and ``luutru fixity run
--due`` from cron do it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

log = logging.getLogger(__name__)

ACTOR = "software:luutru serve"

PERIODS = {"anchor_audit": 3600.0, "retention_sweep": 86400.0, "renew_timestamps": 86400.0, "fixity_audit": 300.0}
"""Seconds between runs of the periodic jobs, for Celery beat (``api/worker.py``) and for the
embedded loop alike."""


@dataclass
class Job:
    name: str
    every: float
    run: Callable[[], object]
    due: float = field(default=0.0)


def retention_sweep(services, *, actor: str) -> dict:
    """Move due dossiers to the review list ("Xem xét hủy") and send transfer reminders."""
    from api.retention_wiring import retention_services

    return retention_services(services)[0].sweep(actor=actor).as_dict()


def embedded_jobs(services, interval: float) -> list[Job]:
    """The beat schedule of ``api/worker.py``, for the API process of the embedded default."""
    from api.signature_wiring import renew_all

    return [Job("pending_tasks", interval, services.archive.run_pending_tasks),
            Job("anchor_audit", PERIODS["anchor_audit"], services.archive.anchor_audit),
            Job("retention_sweep", PERIODS["retention_sweep"], lambda: retention_sweep(services, actor=ACTOR)),
            Job("renew_timestamps", PERIODS["renew_timestamps"], lambda: renew_all(services, actor=ACTOR)),
            Job("fixity_audit", PERIODS["fixity_audit"], lambda: services.fixity.run_due(actor=ACTOR))]


class Scheduler:
    """Runs ``jobs`` when due; ``tick`` is one pass (tests call it), ``run`` the loop."""

    def __init__(self, jobs: list[Job], interval: float, *, clock: Callable[[], float] = time.monotonic):
        self.jobs, self.interval, self.clock = jobs, interval, clock
        start = clock()
        for job in jobs:  # the first turn one interval after start (start-up already ran repair)
            job.due = start + min(job.every, interval)
        self.runs: dict[str, int] = {job.name: 0 for job in jobs}

    def tick(self) -> list[str]:
        ran = []
        for job in self.jobs:
            now = self.clock()
            if now < job.due:
                continue
            try:
                job.run()
                self.runs[job.name] += 1
                ran.append(job.name)
            except Exception as exc:
                log.warning("periodic job %s failed: %s", job.name, exc, exc_info=True)
            job.due = self.clock() + job.every
        return ran

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            await anyio.to_thread.run_sync(self.tick)
