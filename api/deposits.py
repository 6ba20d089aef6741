"""Deposits through the workers (scale-out, ``tasks.backend=celery``).

The receiving side (``POST /api/v1/records``, ``luutru ingest``) stages the file in the object store
(``archive.staging``) and sends ``luutru.ingest_staged`` with the job id; a worker fetches the bytes
into its own spool folder, runs the ingest pipeline as the depositor, and deletes the manifest. The
job's outcome is the task's result (the Celery result backend), read by ``job_status``. The
embedded default never comes here: it ingests in-process.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from api.wiring import Services
from archive.errors import ObjectNotFound
from archive.staging import DepositStaging

log = logging.getLogger(__name__)

TASK = "luutru.ingest_staged"


def celery_app(services: Services):
    """The Celery app of these services (the dispatcher's, so one connection pool per process)."""
    app = getattr(services.dispatcher, "app", None)
    if app is None:
        from api.worker import create_celery

        app = services.celery_app
        if app is None:
            app = services.celery_app = create_celery(services.settings)
    return app


def stage(services: Services, stream: BinaryIO, *, size: int | None, submit_name: str | None, submitter: str,
          declared: dict | None = None, dossier_code: str | None = None, source: str = "api") -> str:
    """Stage one file and dispatch its ingest; returns the job id."""
    manifest = DepositStaging(services.store).stage(stream, size=size, manifest={
        "submit_name": submit_name, "submitter": submitter, "declared": declared or {},
        "dossier_code": dossier_code, "source": source})
    dispatch(services, manifest["job_id"])
    return manifest["job_id"]


def dispatch(services: Services, job_id: str) -> None:
    # The task id is the job id: its result is the job's outcome.
    celery_app(services).send_task(TASK, kwargs={"job_id": job_id}, task_id=job_id)


def wait(services: Services, job_id: str, seconds: float) -> dict | None:
    """The job's result if it finishes within ``seconds``, else None. Polls the result key (a
    plain read) rather than ``AsyncResult.get``, whose Redis pub/sub consumer is shared by the
    threads of the process: many requests wait at once."""
    app = celery_app(services)
    deadline = time.monotonic() + seconds
    pause = 0.05
    while True:
        result = app.AsyncResult(job_id)
        if result.state == "SUCCESS" and isinstance(result.result, dict):
            return result.result
        if time.monotonic() + pause > deadline:
            return None
        time.sleep(pause)
        pause = min(pause * 1.5, 0.5)


def job_status(services: Services, job_id: str) -> dict[str, Any] | None:
    """``{"status": "queued" | "running" | "done" | "failed", "submitter", …}``, or None for an
    unknown job. ``done`` carries the ingest's outcome."""
    manifest = DepositStaging(services.store).get(job_id)
    result = celery_app(services).AsyncResult(job_id)
    state = result.state
    if state == "SUCCESS" and isinstance(result.result, dict):
        return {"status": "done", **result.result}
    if manifest is None:
        return None
    status = {"STARTED": "running", "RETRY": "queued", "FAILURE": "failed"}.get(state, "queued")
    return {"status": status, "submitter": manifest["submitter"], "submit_name": manifest.get("submit_name"),
            "sha256": manifest.get("sha256"), "staged_at": manifest.get("staged_at")}


def run_staged(services: Services, ingest, job_id: str) -> dict[str, Any] | None:
    """Worker side: ingest the staged job ``job_id``; None when it is already done (a second
    dispatch of a finished job). The manifest is deleted only after the outcome is durable (the
    record committed, or the file quarantined), so a crash before that leaves it for a retry."""
    from ingest.pipeline import SourceFile

    staging = DepositStaging(services.store)
    manifest = staging.get(job_id)
    if manifest is None:
        return None
    spool = services.settings.data_dir / "uploads"
    spool.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=spool, prefix=f"job-{job_id[:8]}-")
    path = Path(tmp)
    try:
        try:
            with open(fd, "wb") as out, services.store.open(manifest["key"], verify=True) as reader:
                shutil.copyfileobj(reader, out, 1024 * 1024)
        except ObjectNotFound:
            staging.done(job_id)  # nothing left to ingest: the job ends, and says why
            return {"job_id": job_id, "outcome": "rejected", "record_id": None, "sha256": manifest.get("sha256"),
                    "code": "staged_object_missing", "submitter": manifest["submitter"],
                    "message_vi": "Tệp đã nộp không còn trong vùng chờ của kho đối tượng; hãy nộp lại",
                    "message_en": "the staged upload is gone from the object store; deposit it again", "quarantine": None}
        outcome = ingest.run(SourceFile(path=path, submit_name=manifest.get("submit_name"),
                                        submitter=manifest["submitter"], declared=manifest.get("declared") or {},
                                        dossier_code=manifest.get("dossier_code"),
                                        source=manifest.get("source") or "api"))
    finally:
        path.unlink(missing_ok=True)

    staging.done(job_id)
    return {"job_id": job_id, "submitter": manifest["submitter"], **outcome.as_dict()}


def requeue_stale(services: Services) -> list[str]:
    """Dispatch again the jobs staged longer than ``tasks.deposit_requeue_seconds`` ago (their task
    was lost); returns their ids."""
    if services.settings.tasks.backend != "celery":
        return []
    stale = DepositStaging(services.store).stale(timedelta(seconds=services.settings.tasks.deposit_requeue_seconds))
    for manifest in stale:
        log.warning("deposit %s staged at %s has not been ingested: dispatched again", manifest["job_id"],
                    manifest["staged_at"])
        dispatch(services, manifest["job_id"])
    return [m["job_id"] for m in stale]
