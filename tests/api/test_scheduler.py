"""The embedded default's periodic loop (``api/scheduler.py``): each job at its own period, a
failing job never stops the others, and the API wires the beat schedule's jobs."""

from __future__ import annotations

import logging

from api.scheduler import Job, Scheduler, embedded_jobs


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_jobs_run_at_their_own_period_and_a_failure_stops_none(caplog):
    """GIVEN an every-minute job, an hourly one and a failing one WHEN time passes THEN each runs at
    its period (the first turn one interval after start), and the failure is logged each turn."""
    clock, calls = Clock(), []

    def boom():
        raise RuntimeError("TSA không phản hồi")

    jobs = [Job("minute", 60, lambda: calls.append("minute")), Job("hour", 3600, lambda: calls.append("hour")),
            Job("broken", 60, boom)]
    scheduler = Scheduler(jobs, 60, clock=clock)
    assert scheduler.tick() == []                      # nothing at start
    clock.t += 60
    with caplog.at_level(logging.WARNING, logger="api.scheduler"):
        assert scheduler.tick() == ["minute", "hour"]  # hourly's first turn is one interval in
    assert "broken" in caplog.text and "TSA không phản hồi" in caplog.text
    for _ in range(59):
        clock.t += 60
        scheduler.tick()
    assert calls.count("minute") == 60 and calls.count("hour") == 1
    clock.t += 60
    scheduler.tick()
    assert calls.count("hour") == 2 and scheduler.runs == {"minute": 61, "hour": 2, "broken": 0}


def test_the_embedded_jobs_are_the_beat_schedule(tmp_path):
    """GIVEN the embedded services WHEN the API builds its jobs THEN they are the Celery beat's
    (pending work, audit anchor, retention sweep, timestamp renewal, fixity slice) and each one runs
    here."""
    from apienv import make_env

    services, _app = make_env(tmp_path / "data")
    try:
        jobs = {job.name: job for job in embedded_jobs(services, 60)}
        assert set(jobs) == {"pending_tasks", "anchor_audit", "retention_sweep", "renew_timestamps", "fixity_audit"}
        assert jobs["anchor_audit"].every == 3600 and jobs["retention_sweep"].every == 86400
        sweep = jobs["retention_sweep"].run()
        assert sweep["listed"] == 0 and sweep["as_of"]
        assert jobs["pending_tasks"].run() == (0, 0)
        assert jobs["anchor_audit"].run() is not None  # the audit log has entries to anchor
        assert set(jobs["renew_timestamps"].run()) >= {"checked", "created", "renewed", "failed"}
        assert jobs["fixity_audit"].every == 300
        fixity = jobs["fixity_audit"].run()
        assert fixity["kind"] == "due" and fixity["objects"] == 0 and fixity["failures"] == []
    finally:
        services.close()
