"""Fonds and dossiers from the browser (archivists: the ``deposit`` scope): create and edit a fonds,
create, edit, close and reopen a dossier.

Every form calls the route function of the HTTP API that does the same thing
(``api.http.routes.collections.create_fonds``, ``edit_fonds``, ``create_dossier``; ``api.http.routes.dossier_changes
.edit_dossier``, ``close_dossier``, ``reopen_dossier``) with the signed-in person as the caller, so
the rules are the API's: Decree 30 Phụ lục VI checks of ``archive.dossier_fields`` (every problem at
once, shown next to its field in Vietnamese), the fonds limit, the dossier's state (closed,
destroyed, in a disposal batch), the audit. A dossier one may not see is the one 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.problems import ApiProblem
from api.web.actions import need
from api.web.pages import NotFoundPage, PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.dossier_fields import ACCESS_REGIMES, InvalidDossier
from archive.errors import ArchiveError, RecordNotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Ref = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9.-]+$")]

FONDS_FIELDS = ("organ_id", "name", "superior_name", "place", "description")
DOSSIER_FIELDS = ("year", "notation", "catalogue_number", "title", "start_date", "end_date", "access_regime",
                  "creator", "sheet_total", "language", "description")
"""The dossier form's fields, in the order of Phụ lục VI (the fonds gives the agency code)."""
OPTIONAL = {"catalogue_number", "start_date", "end_date", "creator", "sheet_total", "description"}
INT_FIELDS = {"year", "sheet_total"}
PYDANTIC_VI = {"int_parsing": "phải là số", "date_from_datetime_parsing": "không phải ngày (dạng dd/mm/yyyy)",
               "date_parsing": "không phải ngày (dạng dd/mm/yyyy)", "string_too_long": "quá dài",
               "string_too_short": "không được để trống", "string_pattern_mismatch": "không đúng dạng",
               "greater_than_equal": "không được âm", "literal_error": "không phải giá trị được chọn",
               "missing": "không được để trống", "date_from_datetime_inexact": "không phải ngày (dạng dd/mm/yyyy)"}


def _forbidden() -> ApiProblem:
    return ApiProblem(403, "the deposit scope is required", "Tài khoản của bạn không được lập hay sửa hồ sơ",
                      code="forbidden")


def field_errors(exc: Exception, labels: dict[str, str] | None = None) -> tuple[dict[str, str], str | None]:
    """The problems of a refused form: field → Vietnamese message (shown next to the field), and
    a message for the page when a problem has no field of the form."""
    from archive.dossier_fields import LABELS

    labels = labels or LABELS
    if isinstance(exc, InvalidDossier):
        out: dict[str, str] = {}
        for p in exc.problems:
            out[p.field] = (out[p.field] + "; " if p.field in out else "") + p.message_vi
        return out, None
    if isinstance(exc, ValidationError):
        out = {}
        for e in exc.errors():
            name = str(e["loc"][-1]) if e["loc"] else ""
            words = PYDANTIC_VI.get(e["type"], "không hợp lệ")
            out[name] = f"{labels.get(name, name)}: {words}"
        return out, None
    return {}, getattr(exc, "detail_vi", None) or getattr(exc, "message_vi", None) or str(exc)


def _call(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except RecordNotFound:
        raise NotFoundPage() from None


def _status(exc: Exception) -> int:
    from api.http.problems import STATUS_BY_CODE

    if isinstance(exc, ApiProblem):
        return exc.status
    if isinstance(exc, ValidationError):
        return 422
    return STATUS_BY_CODE.get(getattr(exc, "code", ""), 422)


# fonds -------------------------------------------------------------------------------------------

def _fonds_labels() -> dict[str, str]:
    return {"organ_id": "Mã định danh cơ quan", "name": "Tên phông", "superior_name": "Cơ quan chủ quản",
            "place": "Địa danh", "description": "Ghi chú", "reason": "Lý do sửa"}


@router.get("/collections/fonds/new")
async def new_fonds_page(request: Request, caller: PageCaller) -> Response:
    need(caller, "deposit")
    return render(request, "fonds_form.html", {"values": {}, "errors": {}, "error": None})


@router.post("/collections/fonds/new", dependencies=[Depends(check_csrf)])
async def new_fonds(request: Request, caller: PageCaller) -> Response:
    from api.http.routes.collections import FondsCreate, create_fonds

    services = request.app.state.services
    need(caller, "deposit")
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in FONDS_FIELDS}
    try:
        body = FondsCreate(**{k: v for k, v in values.items() if v or k in ("organ_id", "name")})
        out = await run_in_threadpool(create_fonds, body, services, caller)
    except (ValidationError, ApiProblem, ArchiveError) as exc:
        errors, error = field_errors(exc, _fonds_labels())
        if "organ_id" in errors:
            errors["organ_id"] = "Mã định danh cơ quan phải có dạng 000.00.00.H26"
        return render(request, "fonds_form.html", {"values": values, "errors": errors, "error": error},
                      status=_status(exc))
    return RedirectResponse(f"/holdings/{out['id']}", status_code=303)


async def _fonds(services, caller: Caller, ref: str) -> dict:
    from api.http.routes.collections import get_fonds

    return await run_in_threadpool(_call, get_fonds, ref, services, caller)


def _fonds_form(f: dict, **extra) -> dict:
    return {"fonds": f, "values": {k: f.get(k) or "" for k in FONDS_FIELDS}, "errors": {}, "error": None,
            "reason": "", **extra}


@router.get("/collections/fonds/{ref}/edit")
async def edit_fonds_page(request: Request, ref: Ref, caller: PageCaller) -> Response:
    services = request.app.state.services
    need(caller, "deposit")
    f = await _fonds(services, caller, ref)
    return render(request, "fonds_form.html", _fonds_form(f))


@router.post("/collections/fonds/{ref}/edit", dependencies=[Depends(check_csrf)])
async def edit_fonds(request: Request, ref: Ref, caller: PageCaller) -> Response:
    """Only the fields that changed go to the API's ``PATCH /api/v1/fonds/{id}``, with the reason;
    the agency code is shown, never sent."""
    from api.http.routes.collections import FondsUpdate
    from api.http.routes.collections import edit_fonds as api_edit

    services = request.app.state.services
    need(caller, "deposit")
    f = await _fonds(services, caller, ref)
    form = await request.form()
    sent = {k: str(form.get(k) or "").strip() for k in FONDS_FIELDS if k != "organ_id"}
    reason = str(form.get("reason") or "").strip()
    changed = {k: v or None for k, v in sent.items() if v != (f.get(k) or "")}
    try:
        if not changed:
            raise ApiProblem(422, "nothing changed", "Chưa có trường nào được sửa", code="invalid_request")
        body = FondsUpdate(**changed, reason=reason or None)
        await run_in_threadpool(_call, api_edit, f["id"], body, services, caller)
    except (ValidationError, ApiProblem, ArchiveError) as exc:
        errors, error = field_errors(exc, _fonds_labels())
        ctx = _fonds_form(f, values={**sent, "organ_id": f["organ_id"]}, errors=errors, error=error, reason=reason)
        return render(request, "fonds_form.html", ctx, status=_status(exc))
    return RedirectResponse(f"/holdings/{f['id']}?done=edited", status_code=303)


# dossiers ----------------------------------------------------------------------------------------

def _fonds_choices(services, caller: Caller) -> list[dict]:
    from api.http.routes.collections import list_fonds

    return list_fonds(services, caller, 1, services.settings.api.max_page_size)["items"]


def _dossier_values(form, names=DOSSIER_FIELDS) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip() for k in names}


def _typed(values: dict[str, str], *, keep_empty: bool) -> dict[str, Any]:
    """Form text → the API's body: an empty optional field is absent (create) or cleared (edit)."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if not v:
            if keep_empty:
                out[k] = None
            elif k not in OPTIONAL:
                out[k] = v
            continue
        out[k] = int(v) if k in INT_FIELDS and v.isascii() and v.isdigit() else v
    return out


def _dates(values: dict[str, str]) -> dict[str, str]:
    """Dates typed as dd/mm/yyyy (without the browser's date picker) become ISO for the API."""
    from archive.dossier_fields import parse_date

    out = dict(values)
    for k in ("start_date", "end_date"):
        if out.get(k):
            try:
                out[k] = parse_date(out[k]).isoformat()
            except ValueError:
                pass  # refused by the API's model, next to the field
    return out


def _dossier_form_context(services, caller: Caller, **extra) -> dict:
    return {"fonds_choices": _fonds_choices(services, caller), "regimes": list(ACCESS_REGIMES), "values": {},
            "errors": {}, "error": None, "dossier": None, "fonds_id": "", **extra}


@router.get("/collections/dossiers/new")
async def new_dossier_page(request: Request, caller: PageCaller) -> Response:
    services = request.app.state.services
    need(caller, "deposit")
    ctx = await run_in_threadpool(_dossier_form_context, services, caller)
    ctx["fonds_id"] = request.query_params.get("fonds", "")
    ctx["values"] = {"access_regime": "internal", "language": "vi"}
    return render(request, "dossier_form.html", ctx)


def create_from_form(services, caller: Caller, fonds_id: str, values: dict[str, str]) -> dict:
    """The API's ``create_dossier`` for the form's text (``ValidationError``, ``ApiProblem`` or
    ``ArchiveError`` when refused, nothing stored). Also used by the deposit page's new dossier."""
    from api.http.routes.collections import DossierCreate, create_dossier

    if not caller.has("deposit"):
        raise _forbidden()
    body = DossierCreate(fonds_id=fonds_id or "-", **_typed(_dates(values), keep_empty=False))
    return _call(create_dossier, body, services, caller)


@router.post("/collections/dossiers/new", dependencies=[Depends(check_csrf)])
async def new_dossier(request: Request, caller: PageCaller) -> Response:
    services = request.app.state.services
    need(caller, "deposit")
    form = await request.form()
    values = _dossier_values(form)
    fonds_id = str(form.get("fonds_id") or "").strip()
    try:
        out = await run_in_threadpool(create_from_form, services, caller, fonds_id, values)
    except (ValidationError, ApiProblem, ArchiveError) as exc:
        errors, error = field_errors(exc)
        ctx = await run_in_threadpool(_dossier_form_context, services, caller, values=values, errors=errors,
                                      error=error, fonds_id=fonds_id)
        return render(request, "dossier_form.html", ctx, status=_status(exc))
    return RedirectResponse(f"/dossiers/{out['id']}?done=created", status_code=303)


def _edit_values(d: dict) -> dict[str, str]:
    out = {}
    for k in DOSSIER_FIELDS:
        v = d.get(k)
        out[k] = "" if v is None else str(v)
    # the declared dates, not those widened to the documents
    for k in ("start_date", "end_date"):
        out[k] = str(d.get(f"declared_{k}") or "") if f"declared_{k}" in d else out[k]
    return out


async def _dossier(services, caller: Caller, ref: str) -> dict:
    from api.http.routes.collections import get_dossier

    return await run_in_threadpool(_call, get_dossier, ref, services, caller)


@router.get("/dossiers/{ref}/edit")
async def edit_dossier_page(request: Request, ref: Ref, caller: PageCaller) -> Response:
    services = request.app.state.services
    need(caller, "deposit")
    d = await _dossier(services, caller, ref)
    ctx = await run_in_threadpool(_dossier_form_context, services, caller, dossier=d, values=_edit_values(d),
                                  fonds_id=d["fonds_id"])
    return render(request, "dossier_form.html", ctx)


@router.post("/dossiers/{ref}/edit", dependencies=[Depends(check_csrf)])
async def edit_dossier(request: Request, ref: Ref, caller: PageCaller) -> Response:
    """Only the fields that changed go to the API's ``PATCH``, with the reason."""
    from api.http.routes.dossier_changes import DossierUpdate
    from api.http.routes.dossier_changes import edit_dossier as api_edit

    services = request.app.state.services
    need(caller, "deposit")
    d = await _dossier(services, caller, ref)
    form = await request.form()
    sent = _dossier_values(form)
    current = _edit_values(d)
    reason = str(form.get("reason") or "").strip()
    changed = {k: v for k, v in sent.items() if v != current[k]}
    try:
        if not changed:
            raise ApiProblem(422, "nothing changed", "Chưa có trường nào được sửa", code="invalid_request")
        body = DossierUpdate(**_typed(_dates(changed), keep_empty=True), reason=reason or None)
        await run_in_threadpool(_call, api_edit, d["id"], body, services, caller)
    except (ValidationError, ApiProblem, ArchiveError) as exc:
        errors, error = field_errors(exc)
        ctx = await run_in_threadpool(_dossier_form_context, services, caller, dossier=d, values=sent,
                                      errors=errors, error=error, fonds_id=d["fonds_id"], reason=reason)
        return render(request, "dossier_form.html", ctx, status=_status(exc))
    return RedirectResponse(f"/dossiers/{d['id']}?done=edited", status_code=303)


async def _state_change(request: Request, ref: str, caller: Caller, action: str) -> Response:
    from api.http.routes.dossier_changes import CloseRequest, ReopenRequest, close_dossier, reopen_dossier
    from api.web.holdings import _dossier_context

    services = request.app.state.services
    need(caller, "read")
    d = await _dossier(services, caller, ref)
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    try:
        if not caller.has("deposit"):
            raise _forbidden()
        if action == "reopen":
            if not reason:
                raise ApiProblem(422, "a reason is required", "Cần ghi lý do mở lại hồ sơ", code="invalid_request")
            await run_in_threadpool(_call, reopen_dossier, d["id"], ReopenRequest(reason=reason), services, caller)
        else:
            await run_in_threadpool(_call, close_dossier, d["id"], CloseRequest(reason=reason or None), services,
                                    caller)
    except (ValidationError, ApiProblem, ArchiveError) as exc:
        _errors, error = field_errors(exc)
        ctx = await _dossier_context(services, caller, d["id"])
        return render(request, "dossier.html", {**ctx, "state_error": error or "Lý do không hợp lệ",
                                                "state_reason": reason}, status=_status(exc))
    return RedirectResponse(f"/dossiers/{d['id']}?done={'reopened' if action == 'reopen' else 'closed'}",
                            status_code=303)


@router.post("/dossiers/{ref}/close", dependencies=[Depends(check_csrf)])
async def close(request: Request, ref: Ref, caller: PageCaller) -> Response:
    return await _state_change(request, ref, caller, "close")


@router.post("/dossiers/{ref}/reopen", dependencies=[Depends(check_csrf)])
async def reopen(request: Request, ref: Ref, caller: PageCaller) -> Response:
    return await _state_change(request, ref, caller, "reopen")
