"""Retention from the browser: schedules and their rules, manual assignments, the due list and the
«Xem xét hủy» list, the sweep, and legal holds (placed by code, released with a reason).

Every view calls the route functions of the HTTP API (``api.http.routes.retention``) with the signed-in
person as the caller, so access, validation, the services' rules and the audit are exactly the
API's. The pages need the ``retention`` scope (archivists, administrators): without it a page is
the one 404 and a form sent anyway is refused with the 403 page before anything runs. A schedule
file (JSON or CSV) is imported on the schedules page through the API's import functions. The
disposal batches and the council's ballots are in ``api.web.disposal`` (included here).
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.problems import ApiProblem
from api.web import disposal
from api.web.actions import allow, attempt, form_text, need, parse_day, posted, show
from api.web.numbers import int_in
from api.web.pages import NotFoundPage, PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)
router.include_router(disposal.router)
Code = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
HoldId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


# schedules and assignments ------------------------------------------------------------------------

@router.get("/retention/schedules")
async def schedules_page(request: Request, caller: PageCaller) -> Response:
    from api.http.routes.retention import list_schedules

    need(caller, "retention")
    rows = await run_in_threadpool(list_schedules, request.app.state.services, caller)
    return render(request, "retention_schedules.html", {"schedules": rows, "problems": [], "imported": None,
                                                        "form": {}})


MAX_SCHEDULE_BYTES = 5 * 1024 * 1024
_UNION_TAGS = {"EndOfYearItem", "TriggeredItem"}
_FIELD_VI = {"code": "mã bảng", "title": "tên bảng", "items": "các mục", "item_code": "số mục",
             "description": "tên nhóm hồ sơ", "period": "thời hạn", "trigger": "cách tính",
             "trigger_field": "trường ngày", "action": "hành động", "status": "trạng thái", "source": "nguồn",
             "group": "nhóm", "note": "ghi chú", "sample": "mẫu", "version": "phiên bản"}


def schedule_json_problems(exc: Any) -> list[str]:
    """A refused schedule JSON's problems (``pydantic.ValidationError``), one Vietnamese line each:
    where (mục thứ N, the field) and what, without the model names of the item union."""
    from api.web.collections import PYDANTIC_VI

    out: list[str] = []
    for e in exc.errors():
        where = []
        for part in e["loc"]:
            if isinstance(part, int):
                where.append(f"mục thứ {part + 1}")
            elif str(part) not in _UNION_TAGS and not str(part).startswith("function-"):
                where.append(_FIELD_VI.get(str(part), str(part)))
        words = PYDANTIC_VI.get(e["type"], {"extra_forbidden": "không có trong mẫu bảng thời hạn",
                                             "too_short": "không được để trống",
                                             "bool_parsing": "phải là true hoặc false",
                                             "string_type": "phải là chuỗi ký tự",
                                             "model_type": "phải là một đối tượng JSON",
                                             "list_type": "phải là một danh sách"}.get(e["type"], "không hợp lệ"))
        line = f"{', '.join(where) or 'tệp'}: {words}"
        if line not in out:
            out.append(line)
    return out


def import_from_file(services, caller: Caller, filename: str, raw: bytes, code: str, title: str) -> dict:
    """The API's import for an uploaded file: CSV (by its name; needs the code) through
    ``import_csv_text``, JSON through ``import_schedule``. Returns {code, version, created};
    ``ScheduleRefused`` with every problem in Vietnamese otherwise (nothing saved)."""
    import json

    from pydantic import ValidationError

    from api.http.routes.retention import import_csv_text, import_schedule
    from api.http.schemas.retention import ScheduleIn
    from archive.errors import ArchiveError

    try:
        if len(raw) > MAX_SCHEDULE_BYTES:
            raise ScheduleRefused([f"Tệp quá lớn (tối đa {MAX_SCHEDULE_BYTES // (1024 * 1024)} MB)"], 413)
        if not raw.strip():
            raise ScheduleRefused(["Chưa chọn tệp, hoặc tệp rỗng"], 422)
        if filename.lower().endswith(".csv"):
            if not code:
                raise ScheduleRefused(["Cần ghi mã bảng khi nhập tệp CSV"], 422)
            if len(code) > 60 or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", code):
                raise ScheduleRefused(["Mã bảng chỉ gồm chữ không dấu, số, dấu chấm, gạch nối, gạch dưới "
                                       "(tối đa 60 ký tự)"], 422)
            response = import_csv_text(code, raw, title or None, services, caller)
        else:
            try:
                data = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise ScheduleRefused(["Tệp phải mã hóa UTF-8"], 422) from None
            except ValueError as exc:
                raise ScheduleRefused([f"Tệp không phải JSON hợp lệ (dòng {getattr(exc, 'lineno', '?')}); "
                                       "tệp CSV phải có đuôi .csv"], 422) from None
            try:
                body = ScheduleIn.model_validate(data)
            except ValidationError as exc:
                raise ScheduleRefused(schedule_json_problems(exc), 422) from None
            response = import_schedule(body, services, caller)
    except ApiProblem as exc:
        raise ScheduleRefused([exc.detail_vi or str(exc)], exc.status) from None
    except ArchiveError as exc:
        from api.http.problems import STATUS_BY_CODE

        raise ScheduleRefused(list(getattr(exc, "problems", None) or [exc.message_vi]),
                              STATUS_BY_CODE.get(exc.code, 422)) from None
    return json.loads(bytes(response.body))


class ScheduleRefused(Exception):
    def __init__(self, problems: list[str], status: int):
        super().__init__("; ".join(problems))
        self.problems, self.status = problems, status


@router.post("/retention/schedules/import", dependencies=[Depends(check_csrf)])
async def import_page(request: Request, caller: PageCaller) -> Response:
    """Nhập bảng thời hạn from a JSON or CSV file (``luutru retention schedules --export``):
    the API's ``POST /api/v1/retention/schedules`` (or ``/{code}/csv``), every problem shown."""
    from starlette.datastructures import UploadFile

    from api.http.routes.retention import list_schedules

    services, form = await posted(request, caller, "retention")
    upload = form.get("file")
    sent = {k: form_text(form, k, 500) for k in ("code", "title")}
    raw, filename = b"", ""
    if isinstance(upload, UploadFile):
        raw, filename = await upload.read(MAX_SCHEDULE_BYTES + 1), upload.filename or ""
    try:
        out = await run_in_threadpool(import_from_file, services, caller, filename, raw, sent["code"],
                                      sent["title"])
        problems, status = [], 200
    except ScheduleRefused as exc:
        out, problems, status = None, exc.problems, exc.status
    rows = await run_in_threadpool(list_schedules, services, caller)
    return render(request, "retention_schedules.html", {"schedules": rows, "problems": problems, "imported": out,
                                                        "form": sent if problems else {}}, status=status)


def _schedule(services, caller: Caller, code: str, version: int | None) -> dict:
    from api.http.routes.retention import get_schedule

    sched, _error, _status = attempt(get_schedule, code, services, caller, version)
    if sched is None:
        raise NotFoundPage()
    return sched


@router.get("/retention/schedules/{code}")
async def schedule_page(request: Request, code: Code, caller: PageCaller) -> Response:
    need(caller, "retention")
    raw = request.query_params.get("version", "")
    version = int_in(raw, 1, 999_999)
    sched = await run_in_threadpool(_schedule, request.app.state.services, caller, code, version)
    return render(request, "retention_schedule.html", {"schedule": sched, "error": None, "assigned": None,
                                                       "form": {}})


@router.post("/retention/schedules/{code}/assign", dependencies=[Depends(check_csrf)])
async def assign_page(request: Request, code: Code, caller: PageCaller) -> Response:
    """Gán thời hạn thủ công: a rule of this schedule to a dossier (mã hồ sơ) or a record (số ký
    hiệu), with the reason — the API's ``POST /api/v1/retention/assignments``."""
    from api.http.routes.retention import AssignmentCreate, assign

    allow(caller, "retention")
    services = request.app.state.services
    sched = await run_in_threadpool(_schedule, services, caller, code, None)
    form = await request.form()
    sent = {k: form_text(form, k, 1000) for k in ("target_type", "target", "item_code", "reason")}

    def run():
        if not sent["target"] or not sent["reason"]:
            raise ApiProblem(422, "target and reason required", "Cần ghi mã hồ sơ (hoặc số ký hiệu) và lý do",
                             code="invalid_request")
        body = AssignmentCreate(target_type=sent["target_type"] if sent["target_type"] == "record" else "dossier",
                                target_id=sent["target"], schedule_code=code, item_code=sent["item_code"],
                                reason=sent["reason"])
        return assign(body, services, caller)

    out, error, status = await run_in_threadpool(attempt, run)
    return render(request, "retention_schedule.html", {"schedule": sched, "error": error, "assigned": out,
                                                       "form": sent if error else {}}, status=status)


# the due list, the sweep, the candidates ----------------------------------------------------------

def due_context(services, caller: Caller, day: date | None, action: Literal["review_destroy", "transfer"],
                page: int, *, bad_day: str | None = None) -> dict:
    """The due list as of ``day`` (None: today); ``bad_day``: what was typed instead of a date — no
    list (never that of another day than the one asked for), the error, the typed text kept."""
    from api.http.routes.retention import candidates, due

    if bad_day is not None:
        page_out = {"as_of": bad_day, "action": action, "items": [], "page": 1, "next_page": None}
        error = f"Ngày không hợp lệ: «{bad_day}». Nhập ngày dạng dd/mm/yyyy, ví dụ 31/12/2026."
    else:
        page_out, error = due(services, caller, day, action, page, 50), None
    return {"due": page_out, "action": action, "candidates": candidates(services, caller) if caller.has("retention")
            else [], "council": disposal.council_people(services), "swept": None, "error": error, "form": {}}


@router.get("/retention/due")
async def due_page(request: Request, caller: PageCaller) -> Response:
    need(caller, "retention")
    q = request.query_params
    raw = (q.get("as_of") or "").strip()[:40]
    day = parse_day(raw) if raw else None
    action: Literal["review_destroy", "transfer"] = "transfer" if q.get("action") == "transfer" else "review_destroy"
    page = int_in(q.get("page"), 1, 100_000) or 1
    bad = raw if raw and day is None else None  # the API answers 422 for it too
    ctx = await run_in_threadpool(partial(due_context, bad_day=bad), request.app.state.services, caller, day,
                                  action, page)
    return render(request, "retention_due.html", ctx, status=422 if bad is not None else 200)


@router.post("/retention/sweep", dependencies=[Depends(check_csrf)])
async def sweep_page(request: Request, caller: PageCaller) -> Response:
    """Quét hạn now (the API's ``POST /api/v1/retention/sweep``), then the due list with the report."""
    from api.http.routes.retention import SweepRequest, sweep

    services, form = await posted(request, caller, "retention")
    raw = form_text(form, "as_of", 20)
    day = parse_day(raw) if raw else None
    result: tuple[Any, str | None, int] = (None, "Ngày không hợp lệ (dd/mm/yyyy)", 422)
    if not raw or day is not None:
        result = await run_in_threadpool(attempt, sweep, services, caller, SweepRequest(as_of=day))
    report, error, status = result
    ctx = await run_in_threadpool(due_context, services, caller, None, "review_destroy", 1)
    return render(request, "retention_due.html", {**ctx, "swept": report, "error": error}, status=status)


# holds ------------------------------------------------------------------------------------------

HOLD_KINDS = ("dossier", "fonds", "record")


def _holds_context(services, caller: Caller) -> dict:
    from api.http.routes.retention import list_holds

    holds = list_holds(services, caller, None, 1, services.settings.api.max_page_size)
    _label_holds(services, holds["items"])
    return {"holds": holds, "error": None, "form": {}, "placed": None, "released": None}


def _label_holds(services, holds: list[dict]) -> None:
    """What each hold covers, as people name it: mã hồ sơ, số ký hiệu, mã phông (never an id where
    a code exists)."""
    import sqlalchemy as sa

    from archive.catalogue.models import Dossier, Fonds, Record

    ids = {i for h in holds for i in (h["scope"].get("ids") or []) + (h["scope"].get("fonds_ids") or [])}
    with services.catalogue.session() as s:
        names = {i: code for i, code in s.execute(sa.select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids)))}
        names.update((i, organ) for i, organ in s.execute(sa.select(Fonds.id, Fonds.organ_id).where(Fonds.id.in_(ids))))
        names.update((r.id, r.so_ky_hieu or r.id[:8]) for r in s.execute(sa.select(Record).where(
            Record.id.in_(ids))).scalars())
    for h in holds:
        sc = h["scope"]
        h["labels"] = ([names.get(i, i) for i in (sc.get("ids") or []) + (sc.get("fonds_ids") or [])]
                       + [str(v) for k, vs in sc.items() if k not in ("ids", "fonds_ids") for v in vs])


@router.get("/retention/holds")
async def holds_page(request: Request, caller: PageCaller) -> Response:
    return await show(request, caller, "retention", "retention_holds.html", _holds_context)


def _place(services, caller: Caller, kind: str, codes: list[str], authority: str, reason: str) -> dict:
    """A hold by the codes people use: mã hồ sơ, mã phông (a saved query on the fonds) or số ký hiệu
    of records — resolved by the API route itself (404 for what the person may not see)."""
    from api.http.routes.collections import visible_fonds_row
    from api.http.routes.retention import CriteriaIn, HoldOnDossiers, HoldOnQuery, HoldOnRecords, place_hold

    if not codes or not authority or not reason:
        raise ApiProblem(422, "code, authority and reason required",
                         "Cần ghi mã, cơ quan hoặc người có thẩm quyền, và lý do phong tỏa", code="invalid_request")
    body: HoldOnDossiers | HoldOnRecords | HoldOnQuery
    if kind == "fonds":
        fonds = [visible_fonds_row(services, caller, c, action="retention.hold.place").id for c in codes]
        body = HoldOnQuery(scope_type="query", criteria=CriteriaIn(fonds_ids=fonds), authority=authority,
                           reason=reason)
    elif kind == "record":
        body = HoldOnRecords(scope_type="records", ids=codes, authority=authority, reason=reason)
    else:
        body = HoldOnDossiers(scope_type="dossiers", ids=codes, authority=authority, reason=reason)
    return place_hold(body, services, caller)


@router.post("/retention/holds", dependencies=[Depends(check_csrf)])
async def place_hold_page(request: Request, caller: PageCaller) -> Response:
    services, form = await posted(request, caller, "retention")
    sent = {"kind": form_text(form, "kind", 10), "codes": form_text(form, "codes", 20000),
            "authority": form_text(form, "authority", 300), "reason": form_text(form, "reason", 1000)}
    kind = sent["kind"] if sent["kind"] in HOLD_KINDS else "dossier"
    codes = list(dict.fromkeys(c.strip() for c in sent["codes"].replace(";", "\n").splitlines() if c.strip()))
    placed, error, status = await run_in_threadpool(attempt, _place, services, caller, kind, codes,
                                                    sent["authority"], sent["reason"])
    ctx = await run_in_threadpool(_holds_context, services, caller)
    return render(request, "retention_holds.html", {**ctx, "placed": placed, "error": error,
                                                   "form": sent if error else {}}, status=status)


@router.post("/retention/holds/{hold_id}/release", dependencies=[Depends(check_csrf)])
async def release_hold_page(request: Request, hold_id: HoldId, caller: PageCaller) -> Response:
    from api.http.routes.retention import ReleaseRequest, release_hold

    services, form = await posted(request, caller, "retention")
    reason = form_text(form, "reason", 1000)
    result: tuple[Any, str | None, int] = (None, "Cần ghi lý do giải tỏa", 422)
    if reason:
        result = await run_in_threadpool(attempt, release_hold, hold_id, ReleaseRequest(reason=reason), services,
                                         caller)
    _out, error, status = result
    if error is None:
        return RedirectResponse("/retention/holds?released=1", status_code=303)
    ctx = await run_in_threadpool(_holds_context, services, caller)
    return render(request, "retention_holds.html", {**ctx, "error": error}, status=status)
