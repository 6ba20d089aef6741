"""Metadata correction from the browser (the ``deposit`` scope), and the history on the record page.

The form shows the record's descriptive fields (``archive.corrections.EDITABLE`` but the list of
recipients) as they are; what is sent back is compared with them and only the fields that changed
go, with the reason, to the API's own correction (``api.http.routes.corrections._edit``: the same
checks, the same ``If-Match`` version guard — a correction made by someone else meanwhile is
refused, nothing stored — the same audit, index and retention updates).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.problems import ApiProblem
from api.web.actions import need
from api.web.pages import NotFoundPage, PageCaller, RecordRef, _record_or_404
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.access import ACCESS_LEVELS
from archive.errors import ArchiveError, RecordNotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _fields() -> list[tuple[str, object]]:
    from archive.corrections import EDITABLE

    return [(name, spec) for name, spec in EDITABLE.items() if spec.kind != "recipients"]


def _shown(value) -> str:
    return "" if value is None else str(value)


def _context(services, caller: Caller, ref: str) -> dict:
    rec = _record_or_404(services, caller, ref, "record.edit")
    data = services.archive.get_record(rec.id, actor=caller.actor, audit_access=False)
    levels = [lv for lv in ACCESS_LEVELS
              if caller.principal.unrestricted or lv in caller.principal.access_levels]
    return {"record": data, "fields": _fields(), "values": {n: _shown(data.get(n)) for n, _ in _fields()},
            "levels": levels, "error": None, "reason": ""}


@router.get("/records/{ref}/edit")
async def edit_page(request: Request, ref: RecordRef, caller: PageCaller) -> Response:
    services = request.app.state.services
    need(caller, "deposit")
    return render(request, "edit.html", await run_in_threadpool(_context, services, caller, ref))


@router.post("/records/{ref}/edit", dependencies=[Depends(check_csrf)])
async def edit(request: Request, ref: RecordRef, caller: PageCaller) -> Response:
    from api.http.routes.corrections import _edit

    services = request.app.state.services
    need(caller, "deposit")
    ctx = await run_in_threadpool(_context, services, caller, ref)
    form = await request.form()
    sent = {n: str(form.get(n) or "").strip() for n, _ in _fields()}
    reason = str(form.get("reason") or "").strip()
    version = str(form.get("version") or "")
    current = ctx["values"]
    body = {n: (v or None) for n, v in sent.items() if v != current[n]}
    ctx = {**ctx, "values": sent, "reason": reason}
    try:
        if not body:
            raise ApiProblem(422, "nothing changed", "Chưa có trường nào được sửa", code="invalid_request")
        if not reason:
            raise ApiProblem(422, "a reason is required", "Cần ghi lý do sửa", code="invalid_request")
        if not version.isdigit():
            raise ApiProblem(422, "no version", "Biểu mẫu thiếu phiên bản; hãy tải lại trang", code="invalid_request")
        await run_in_threadpool(_edit, services, caller, ctx["record"]["id"], {**body, "reason": reason},
                                f'"v{version}"')
    except RecordNotFound:
        raise NotFoundPage() from None
    except ApiProblem as exc:  # 412: corrected by someone else since the form was opened
        return render(request, "edit.html", {**ctx, "error": exc.detail_vi}, status=exc.status)
    except ArchiveError as exc:  # invalid values (422), a level one does not read (403), destroyed (409)
        from api.http.problems import STATUS_BY_CODE

        return render(request, "edit.html", {**ctx, "error": exc.message_vi},
                      status=STATUS_BY_CODE.get(exc.code, 422))
    return RedirectResponse(f"/records/{ctx['record']['id']}#corrections", status_code=303)


def history(services, caller: Caller, record_id: str) -> list[dict]:
    """The corrections of a record as the API's ``GET …/history`` gives them to this caller."""
    from api.http.routes.corrections import get_history

    try:
        return get_history(record_id, services, caller)
    except RecordNotFound:
        return []
