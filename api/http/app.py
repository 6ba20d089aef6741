"""The HTTP API (FastAPI): ``create_app(settings)`` builds the app; ``luutru serve`` runs it.

Routes live in ``api/http/routes/`` (one module per resource, listed in ``api.http.routes.ROUTERS``); the
composition (services, error mapping, limits, metrics) is here. Everything under ``/api/v1`` and
``/oai`` requires a bearer token, except logging in.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.http.problems import MEDIA_TYPE, TITLES, VI
from archive.settings import Settings

UPLOAD_PATHS = ("/api/v1/records", "/deposit", "/api/v1/imports/packages", "/api/v1/imports/edxml")
"""POST to these paths carries files (``/deposit``: the web application's form): limited by
``extract.max_file_size``, not ``api.max_body_bytes``; the file's own limit is applied while it is
spooled (``api/http/uploads.py``: ``edxml.max_message_size`` for an edXML message)."""


class _TooLarge(StarletteHTTPException):
    """Raised from the body stream past the limit. An HTTPException, because FastAPI turns any other
    exception raised while it reads a JSON body into "400 error parsing the body" (a chunked JSON
    body over the limit answered 400, not 413)."""

    code = "too_large"

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")
        self.detail_vi = f"{VI[413]} (tối đa {limit} byte)"


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413 — from Content-Length before reading, or while
    streaming when the length is not declared — so an oversized upload never fills memory or disk."""

    def __init__(self, app, *, default: int, upload: int):
        self.app, self.default, self.upload = app, default, upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        limit = self.upload if scope["path"].rstrip("/") in UPLOAD_PATHS else self.default
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _send_413(send, limit, scope["path"])
        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send, limit, scope["path"])


async def _send_413(send, limit: int, path: str) -> None:
    import json

    body = json.dumps({"type": "urn:luutru:problem:too_large", "title": TITLES[413], "status": 413,
                       "detail": f"request body larger than {limit} bytes",
                       "detail_vi": f"{VI[413]} (tối đa {limit} byte)", "code": "too_large", "instance": path},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class MetricsMiddleware:
    """Prometheus request counters and latency by route template (never by raw path: ids would
    explode the label set)."""

    def __init__(self, app, *, metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500
        started = time.perf_counter()

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics["requests"].labels(scope["method"], template, str(status)).inc()
            self.metrics["latency"].labels(scope["method"], template).observe(time.perf_counter() - started)


def _metrics():
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    return {
        "registry": registry,
        "requests": Counter("luutru_http_requests_total", "HTTP requests", ["method", "route", "status"],
                            registry=registry),
        "latency": Histogram("luutru_http_request_seconds", "HTTP request latency", ["method", "route"],
                             registry=registry,
                             buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)),
    }


def _remove_stale_uploads(settings: Settings, older_than: float = 24 * 3600) -> None:
    """Spool files of uploads cut off by a crash (the ingest never started or never finished: the
    client got no 201 and will send again). Only old ones: another API process may be receiving."""
    folder = settings.data_dir / "uploads"
    if not folder.is_dir():
        return
    cutoff = time.time() - older_than
    for path in folder.glob("upload-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


PROBLEM_SCHEMA = {
    "title": "Problem", "type": "object", "additionalProperties": True,
    "description": "RFC 9457 problem details; `detail` in English, `detail_vi` in Vietnamese (api/http/problems.py)",
    "required": ["type", "title", "status", "detail", "detail_vi", "code"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "detail_vi": {"type": "string"}, "code": {"type": "string"},
                   "instance": {"type": "string"}},
}
ERROR_DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "No valid bearer token (`WWW-Authenticate: Bearer`)",
    403: "The caller's role or client scope does not allow this",
    413: "Request body over the limit",
    422: "Invalid parameters or body",
    429: "Rate limit exceeded (`Retry-After`)",
    503: "Over the time limit or a service unavailable",
}


def _describe_errors(app: FastAPI) -> None:
    """Complete the generated OpenAPI description with what every route may answer: the errors of
    authentication, authorisation, limits and validation, all as ``application/problem+json``
    ``Problem`` bodies (FastAPI would document 422 as its own JSON shape, which the API never sends)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, tags=app.openapi_tags)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        settings = getattr(app.state, "settings", None)
        oai_open = settings is not None and settings.api.oai_public
        for path, methods in schema.get("paths", {}).items():
            for method, op in methods.items():
                if oai_open and path.startswith("/oai") and op.get("security"):
                    op["security"] = [{}, *op["security"]]  # api.oai_public: a token is not needed
                responses = op.setdefault("responses", {})
                codes = [400, 422, 429, 503]
                if op.get("security"):
                    codes += [401, 403]
                if method in ("post", "put", "patch"):
                    codes.append(413)
                for code in codes:
                    responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code]})
                for code, response in responses.items():
                    if code[0] not in "45":
                        continue
                    content = response.get("content")
                    if not content or "HTTPValidationError" in str(content):
                        response["content"] = dict(ref)
                    else:  # a route's own error body (e.g. the ingest outcome of a rejected upload)
                        content.update(ref)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def create_app(settings: Settings | None = None, *, services=None) -> FastAPI:
    """The API for these settings. ``services`` lets a caller (tests, ``luutru serve``) hand over
    services it already built; otherwise the lifespan builds them and closes them at shutdown."""
    from api import web
    from api.http import problems
    from api.http.deps import RateLimiter, reject_unknown_query
    from api.http.routes import ROUTERS
    from api.wiring import build_services, get_settings

    settings = settings or (services.settings if services is not None else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own = services is None
        app.state.services = services if services is not None else build_services(settings)
        if own and settings.repair.on_start:  # in a thread: it anchors the audit log (pyHanko runs its own loop)
            await anyio.to_thread.run_sync(lambda: app.state.services.archive.repair(actor="software:luutru api start"))
        _remove_stale_uploads(settings)
        from api.http.auth_audit import AuthFailureAudit
        from api.http.login_guard import LoginGuard

        app.state.login_guard = LoginGuard.from_services(app.state.services)
        app.state.auth_failures = AuthFailureAudit.from_services(app.state.services)
        async with anyio.create_task_group() as background:
            background.start_soon(app.state.auth_failures.run)
            interval = settings.tasks.inline_interval_seconds
            if settings.tasks.backend == "inline" and interval > 0:
                from api.scheduler import Scheduler, embedded_jobs

                app.state.scheduler = Scheduler(embedded_jobs(app.state.services, interval), interval)
                background.start_soon(app.state.scheduler.run)
            try:
                yield
            finally:
                background.cancel_scope.cancel()
                app.state.auth_failures.flush(force=True)
                if own:
                    app.state.services.close()

    app = FastAPI(
        title="Lưu Trữ API", version="1.0.0", lifespan=lifespan, dependencies=[Depends(reject_unknown_query)],
        docs_url=None, redoc_url=None,  # /docs is the web application's, offline (api/web/docs.py)
        description=("API lưu trữ và tra cứu tài liệu điện tử — electronic archive and search for Vietnamese "
                     "government agencies. Xác thực: `Authorization: Bearer <mã>` — phiên đăng nhập của người "
                     "dùng (`POST /api/v1/auth/login`) hoặc mã truy cập của hệ thống kết nối (`luutru clients add`). "
                     "Lỗi theo RFC 9457 (`application/problem+json`) với `detail` (tiếng Anh) và `detail_vi`."),
        openapi_tags=[{"name": t, "description": d} for t, d in (
            ("auth", "Đăng nhập, phiên, xác thực hai lớp — login, sessions, TOTP"),
            ("records", "Văn bản: siêu dữ liệu, sự kiện, chữ ký số, tệp — records, events, signatures, content"),
            ("deposit", "Nộp lưu — upload"),
            ("collections", "Hồ sơ và phông — dossiers and fonds"),
            ("search", "Tìm kiếm — search"),
            ("retention", "Thời hạn bảo quản, phong tỏa, hủy tài liệu — retention, holds, disposal"),
            ("audit", "Nhật ký hệ thống — audit log"),
            ("webhooks", "Thông báo sự kiện — webhooks"),
            ("admin", "Quản trị tài khoản — users and API clients"),
            ("oai", "OAI-PMH 2.0"),
            ("system", "Tình trạng hệ thống — health, readiness, metrics"))],
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter()
    app.state.metrics = _metrics()
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app)
    _describe_errors(app)
    app.add_middleware(BodyLimitMiddleware, default=settings.api.max_body_bytes, upload=settings.extract.max_file_size)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
