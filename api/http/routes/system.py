"""Health, readiness and Prometheus metrics.

``/api/v1/health`` (liveness) answers without a token, for probes (the Docker healthcheck, a load
balancer): 200 ``{"status": "ok"}`` when this process can serve — it answers and its catalogue
answers, since every request authenticates against it — else 503 ``{"status": "unavailable"}``.
It carries nothing else: no version, no backend names, no counts. Readiness (every backend, named)
and metrics need a token."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.accounts import Caller
from api.http.deps import CallerDep, ServicesDep, require

router = APIRouter(tags=["system"])
log = logging.getLogger(__name__)


@router.get("/api/v1/health", summary="Liveness: the process and its catalogue answer (no token)",
            responses={503: {"description": "The catalogue does not answer: this process cannot serve"}})
def health(services: ServicesDep) -> JSONResponse:
    try:
        services.catalogue.ping()
    except Exception:  # the probe's answer, not an error to raise
        log.warning("health: the catalogue does not answer", exc_info=True)
        return JSONResponse({"status": "unavailable"}, status_code=503, headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/api/v1/ready", summary="Readiness: every backend answers",
            responses={503: {"description": "A backend does not answer"}})
def ready(caller: CallerDep, services: ServicesDep) -> JSONResponse:
    from api.health import check_all

    checks = check_all(services)
    ok = all(c["ok"] for c in checks.values())
    body = {"ready": ok, "checks": {name: c["ok"] for name, c in checks.items()}}
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/api/v1/metrics", summary="Prometheus metrics (scope metrics)",
            response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request, services: ServicesDep, caller: Annotated[Caller, Depends(require("metrics"))]) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    reg = request.app.state.metrics["registry"]
    counts = services.archive.counts()
    body = generate_latest(reg).decode()
    body += "".join(f"# TYPE luutru_{k} gauge\nluutru_{k} {v}\n" for k, v in counts.items())
    return Response(body, media_type=CONTENT_TYPE_LATEST)
