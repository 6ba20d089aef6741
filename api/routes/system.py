"""Health, readiness and Prometheus metrics. All authenticated (a liveness probe can check that the
port answers: an unauthenticated request gets a 401 from a live process)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.accounts import Caller
from api.deps import CallerDep, ServicesDep, require

router = APIRouter(tags=["system"])


@router.get("/api/v1/health", summary="Liveness: the process answers")
def health(caller: CallerDep) -> dict:
    return {"status": "ok"}


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
