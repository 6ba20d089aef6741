"""Full-text search and more-like-this over HTTP (scope ``search``).

``GET /api/v1/search`` (query parameters) and ``POST /api/v1/search`` (the same as a JSON body) take
the parameters of ``luutru search --batch`` (``api/search_params.py``) and run the one query model
``SearchQuery`` on the configured backend. The search always runs as the caller's ``Principal``: the
backend applies the access rule inside the engine query, so hits, ``total``, facet counts, the
histogram, snippets and ``search_after`` paging only ever count records the caller may read.
``next_after`` is an opaque token; pass it back as ``search_after`` for the next page.

Every search is audited (``action="search"``, the query, the filters and the number of hits). A
search slower than ``api.request_timeout_seconds`` answers 503 (its thread finishes on its own).

``GET /api/v1/records/{id}/similar``: records like one the caller may read (404 otherwise, exactly as
for a missing record), trimmed the same way.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.deps import ServicesDep, page_size, readable_record, require
from api.http.problems import ApiProblem
from api.http.schemas import moved
from api.http.schemas import search as _schemas
from api.http.schemas.search import SearchRequest, SearchResults
from api.search_params import encode_after, query_from_dict
from search.query import QueryError

router = APIRouter(tags=["search"])

SearchCaller = Annotated[Caller, Depends(require("search"))]
RecordId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
Names = Annotated[list[str] | None, Query(max_length=20)]


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.search``; still importable here."""
    return moved(__name__, _schemas, name)


def _split(values: list[str] | None) -> list[str] | None:
    """Repeated parameters and comma-separated values alike (``facets=type,agency``)."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()] or None


def _params(req: SearchRequest) -> dict[str, Any]:
    d = req.model_dump(by_alias=True)
    for key in ("type", "agency", "signer", "dossier", "fonds", "signature_status", "access_level",
                "retention_status", "ocr_status"):
        d[key] = d[key] or None
    d["facets"] = _split(d["facets"])
    return d


def _hit(h) -> dict:
    return {"record_id": h.record_id, "score": round(h.score, 4) if math.isfinite(h.score) else 0.0,
            "so_ky_hieu": h.so_ky_hieu, "title": h.title, "date": h.date.isoformat() if h.date else None,
            "type": h.type_name, "agency": h.organ_name, "signer": h.signer_name, "snippet": h.snippet}


def _results(page) -> dict:
    return {"total": page.total, "hits": [_hit(h) for h in page.hits],
            "facets": {k: {v.value: v.count for v in vs} for k, vs in page.facets.items()},
            "histogram": {v.value: v.count for v in page.histogram}, "next_after": encode_after(page.next_after)}


def _backend(services):
    backend = services.search_backend
    if backend is None:
        raise ApiProblem(503, "no search backend is configured", "Chưa cấu hình chỉ mục tìm kiếm", code="timeout")
    return backend


async def _audit(services, caller: Caller, action: str, **kw) -> None:
    await run_in_threadpool(lambda: services.archive.audit_access(
        actor=caller.actor, client=caller.client, address=caller.address, action=action, **kw))


async def _in_time(services, caller: Caller, action: str, fn, *args):
    """Run the backend call in a worker thread, answering 503 after ``api.request_timeout_seconds``."""
    limit = services.settings.api.request_timeout_seconds
    try:
        with anyio.fail_after(limit):
            return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
    except TimeoutError:
        await _audit(services, caller, action, outcome="failure", detail={"error": "timeout", "seconds": limit})
        raise ApiProblem(503, f"the search took longer than {limit:g} s", f"Tìm kiếm quá {limit:g} giây; hãy thu hẹp "
                         "câu tìm hoặc thử lại sau", code="timeout", headers={"Retry-After": "5"}) from None


def _refused(exc: QueryError) -> ApiProblem:
    return ApiProblem(422, f"invalid search: {exc}", exc.message_vi, code=exc.code)


async def _search(services, caller: Caller, params: dict[str, Any]) -> dict:
    params["size"] = page_size(services, params.get("size") or 20)
    try:
        query = query_from_dict(params)
    except QueryError as exc:
        raise _refused(exc) from None
    except (ValueError, TypeError) as exc:
        raise ApiProblem(422, f"invalid search: {exc}", f"Câu tìm không hợp lệ: {exc}", code="invalid_request") from None
    try:  # the bounds on what the words expand to are checked when the backend compiles them
        page = await _in_time(services, caller, "search", _backend(services).search, query, caller.principal)
    except QueryError as exc:
        raise _refused(exc) from None
    filters = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()
               if k not in ("q", "search_after", "highlight", "size", "sort") and v}
    await _audit(services, caller, "search", detail={"q": query.q, "filters": filters or None, "sort": query.sort,
                                                     "paged": query.search_after is not None, "total": page.total,
                                                     "hits": len(page.hits)})
    return _results(page)


_RESPONSES: dict[int | str, dict[str, Any]] = {403: {"description": "The search scope is required"},
              422: {"description": "Invalid parameters (unknown facet, bad date, page larger than the limit…; "
                                   "code invalid_cursor: search_after is not a next_after; query_too_long, "
                                   "query_too_complex: beyond the bounds of docs/search.md)"},
              503: {"description": "The search took longer than LUUTRU_API__REQUEST_TIMEOUT_SECONDS"}}


@router.get("/api/v1/search", response_model=SearchResults, responses=_RESPONSES,
            summary="Tìm kiếm văn bản (có dấu hoặc không dấu) — full-text search")
async def search_get(
        services: ServicesDep, caller: SearchCaller,
        q: Annotated[str, Query(max_length=1000, description='Từ khóa: AND / OR / NOT, "cụm từ", số ký hiệu')] = "",
        type: Names = None, agency: Names = None, signer: Names = None,
        date_from: Annotated[date | None, Query(alias="from", description="Từ ngày (YYYY-MM-DD)")] = None,
        date_to: Annotated[date | None, Query(alias="to", description="Đến ngày (YYYY-MM-DD)")] = None,
        year_from: Annotated[int | None, Query(ge=1, le=9999)] = None,
        year_to: Annotated[int | None, Query(ge=1, le=9999)] = None,
        dossier: Annotated[list[str] | None, Query(max_length=50)] = None,
        fonds: Annotated[list[str] | None, Query(max_length=50)] = None,
        signature_status: Annotated[list[str] | None, Query(max_length=5)] = None,
        access_level: Annotated[list[str] | None, Query(max_length=4)] = None,
        retention_status: Annotated[list[str] | None, Query(max_length=3)] = None,
        ocr_status: Annotated[list[str] | None, Query(max_length=5, description="none, done, low_confidence, "
                                                                                "pending, missing")] = None,
        facets: Annotated[list[str] | None, Query(max_length=9, description="type, agency, signer, year, "
                          "access_level, signature_status, retention_status, fonds, dossier (repeat or comma)")] = None,
        histogram: Annotated[Literal["year", "month"] | None, Query()] = None,
        sort: Annotated[Literal["relevance", "date_desc", "date_asc"], Query()] = "relevance",
        size: Annotated[int, Query(ge=1, description="Số kết quả mỗi trang")] = 20,
        search_after: Annotated[str | None, Query(max_length=2000, description="next_after of the previous page")] = None,
        highlight: bool = True) -> dict:
    try:  # the query parameters are the body's fields: one validation, one set of limits
        req = SearchRequest(q=q, type=type, agency=agency, signer=signer, date_from=date_from, date_to=date_to,
                            year_from=year_from, year_to=year_to, dossier=dossier, fonds=fonds,
                            signature_status=signature_status, access_level=access_level,
                            retention_status=retention_status, ocr_status=ocr_status, facets=facets,
                            histogram=histogram, sort=sort,
                            size=size, search_after=search_after, highlight=highlight)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e.get("loc", ()))} for e in exc.errors()]) from None
    return await _search(services, caller, _params(req))


@router.post("/api/v1/search", response_model=SearchResults, responses=_RESPONSES,
             summary="Tìm kiếm văn bản (thân JSON) — full-text search, parameters as a JSON body")
async def search_post(body: SearchRequest, services: ServicesDep, caller: SearchCaller) -> dict:
    return await _search(services, caller, _params(body))


@router.get("/api/v1/records/{record_id}/similar", response_model=SearchResults, tags=["records"],
            summary="Văn bản tương tự — more like this",
            responses={404: {"description": "No such record, or not readable by the caller"}, **_RESPONSES})
async def similar(record_id: RecordId, services: ServicesDep, caller: SearchCaller,
                  size: Annotated[int, Query(ge=1, description="Số kết quả")] = 10) -> dict:
    size = page_size(services, size)
    await run_in_threadpool(readable_record, services, caller, record_id, action="search.similar")
    page = await _in_time(services, caller, "search.similar",
                          lambda: _backend(services).more_like_this(record_id, caller.principal, size=size))
    await _audit(services, caller, "search.similar", target_type="record", target_id=record_id,
                 detail={"total": page.total, "hits": len(page.hits)})
    return _results(page)
