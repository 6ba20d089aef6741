"""Errors as RFC 9457 problem details (``application/problem+json``), in Vietnamese and English.

Every error body has ``type`` (``urn:luutru:problem:<code>``), ``title``, ``status``, ``detail``
(English), ``detail_vi`` (Vietnamese, for officials), ``code`` and ``instance`` (the path). Domain
errors are mapped here and only here (``archive.errors`` knows nothing of HTTP).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive.errors import ArchiveError
from archive.identifiers import AmbiguousReference

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

STATUS_BY_CODE = {
    "unauthenticated": 401,
    "forbidden": 403,
    "record_not_found": 404,
    "object_not_found": 404,
    "not_found": 404,
    "ambiguous_reference": 422,
    "account_invalid": 422,
    "invalid_metadata": 422,
    "invalid_dossier": 422,
    "dossier_closed": 409,
    "dossier_locked": 409,
    "filing_refused": 409,
    "invalid_request": 422,
    "retention_policy": 422,
    "disposal_workflow": 409,
    "minutes_not_issued": 503,  # the TSA did not answer: the destruction is done, destroy --resume issues them
    "object_locked": 409,
    "duplicate": 409,
    "conflict": 409,
    "version_conflict": 412,
    "too_large": 413,
    "rate_limited": 429,
    "timeout": 503,
    "index_unavailable": 503,
    "integrity_failed": 500,
    "nothing_to_export": 404,
    "package_invalid": 422,
}

TITLES = {400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed", 413: "Content too large",
          415: "Unsupported media type", 416: "Range not satisfiable", 422: "Invalid request",
          429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
          507: "Insufficient storage"}
VI = {400: "Yêu cầu không hợp lệ", 401: "Chưa đăng nhập hoặc phiên đăng nhập không hợp lệ",
      403: "Không có quyền thực hiện thao tác này", 404: "Không tìm thấy", 405: "Phương thức không được hỗ trợ",
      406: "Định dạng phản hồi không được hỗ trợ", 409: "Xung đột trạng thái",
      412: "Văn bản đã thay đổi so với phiên bản đã đọc", 413: "Dữ liệu gửi lên quá lớn",
      415: "Kiểu dữ liệu không được hỗ trợ", 416: "Khoảng dữ liệu yêu cầu không hợp lệ",
      422: "Dữ liệu yêu cầu không hợp lệ", 429: "Quá nhiều yêu cầu, vui lòng thử lại sau",
      500: "Lỗi hệ thống", 503: "Hệ thống tạm thời không phục vụ được",
      507: "Máy chủ hết dung lượng lưu trữ"}


class ApiProblem(Exception):
    """Raise from a route for an error that is not a domain error."""

    def __init__(self, status: int, detail: str, detail_vi: str, *, code: str | None = None,
                 headers: dict[str, str] | None = None, **extra):
        super().__init__(detail)
        self.status, self.detail, self.detail_vi = status, detail, detail_vi
        self.code = code or TITLES.get(status, "error").lower().replace(" ", "_")
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, *, detail: str, detail_vi: str, code: str, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    body = {"type": f"urn:luutru:problem:{code}", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "detail_vi": detail_vi, "code": code}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem):
        return problem(exc.status, detail=exc.detail, detail_vi=exc.detail_vi, code=exc.code,
                       instance=request.url.path, headers=exc.headers, **exc.extra)

    @app.exception_handler(ArchiveError)
    async def _archive_error(request: Request, exc: ArchiveError):
        status = STATUS_BY_CODE.get(exc.code, 400)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status >= 500:
            log.error("%s on %s: %s", exc.code, request.url.path, exc)
        extra = {"candidates": exc.candidates} if isinstance(exc, AmbiguousReference) else {}
        return problem(status, detail=str(exc), detail_vi=exc.message_vi, code=exc.code,
                       instance=request.url.path, headers=headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg"), "type": e.get("type")}
                  for e in exc.errors()]
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, detail=f"invalid request: {where}", detail_vi=f"Dữ liệu yêu cầu không hợp lệ: {where}",
                       code="invalid_request", instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(status, "Error")
        code = getattr(exc, "code", None) or TITLES.get(status, "error").lower().replace(" ", "_")
        return problem(status, detail=detail, detail_vi=getattr(exc, "detail_vi", None) or VI.get(status, detail),
                       code=code, instance=request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, detail="internal error; the incident is logged", detail_vi=VI[500] + "; sự cố đã được ghi nhận",
                       code="internal_error", instance=request.url.path)
