"""The holdings browser: fonds → year → dossier, and filing unfiled records into a dossier.

Every view calls the route functions of the HTTP API (``api.http.routes.collections``: ``list_fonds``,
``list_dossiers``, ``get_dossier``, ``dossier_records``; ``api.http.routes.dossier_changes.file_records``)
with the signed-in person as the caller, so visibility (a fonds or dossier one may not see is the
same 404 as a missing one), the fonds limit on changes, the dossier's state (closed, in a disposal
batch) and the audit are exactly the API's. Filing needs the ``deposit`` scope and a reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.problems import ApiProblem
from api.web.actions import Listing, list_download, need
from api.web.numbers import int_in
from api.web.pages import NotFoundPage, PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.errors import ArchiveError, RecordNotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Ref = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9.-]+$")]
UNFILED_SHOWN = 50


def _call(fn, *args, **kw):
    """An API route function; its 404 (invisible or missing) becomes the one 404 page."""
    try:
        return fn(*args, **kw)
    except RecordNotFound:
        raise NotFoundPage() from None


@router.get("/holdings")
async def fonds_list(request: Request, caller: PageCaller) -> Response:
    from api.http.routes.collections import list_fonds

    services = request.app.state.services
    need(caller, "read")
    size = services.settings.api.max_page_size
    page = await run_in_threadpool(_call, list_fonds, services, caller, 1, size)
    return render(request, "holdings.html", {"fonds_page": page})


def _years(services, caller: Caller, fonds_id: str) -> list[tuple[int, int]]:
    from api.http.routes.collections import visible_dossiers
    from archive.catalogue.models import Dossier

    with services.catalogue.session() as s:
        return [(int(y), int(n)) for y, n in s.execute(
            sa.select(Dossier.year, sa.func.count()).where(Dossier.fonds_id == fonds_id, visible_dossiers(caller))
            .group_by(Dossier.year).order_by(Dossier.year.desc())).all()]


@router.get("/holdings/{fonds_ref}")
async def fonds_page(request: Request, fonds_ref: Ref, caller: PageCaller) -> Response:
    from api.http.routes.collections import get_fonds, list_dossiers

    services = request.app.state.services
    need(caller, "read")
    fonds = await run_in_threadpool(_call, get_fonds, fonds_ref, services, caller)
    years = await run_in_threadpool(_years, services, caller, fonds["id"])
    raw = request.query_params.get("year", "")
    year = int_in(raw, 1000, 9999) or (years[0][0] if years else None)
    dossiers = None
    if year is not None:
        dossiers = await run_in_threadpool(_call, list_dossiers, services, caller, fonds=fonds["id"], year=year, q=None,
                                           status=None, page=_page(request), size=services.settings.api.max_page_size)
    return render(request, "fonds.html", {"fonds": fonds, "years": years, "year": year, "dossiers": dossiers})


def _unfiled(services, caller: Caller) -> list[dict]:
    from api.http.routes.collections import readable_records
    from archive.catalogue.models import Record

    with services.catalogue.session() as s:
        rows = s.execute(sa.select(Record).where(Record.dossier_id.is_(None), Record.status == "active",
                                                 readable_records(caller))
                         .order_by(Record.created_at.desc()).limit(UNFILED_SHOWN)).scalars().all()
        return [{"id": r.id, "so_ky_hieu": r.so_ky_hieu, "subject": r.subject, "type_name": r.type_name,
                 "issued_date": r.issued_date.isoformat() if r.issued_date else None} for r in rows]


def _page(request: Request) -> int:
    """``?page=N`` (1 when absent or not a page number)."""
    return int_in(request.query_params.get("page"), 1, 100_000) or 1


async def _dossier_context(services, caller: Caller, ref: str, page: int = 1) -> dict:
    from api.http.routes.collections import dossier_records, get_dossier

    dossier = await run_in_threadpool(_call, get_dossier, ref, services, caller)
    records = await run_in_threadpool(_call, dossier_records, dossier["id"], services, caller, page,
                                      services.settings.api.max_page_size)
    may_file = caller.has("deposit") and dossier["status"] == "open"
    unfiled = await run_in_threadpool(_unfiled, services, caller) if may_file else []
    return {"dossier": dossier, "records": records, "may_file": may_file, "unfiled": unfiled,
            "error": None, "filed": None, "reason": ""}


@router.get("/dossiers/{ref}")
async def dossier_page(request: Request, ref: Ref, caller: PageCaller) -> Response:
    services = request.app.state.services
    need(caller, "read")
    return render(request, "dossier.html", await _dossier_context(services, caller, ref, _page(request)))


@router.get("/dossiers/{ref}/muc-luc.{fmt}")
async def dossier_listing(request: Request, ref: Ref, fmt: str, caller: PageCaller) -> Response:
    """Mục lục văn bản of the dossier (``archive.dossier_listing.rows``): every document the person
    may read, in the dossier's order, with the dossier's heading in XLSX; a dossier they may not see
    is the one 404. Audited as ``dossier.listing`` with the format and the number of lines."""
    from api.http.routes.collections import _audit, _see_disposed, visible_dossier
    from archive import dossier_listing
    from archive.dossier_state import VN_TZ

    need(caller, "read")
    services = request.app.state.services

    def build() -> Listing:
        d = _call(visible_dossier, services, caller, ref, action="dossier.listing")
        with services.catalogue.session() as s:
            items = dossier_listing.rows(s, caller.principal, d.id, see_disposed=_see_disposed(caller))
        _audit(services, caller, "dossier.listing", target_type="dossier", target_id=d.id, format=fmt,
               total=len(items), web=True)
        return (dossier_listing.COLUMNS, dossier_listing.WIDTHS, items,
                dossier_listing.heading(d, len(items), datetime.now(VN_TZ)), "Mục lục văn bản",
                f"muc-luc-van-ban-{d.code}")

    return await list_download(fmt, build)


@router.get("/holdings/{fonds_ref}/muc-luc-ho-so.{fmt}")
async def fonds_listing(request: Request, fonds_ref: Ref, fmt: str, caller: PageCaller) -> Response:
    """Mục lục hồ sơ of the fonds' dossiers of ``?year=`` (``archive.dossier_listing.dossier_rows``):
    the dossiers the person may see, by code, with the fonds and year in XLSX; a fonds they may not
    see, or no year, is the one 404. Audited as ``fonds.listing`` with the year, format and lines."""
    from api.http.routes.collections import _audit, _see_disposed, visible_fonds_row
    from archive import dossier_listing
    from archive.dossier_state import VN_TZ

    need(caller, "read")
    services = request.app.state.services
    year = int_in(request.query_params.get("year"), 1000, 9999)
    if year is None:
        raise NotFoundPage()

    def build() -> Listing:
        f = _call(visible_fonds_row, services, caller, fonds_ref, action="fonds.listing")
        with services.catalogue.session() as s:
            items = dossier_listing.dossier_rows(s, caller.principal, f.id, year, see_disposed=_see_disposed(caller))
        _audit(services, caller, "fonds.listing", target_type="fonds", target_id=f.id, year=year, format=fmt,
               total=len(items), web=True)
        return (dossier_listing.DOSSIER_COLUMNS, dossier_listing.DOSSIER_WIDTHS, items,
                dossier_listing.dossier_heading(f, year, len(items), datetime.now(VN_TZ)), "Mục lục hồ sơ",
                f"muc-luc-ho-so-{f.organ_id}-{year}")

    return await list_download(fmt, build)


@router.post("/dossiers/{ref}/file", dependencies=[Depends(check_csrf)])
async def file_into(request: Request, ref: Ref, caller: PageCaller) -> Response:
    """Lập hồ sơ: the records ticked, with the reason; all or nothing (the API's rule)."""
    from api.http.routes.dossier_changes import FileRequest, file_records

    services = request.app.state.services
    need(caller, "read")
    ctx = await _dossier_context(services, caller, ref)
    form = await request.form()
    chosen = [str(v) for v in form.getlist("records")]
    reason = str(form.get("reason") or "").strip()
    ctx["reason"] = reason
    try:
        if not caller.has("deposit"):
            raise ApiProblem(403, "the deposit scope is required", "Tài khoản của bạn không có quyền lập hồ sơ",
                             code="forbidden")
        if not chosen:
            raise ApiProblem(422, "no record chosen", "Chưa chọn văn bản nào", code="invalid_request")
        if not reason:
            raise ApiProblem(422, "a reason is required", "Cần ghi lý do lập hồ sơ", code="invalid_request")
        body = FileRequest(records=chosen, reason=reason)
        await run_in_threadpool(file_records, ctx["dossier"]["id"], body, services, caller)
    except ValidationError:
        return render(request, "dossier.html", {**ctx, "error": "Lựa chọn không hợp lệ"}, status=422)
    except ApiProblem as exc:
        return render(request, "dossier.html", {**ctx, "error": exc.detail_vi}, status=exc.status)
    except RecordNotFound:
        return render(request, "dossier.html", {**ctx, "error": "Không tìm thấy văn bản đã chọn"}, status=404)
    except ArchiveError as exc:  # closed, locked, refused by the kernel
        return render(request, "dossier.html", {**ctx, "error": exc.message_vi}, status=409)
    return RedirectResponse(f"/dossiers/{ctx['dossier']['id']}?filed={len(chosen)}", status_code=303)
