"""Health endpoints of the HTTP API (used by docker-compose health checks)."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from services import opensearch_backend

from api.http.app import create_app
from archive.settings import load_settings


def test_health_and_readiness(tmp_path):
    """Liveness answers without a token (tests/api/test_health_probe.py); readiness needs one."""
    settings = load_settings({"LUUTRU_DATA_DIR": str(tmp_path)})
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/health").json() == {"status": "ok"}
        assert client.get("/api/v1/ready").status_code == 401
        token = client.app.state.services.accounts.create_client("probe", scopes=["read"], actor="t")["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        ready = client.get("/api/v1/ready")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True and set(ready.json()["checks"]) == {
            "catalogue", "objects", "search", "extraction", "tasks"}


@pytest.mark.opensearch
def test_not_ready_when_a_service_is_down(tmp_path):
    """GIVEN scale-out settings whose Celery broker does not answer (Celery needs OpenSearch: the
    real one of tests/servers/start) WHEN readiness is asked THEN 503 with the tasks check false."""
    prefix = f"ready-{uuid.uuid4().hex[:8]}"
    opensearch_backend(prefix).close()  # skips (fails under CI) without a cluster
    settings = load_settings({"LUUTRU_DATA_DIR": str(tmp_path), "LUUTRU_TASKS__BACKEND": "celery",
                              "LUUTRU_TASKS__BROKER_URL": "redis://127.0.0.1:1/0",
                              "LUUTRU_TASKS__RESULT_BACKEND": "redis://127.0.0.1:1/1", "LUUTRU_SEARCH__BACKEND": "opensearch",
                              "LUUTRU_SEARCH__OPENSEARCH_URL": os.environ["OPENSEARCH_URL"],
                              "LUUTRU_SEARCH__INDEX_PREFIX": prefix})
    try:
        with TestClient(create_app(settings)) as client:
            token = client.app.state.services.accounts.create_client("probe", scopes=["read"], actor="t")["token"]
            ready = client.get("/api/v1/ready", headers={"Authorization": f"Bearer {token}"})
            assert ready.status_code == 503 and ready.json()["checks"]["tasks"] is False
            assert ready.json()["checks"]["search"] is True
    finally:
        backend = opensearch_backend(prefix)
        backend.drop()
        backend.close()


def test_beat_schedule_names_registered_tasks():
    from api.worker import create_celery

    settings = load_settings({"LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": "memory://",
                              "LUUTRU_TASKS__RESULT_BACKEND": "cache+memory://",
                              "LUUTRU_SEARCH__BACKEND": "opensearch", "LUUTRU_SEARCH__OPENSEARCH_URL": "http://127.0.0.1:9"})
    app = create_celery(settings)
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled == {"luutru.repair_archive", "luutru.retention_sweep", "luutru.renew_timestamps",
                         "luutru.anchor_audit", "luutru.requeue_webhooks", "luutru.fixity_audit"}
    assert "luutru.deliver_webhook" in app.tasks
    assert scheduled <= set(app.tasks)


def test_two_celery_apps_keep_their_own_tasks():
    """Tasks are not shared between apps: a second app (the API's dispatcher beside a worker, or
    the next test) registers its own callables instead of inheriting every earlier app's, which
    Celery refused with a DuplicateTaskNameWarning per task."""
    import warnings

    from celery.exceptions import DuplicateTaskNameWarning

    from api.worker import create_celery

    settings = load_settings({"LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": "memory://",
                              "LUUTRU_TASKS__RESULT_BACKEND": "cache+memory://",
                              "LUUTRU_SEARCH__BACKEND": "opensearch", "LUUTRU_SEARCH__OPENSEARCH_URL": "http://127.0.0.1:9"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateTaskNameWarning)
        first, second = create_celery(settings), create_celery(settings)
        first.finalize()
        second.finalize()
    assert first.tasks["luutru.anchor_audit"].run is not second.tasks["luutru.anchor_audit"].run
    assert {n for n in first.tasks if n.startswith("luutru.")} == {n for n in second.tasks if n.startswith("luutru.")}


def test_api_start_runs_the_repair_pass(tmp_path):
    """GIVEN post-commit work left by a crash WHEN the API starts THEN the repair pass runs it."""
    import io

    from api.wiring import build_services
    from archive.domain import RecordMetadata

    settings = load_settings({"LUUTRU_DATA_DIR": str(tmp_path)})
    services = build_services(settings)
    services.archive._run_outbox = lambda ids=None, **kw: (0, 0)  # the crash: commit done, post-commit not
    services.archive.create_record(io.BytesIO(b"cong van"), filename="cv.txt", metadata=RecordMetadata(), actor="t")
    # index work, the record.ingested event and the record's metadata sidecar
    assert services.archive.counts()["pending_post_commit"] == 3
    services.close()
    with TestClient(create_app(settings)) as client:
        archive = client.app.state.services.archive
        assert archive.counts()["pending_post_commit"] == 0
        with archive.catalogue.session() as s:
            from archive.catalogue import Record

            rid = s.execute(sa.select(Record.id)).scalar_one()
        assert archive.sidecars.latest(rid)[0] == 1


def test_a_chunked_json_body_over_the_limit_is_413(tmp_path):
    """Regression (issue 13, defect 12): a JSON body sent without Content-Length (chunked) and over
    ``LUUTRU_API__MAX_BODY_BYTES`` answered 400 "error parsing the body" instead of 413."""
    from apienv import make_env
    from fastapi.testclient import TestClient

    services, app = make_env(tmp_path / "d", LUUTRU_API__MAX_BODY_BYTES="2000")
    try:
        token = services.accounts.create_client("tim", scopes=["search"], actor="t")["token"]

        def chunks():
            yield b'{"q": "'
            for _ in range(100):
                yield b"luu tru " * 10
            yield b'"}'

        with TestClient(app) as client:
            r = client.post("/api/v1/search", content=chunks(),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert "content-length" not in {k.lower() for k in r.request.headers}
            assert r.status_code == 413, r.text
            body = r.json()
            assert body["code"] == "too_large" and "2000" in body["detail_vi"]
            small = client.post("/api/v1/search", json={"q": "lưu trữ"}, headers={"Authorization": f"Bearer {token}"})
            assert small.status_code == 200, small.text
    finally:
        services.close()
