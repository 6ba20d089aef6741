"""Celery: the app, thin tasks and the beat schedule (scale-out). Tasks only look up services and
call them; retries live here (Celery's testing guide)."""

from __future__ import annotations

from typing import Any

from celery import Celery

from api.scheduler import PERIODS
from archive.settings import Settings

_services = None


def _get_services():
    """One set of services per worker process, built on first use from the environment."""
    global _services
    if _services is None:
        from api.wiring import build_services, get_settings

        _services = build_services(get_settings())
    return _services


def _get_ingest():
    from api.wiring import ingest_service

    # One extraction process per Celery process: Celery's concurrency is the parallelism.
    return ingest_service(_get_services())


def create_celery(settings: Settings) -> Celery:
    app = Celery("luutru", broker=settings.tasks.broker_url,
                 backend=settings.tasks.result_backend or None)
    app.conf.update(
        task_default_queue=settings.tasks.queue,
        task_acks_late=True,               # a task lost with its worker is redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,      # long tasks (extraction) must not queue behind each other
        task_serializer="json", accept_content=["json"], result_serializer="json",
        timezone="Asia/Ho_Chi_Minh", enable_utc=True,
        beat_schedule={
            "repair-archive-hourly": {"task": "luutru.repair_archive", "schedule": 3600.0},
            "retention-sweep-daily": {"task": "luutru.retention_sweep", "schedule": PERIODS["retention_sweep"]},
            "renew-timestamps-daily": {"task": "luutru.renew_timestamps", "schedule": PERIODS["renew_timestamps"]},
            "anchor-audit-hourly": {"task": "luutru.anchor_audit", "schedule": PERIODS["anchor_audit"]},
            "requeue-webhooks": {"task": "luutru.requeue_webhooks", "schedule": 600.0},
            "fixity-audit": {"task": "luutru.fixity_audit", "schedule": PERIODS["fixity_audit"]},
        },
    )

    from sqlalchemy.exc import OperationalError

    @app.task(shared=False, name="luutru.ingest_staged", autoretry_for=(ConnectionError, OperationalError), retry_backoff=True,
              retry_backoff_max=300, retry_jitter=True, max_retries=8)
    def ingest_staged(job_id: str) -> dict:
        """Thin: ingest a deposit staged in the object store (``api.deposits``). Bad input is an
        outcome, not an exception, so it is never retried; only transient failures (a service down)
        are. A job already done (dispatched twice) leaves its first result in place."""
        from celery.exceptions import Ignore

        from api.deposits import run_staged

        result = run_staged(_get_services(), _get_ingest(), job_id)
        if result is None:
            raise Ignore()
        return result

    @app.task(shared=False, name="luutru.make_ltv_copy", autoretry_for=(ConnectionError, OperationalError), retry_backoff=True,
              max_retries=5)
    def make_ltv_copy(record_id: str) -> None:
        """Thin: the PAdES B-LTA copy of a signed PDF, off the ingest path."""
        from api.signature_wiring import ltv_task

        ltv_task(_get_services())(record_id)

    @app.task(shared=False, name="luutru.ocr_record", autoretry_for=(ConnectionError, OperationalError), retry_backoff=True,
              max_retries=5)
    def ocr_record(record_id: str) -> None:
        """Thin: the OCR of a scan that took longer than LUUTRU_OCR__WAIT_SECONDS at ingest."""
        from api.wiring import preservation_service

        preservation_service(_get_services(), workers=1).ocr_task(record_id)

    @app.task(shared=False, name="luutru.preserve_record", autoretry_for=(ConnectionError, OperationalError), retry_backoff=True,
              max_retries=5)
    def preserve_record(record_id: str) -> None:
        """Thin: PDF/A validation of claims and copies, the policy's PDF/A-2b preservation copy."""
        from api.wiring import preservation_service

        preservation_service(_get_services(), workers=1).preserve_task(record_id)

    @app.task(shared=False, name="luutru.renew_timestamps")
    def renew_timestamps() -> dict:
        from api.signature_wiring import renew_all

        return renew_all(_get_services(), actor="software:luutru beat")

    @app.task(shared=False, name="luutru.retention_sweep")
    def retention_sweep() -> dict:
        """Move due dossiers to the review list ("Xem xét hủy") and send transfer reminders."""
        from api.scheduler import retention_sweep as sweep

        return sweep(_get_services(), actor="software:luutru beat")

    @app.task(shared=False, name="luutru.anchor_audit")
    def anchor_audit() -> dict | None:
        """RFC 3161 anchor over the audit log's head, when it moved since the last anchor."""
        return _get_services().archive.anchor_audit()

    @app.task(shared=False, name="luutru.deliver_webhook", bind=True, max_retries=None,
              autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300)
    def deliver_webhook(self, delivery_id: str) -> str:
        """Thin: one attempt; while the delivery stays pending, retry after its backoff (the
        attempt count and the limit live in the delivery row, ``api.webhook_max_attempts``)."""
        result = _get_services().webhooks.attempt(delivery_id)
        if result.state == "pending":
            raise self.retry(countdown=result.retry_in)
        return result.state

    @app.task(shared=False, name="luutru.requeue_webhooks")
    def requeue_webhooks() -> int:
        """Thin: queue again the webhook deliveries whose task was lost (overdue pending ones)."""
        return len(_get_services().webhooks.requeue_overdue())

    @app.task(shared=False, name="luutru.fixity_audit")
    def fixity_audit() -> dict:
        """Thin: one slice of the fixity audit (the due objects, within the slice's time and budget);
        skipped while another audit runs (one at a time, across workers)."""
        return _get_services().fixity.run_due(actor="software:luutru beat")

    @app.task(shared=False, name="luutru.repair_archive")
    def repair_archive() -> dict:
        """Thin: the repair pass, then deposits staged too long ago dispatched again."""
        from api.deposits import requeue_stale

        services = _get_services()
        report = services.archive.repair(actor="software:luutru beat").as_dict()
        report["deposits_requeued"] = requeue_stale(services)
        return report

    return app


class CeleryDispatcher:
    """Sends a named task to the broker; the worker runs it."""

    def __init__(self, settings: Settings):
        self.app = create_celery(settings)

    def dispatch(self, task: str, payload: dict[str, Any]) -> None:
        self.app.send_task(f"luutru.{task}", kwargs=payload)


