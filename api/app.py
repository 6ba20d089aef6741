"""The HTTP API (FastAPI). This first version carries the health endpoints the deployment needs;
the records, search and retention routes build on it."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from archive.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    from api.health import check_all
    from api.wiring import build_services, get_settings

    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = build_services(settings)
        if settings.repair.on_start:
            app.state.services.archive.repair(actor="software:luutru api start")
        try:
            yield
        finally:
            app.state.services.close()

    app = FastAPI(title="Lưu Trữ API", version="1", lifespan=lifespan,
                  description="API lưu trữ và tra cứu tài liệu điện tử — electronic archive and search.")

    @app.get("/api/v1/health", tags=["health"], summary="Liveness: the process answers")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/api/v1/ready", tags=["health"], summary="Readiness: every backend answers")
    def ready() -> JSONResponse:
        checks = check_all(app.state.services)
        ok = all(c["ok"] for c in checks.values())
        body = {"ready": ok, "checks": {name: c["ok"] for name, c in checks.items()}}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
