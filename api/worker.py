"""Celery: the app, thin tasks and the beat schedule (scale-out). Tasks only look up services and
call them; retries live here (Celery's testing guide)."""

from __future__ import annotations

from typing import Any

from celery import Celery

from archive.settings import Settings

_services = None


def _get_services():
    """One set of services per worker process, built on first use from the environment."""
    global _services
    if _services is None:
        from api.wiring import build_services, get_settings

        _services = build_services(get_settings())
    return _services


def create_celery(settings: Settings) -> Celery:
    app = Celery("luutru", broker=settings.tasks.broker_url,
                 backend=settings.tasks.result_backend or None)
    app.conf.update(
        task_acks_late=True,               # a task lost with its worker is redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,      # long tasks (extraction) must not queue behind each other
        task_serializer="json", accept_content=["json"], result_serializer="json",
        timezone="Asia/Ho_Chi_Minh", enable_utc=True,
        beat_schedule={
            "repair-archive-hourly": {"task": "luutru.repair_archive", "schedule": 3600.0},
        },
    )

    @app.task(name="luutru.repair_archive")
    def repair_archive() -> dict:
        return _get_services().archive.repair(actor="software:luutru beat").as_dict()

    return app


class CeleryDispatcher:
    """Sends a named task to the broker; the worker runs it."""

    def __init__(self, settings: Settings):
        self.app = create_celery(settings)

    def dispatch(self, task: str, payload: dict[str, Any]) -> None:
        self.app.send_task(f"luutru.{task}", kwargs=payload)
