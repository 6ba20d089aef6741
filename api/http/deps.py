"""FastAPI dependencies: the services, the authenticated caller, scope checks, record access.

Every route except ``POST /api/v1/auth/login``, the liveness probe ``/api/v1/health`` and ``/oai``
(unless ``api.oai_public`` is turned off) depends on
``CallerDep``: a bearer token — a person's session or a system client's token — is required, and
failed authentications are written to the audit log (the first of each address and minute in
full, then a summary with the count: ``api/http/auth_audit.py``). ``require(scope)`` refuses a caller
without the scope (403). ``readable_record`` answers 404 for a record the caller may not read,
exactly as for one that does not exist, so its existence does not leak.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import AuthError, Caller, Forbidden
from api.http.problems import ApiProblem
from api.wiring import Services
from archive import access, identifiers
from archive.catalogue.models import Record
from archive.errors import RecordNotFound

bearer = HTTPBearer(auto_error=False, description="Phiên đăng nhập (lts_…) hoặc mã truy cập của hệ thống (ltc_…)")


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


class RateLimiter:
    """Token bucket per caller, per process: ``limit`` requests a minute, bursts up to ``limit``.

    In scale-out each API replica keeps its own buckets; the limit protects a replica and the
    services behind it from one runaway client (a shared limit belongs in the reverse proxy)."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: int) -> float | None:
        """None when allowed; otherwise the seconds to wait."""
        if limit <= 0:
            return None
        rate = limit / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(limit), now))
            tokens = min(float(limit), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            return None


def get_caller(request: Request, services: ServicesDep,
               creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    address = client_address(request)
    try:
        if creds is None or creds.scheme.lower() != "bearer":
            raise AuthError("a bearer token is required", "Cần đăng nhập (thiếu mã truy cập Bearer)")
        caller = services.accounts.authenticate(creds.credentials, address=address)
    except AuthError:
        # One entry per address and window, not one per request (api/http/auth_audit.py)
        request.app.state.auth_failures.record("auth.token", address,
                                               detail={"path": request.url.path, "method": request.method},
                                               tally={"path": request.url.path[:200]})
        raise
    limit = caller.rate_limit if caller.rate_limit is not None else services.settings.api.rate_limit_per_minute
    wait = request.app.state.rate_limiter.take(f"{caller.kind}:{caller.id}", limit)
    if wait is not None:
        raise ApiProblem(429, f"rate limit of {limit} requests a minute exceeded",
                         f"Vượt giới hạn {limit} yêu cầu mỗi phút; thử lại sau {wait:.0f} giây",
                         code="rate_limited", headers={"Retry-After": str(max(1, round(wait)))})
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]

SCOPE_VI = {"read": "đọc tài liệu", "deposit": "nộp lưu tài liệu", "search": "tìm kiếm",
            "retention": "quản lý thời hạn bảo quản và hủy tài liệu", "council": "biểu quyết của Hội đồng",
            "audit": "xem nhật ký hệ thống", "metrics": "xem số liệu vận hành", "admin": "quản trị",
            "oai": "thu thập siêu dữ liệu OAI-PMH"}


def require(scope: str):
    """A dependency: the caller must hold ``scope`` (administrators hold every scope)."""

    def check(caller: CallerDep, services: ServicesDep, request: Request) -> Caller:
        if not caller.has(scope):
            services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                          action="auth.scope", outcome="denied",
                                          detail={"scope": scope, "path": request.url.path})
            raise Forbidden(f"the {scope!r} scope is required", f"Không có quyền {SCOPE_VI.get(scope, scope)}")
        return caller

    check.__name__ = f"require_{scope}"
    return check


ReadCaller = Annotated[Caller, Depends(require("read"))]
"""The caller of a route that reads the holdings (``read`` scope)."""
DepositCaller = Annotated[Caller, Depends(require("deposit"))]
"""The caller of a route that deposits or describes records and dossiers (``deposit`` scope)."""


def readable_record(services: Services, caller: Caller, record_id: str, *, action: str) -> Record:
    """The record ``record_id`` names (its id, a unique id prefix or its số và ký hiệu,
    ``archive.identifiers``) if the caller may read it; otherwise ``RecordNotFound`` — the same
    answer as for a missing record — with the denial audited. Routes use the returned record's
    ``id`` from then on. A số ký hiệu shared by several readable records is an
    ``AmbiguousReference`` listing only records the caller may read."""
    with services.catalogue.session() as s:
        rows = identifiers.matches(s, "record", record_id)
        for rec in rows:
            s.expunge(rec)

    # A destroyed record's tombstone is shown to archivists (retention scope) only.
    readable = [r for r in rows if access.record_readable(caller.principal, r, see_disposed=caller.has("retention"))]
    if not readable:
        services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address, action=action,
                                      target_type="record", target_id=record_id[:64],
                                      outcome="denied" if rows else "not_found")
        raise RecordNotFound(f"no record {record_id}", f"Không tìm thấy văn bản {record_id}")
    return identifiers.pick("record", record_id, readable)


def page_size(services: Services, size: int) -> int:
    limit = services.settings.api.max_page_size
    if size > limit:
        raise ApiProblem(422, f"size may be at most {limit}", f"Mỗi trang tối đa {limit} kết quả", code="invalid_request")
    return size


def _query_names(dependant) -> frozenset[str]:
    names = {f.alias for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


OWN_QUERY_PATHS = ("/oai",)
"""Routes that read their query themselves (OAI-PMH answers an unknown argument with badArgument);
so do the web pages (``api.web.render.WebRoute``: a search URL with a stray parameter still opens)."""


def reject_unknown_query(request: Request) -> None:
    """An app-wide dependency: a query parameter the route does not declare is refused with 422,
    so a misspelt filter (``?typ=…``) never silently returns everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or request.url.path in OWN_QUERY_PATHS or getattr(route, "luutru_own_query", False):
        return
    assert route is not None  # it has a dependant
    allowed = getattr(route, "luutru_query_names", None)
    if allowed is None:
        allowed = route.luutru_query_names = _query_names(dependant)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        names = ", ".join(unknown[:5])
        known = ", ".join(sorted(allowed)) or "-"
        raise ApiProblem(422, f"unknown query parameter(s): {names} (accepted: {known})",
                         f"Tham số không hợp lệ: {names} (các tham số được dùng: {known})", code="invalid_request")
