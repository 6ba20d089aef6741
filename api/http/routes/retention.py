"""Retention schedules, assignments, due dates, holds and the disposal workflow over HTTP.

Every route calls the services every entry point shares (``api.retention_wiring.retention_services``:
``RetentionService`` and ``DisposalService``), exactly as ``luutru retention …`` does; the routes
only check access, validate input, look up ids (so an unknown id is 404, not a workflow error) and
shape answers. Scope ``retention`` (archivists, administrators, retention clients) for everything
but the council's routes: a council member (scope ``council``) reads the ballot of a batch they sit
on and votes **as themselves** — the voter is the caller, never a field of the body.

The disposal workflow (Decree 30/2020, Luật Lưu trữ 2024 Điều 16, requirements-vn.md §8.8)::

    sweep → candidates (Xem xét hủy) → propose (Danh mục + Bản thuyết minh + Hội đồng)
          → votes → close review (Biên bản họp) → [appraisal request → appraisal] → approve
          (Quyết định hủy; not by the proposer) → destroy (dry run first; not by the proposer)
          → Biên bản hủy tài liệu + Danh mục tài liệu đã hủy

Errors are problems (``api/http/problems.py``): workflow state conflicts 409 (``disposal_workflow``,
with the service's Vietnamese message, e.g. "Người quyết định hủy không được là người đề nghị
hủy"), invalid input 422, unknown schedule, hold, batch, record or user 404. A destruction while a
hold covers records of the batch is refused (409, the held records listed) unless
``exclude_held`` says to take them out of the batch. Each action is audited twice: by the service
(what changed, by whom) and here (``api.<action>``: the HTTP caller — user or client — and address,
target, outcome, including refusals).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api.accounts import ROLE_SCOPES, AccountError, Caller
from api.http.deps import ServicesDep, page_size, readable_record, require
from api.http.problems import ApiProblem
from api.http.routes.collections import visible_dossier
from api.http.schemas import moved
from api.http.schemas import retention as _schemas
from api.http.schemas.retention import (
    AppraisalIn,
    AppraisalRequestIn,
    Approved,
    ApproveRequest,
    AssignmentCreate,
    AssignmentResult,
    BatchId,
    BatchPage,
    BatchStatus,
    Candidate,
    DestroyedPage,
    DestroyRequest,
    DestroyResult,
    DuePage,
    HoldCreate,
    HoldPage,
    HoldPublic,
    Id,
    Page,
    Proposed,
    ProposeRequest,
    ReleaseRequest,
    ReviewRequest,
    ReviewResult,
    ScheduleDetail,
    ScheduleIn,
    ScheduleSaved,
    ScheduleSummary,
    Size,
    SweepReport,
    SweepRequest,
    VoteRecorded,
    VoteRequest,
)
from api.retention_wiring import retention_services
from archive.errors import ArchiveError
from retention import queries

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])

RetentionCaller = Annotated[Caller, Depends(require("retention"))]
CouncilCaller = Annotated[Caller, Depends(require("council"))]
BUILT_IN = ("vn-sample", "vn-system")



def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.retention``; still importable here."""
    return moved(__name__, _schemas, name)


ERRORS: dict[int | str, dict[str, Any]] = {400: {"description": "Malformed request body"},
          401: {"description": "A bearer token is required"},
          403: {"description": "The caller lacks the scope"},
          404: {"description": "No such schedule, item, hold, batch, record, dossier or user"},
          409: {"description": "The workflow is not in a state that allows this step"},
          422: {"description": "Invalid input"}}


# auditing and lookups --------------------------------------------------------------------------

def _audit(services, caller: Caller, action: str, *, target_type: str | None = None, target_id: str | None = None,
           outcome: str = "success", detail: dict | None = None) -> None:
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address, action=action,
                                  target_type=target_type, target_id=target_id[:64] if target_id else None,
                                  outcome=outcome, detail={k: v for k, v in (detail or {}).items() if v is not None}
                                  or None)


@contextmanager
def _acting(services, caller: Caller, action: str, *, target_type: str | None = None,
            target_id: str | None = None, **detail) -> Iterator[dict]:
    """Audit the HTTP request as ``api.<action>``: success, or the error that refused it. The block
    may add to the yielded dict (it becomes part of the entry's detail)."""
    extra: dict[str, Any] = {}
    try:
        yield extra
    except (ArchiveError, ApiProblem) as exc:
        status = exc.status if isinstance(exc, ApiProblem) else None
        code = exc.code
        outcome = ("not_found" if status == 404 or code in ("record_not_found", "not_found") else
                   "denied" if status == 403 or code == "forbidden" else "failure")
        _audit(services, caller, f"api.{action}", target_type=target_type, target_id=extra.pop("target_id", target_id),
               outcome=outcome, detail={**detail, **extra, "error": code, "message": str(exc)[:500]})
        raise
    except Exception as exc:  # an unexpected failure (500): still on record, then logged by the handler
        _audit(services, caller, f"api.{action}", target_type=target_type, target_id=extra.pop("target_id", target_id),
               outcome="error", detail={**detail, **extra, "error": type(exc).__name__})
        raise
    _audit(services, caller, f"api.{action}", target_type=target_type, target_id=extra.pop("target_id", target_id),
           detail={**detail, **extra})


def _svc(services):
    return retention_services(services)


def _not_found(what_en: str, what_vi: str, ident: str) -> ApiProblem:
    return ApiProblem(404, f"no {what_en} {ident}", f"Không tìm thấy {what_vi} {ident}", code="not_found")


def _batch(services, batch_id: str):
    """The batch a path names: its id, or its number as people know it (``3-2026`` for 3/2026, since a
    ``/`` cannot stand in a path segment)."""
    b = queries.find_batch(services.catalogue, batch_id)
    if b is None:
        raise _not_found("disposal batch", "đợt hủy", batch_id)
    return b


@contextmanager
def _on_batch(services, caller: Caller, action: str, batch_id: str, **detail) -> Iterator[tuple[Any, str, dict]]:
    """A step on one disposal batch, audited as ``api.<action>`` with the batch the path names as its
    target (:func:`_acting`): yields the ``DisposalService``, the batch's id (the path may give its
    number, ``3-2026``; unknown: 404) and the audit detail the block may add to."""
    _, disposal = _svc(services)
    with _acting(services, caller, action, target_type="disposal_batch", target_id=batch_id, **detail) as info:
        yield disposal, _batch(services, batch_id).id, info


def _schedule_exists(services, code: str, version: int | None = None) -> None:
    if not queries.schedule_exists(services.catalogue, code, version):
        raise _not_found("schedule", "bảng thời hạn", code + (f" v{version}" if version else ""))


def _document(services, caller: Caller, record_id: str | None, *, action: str) -> str | None:
    """A workflow document (Tờ trình, Biên bản, Quyết định…) must be an archived record the caller
    reads: its id (the body may name it by id, short id or số ký hiệu)."""
    if record_id is None:
        return None
    return readable_record(services, caller, record_id, action=action).id


# schedules -------------------------------------------------------------------------------------

@router.get("/schedules", response_model=list[ScheduleSummary],
            summary="Bảng thời hạn lưu trữ — schedules and their versions", responses=ERRORS)
def list_schedules(services: ServicesDep, caller: RetentionCaller) -> list[dict]:
    _svc(services)
    rows = queries.list_schedules(services.catalogue)
    _audit(services, caller, "api.retention.schedules", detail={"count": len(rows)})
    return rows


@router.get("/schedules/{code}", response_model=ScheduleDetail,
            summary="Một bảng thời hạn — items and versions", responses=ERRORS)
def get_schedule(code: Annotated[str, Field(min_length=1, max_length=60)], services: ServicesDep,
                 caller: RetentionCaller,
                 version: Annotated[int | None, Query(ge=1, le=1_000_000, description="Mặc định: mới nhất")] = None
                 ) -> dict:
    _svc(services)
    with _acting(services, caller, "retention.schedule.view", target_type="schedule", target_id=code,
                 version=version):
        _schedule_exists(services, code, version)
        sched, versions = queries.schedule_with_versions(services.catalogue, code, version)
    return {"code": sched.code, "version": sched.version, "title": sched.title, "source": sched.source,
            "sample": sched.sample, "items": [i.as_dict() for i in sched.items], "versions": versions}


def _save_schedule(services, caller: Caller, sched) -> JSONResponse:
    retention, _ = _svc(services)
    version, created = retention.save_schedule(sched, caller.actor)
    body = ScheduleSaved(code=sched.code, version=version, created=created).model_dump()
    return JSONResponse(body, status_code=201 if created else 200)


def _not_built_in(code: str) -> None:
    if code in BUILT_IN:
        raise ApiProblem(409, f"{code} is a built-in schedule and cannot be replaced",
                         f"Bảng {code} là bảng có sẵn của hệ thống, không được thay thế", code="conflict")


@router.post("/schedules", status_code=201, response_model=ScheduleSaved,
             summary="Nhập bảng thời hạn (JSON) — import a schedule; changed content makes a new version",
             responses={**ERRORS, 200: {"model": ScheduleSaved, "description": "Unchanged: no new version"}})
def import_schedule(body: ScheduleIn, services: ServicesDep, caller: RetentionCaller) -> JSONResponse:
    from retention import schedules as sch

    with _acting(services, caller, "retention.schedule.import", target_type="schedule", target_id=body.code,
                 items=len(body.items)) as info:
        _not_built_in(body.code)
        sched = sch.schedule_from_json(body.model_dump_json())
        response = _save_schedule(services, caller, sched)
        info["status"] = response.status_code
    return response


@router.post("/schedules/{code}/csv", status_code=201, response_model=ScheduleSaved,
             summary="Nhập bảng thời hạn (CSV) — import a schedule from CSV (columns of `--export --format csv`)",
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
             responses={**ERRORS, 200: {"model": ScheduleSaved, "description": "Unchanged: no new version"}})
async def import_schedule_csv(code: Annotated[str, Field(min_length=1, max_length=60,
                                                         pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")],
                              request: Request, services: ServicesDep, caller: RetentionCaller,
                              title: Annotated[str | None, Query(max_length=500, description="Tên bảng")] = None
                              ) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    raw = await request.body()
    return await run_in_threadpool(import_csv_text, code, raw, title, services, caller)


def import_csv_text(code: str, raw: bytes, title: str | None, services, caller: Caller) -> JSONResponse:
    """``POST /schedules/{code}/csv`` for bytes already read (the route; the schedules page's form)."""
    from retention import schedules as sch

    with _acting(services, caller, "retention.schedule.import", target_type="schedule", target_id=code,
                 format="csv") as info:
        _not_built_in(code)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiProblem(422, "the CSV must be UTF-8", "Tệp CSV phải mã hóa UTF-8",
                             code="invalid_request") from None
        name = unicodedata.normalize("NFC", title.strip()) if title and title.strip() else code
        sched = sch.schedule_from_csv(unicodedata.normalize("NFC", text), code=code, title=name)
        response = _save_schedule(services, caller, sched)
        info["status"] = response.status_code
    return response


# assignments and due dates ---------------------------------------------------------------------

@router.post("/assignments", response_model=AssignmentResult,
             summary="Gán thời hạn thủ công — a manual retention decision (reason required)", responses=ERRORS)
def assign(body: AssignmentCreate, services: ServicesDep, caller: RetentionCaller) -> dict:
    retention, _ = _svc(services)
    with _acting(services, caller, "retention.assign", target_type=body.target_type, target_id=body.target_id,
                 item=f"{body.schedule_code}/{body.item_code}", reason=body.reason):
        if body.target_type == "record":
            target_id = readable_record(services, caller, body.target_id, action="retention.assign").id
        else:
            target_id = visible_dossier(services, caller, body.target_id, action="retention.assign").id
        _schedule_exists(services, body.schedule_code)
        if not queries.item_exists(services.catalogue, body.schedule_code, body.item_code):
            raise _not_found("schedule item", "mục", f"{body.schedule_code}/{body.item_code}")
        return retention.assign_manual(body.target_type, target_id, schedule_code=body.schedule_code,
                                       item_code=body.item_code, reason=body.reason.strip(), actor=caller.actor,
                                       event_date=body.event_date)


@router.get("/due", response_model=DuePage, summary="Hồ sơ đến hạn — dossiers due as of a date", responses=ERRORS)
def due(services: ServicesDep, caller: RetentionCaller,
        as_of: Annotated[date | None, Query(description="Ngày (YYYY-MM-DD); mặc định hôm nay")] = None,
        action: Annotated[Literal["review_destroy", "transfer"], Query(
            description="review_destroy (xem xét hủy) or transfer (nộp lưu lịch sử)")] = "review_destroy",
        page: Page = 1, size: Size = 50) -> dict:
    from retention.policy import Action

    size = page_size(services, size)
    retention, _ = _svc(services)
    day = as_of or services.archive.clock.now().date()
    # The service reads in due-date order with a limit: the page is the slice after the earlier pages.
    rows = retention.due(day, action=Action(action), limit=page * size + 1)
    items = rows[(page - 1) * size: page * size]
    _audit(services, caller, "api.retention.due", detail={"as_of": day.isoformat(), "action": action, "page": page,
                                                         "count": len(items)})
    return {"as_of": day.isoformat(), "action": action, "items": items, "page": page, "size": size,
            "next_page": page + 1 if len(rows) > page * size else None}


@router.post("/sweep", response_model=SweepReport,
             summary="Quét hạn — put due dossiers in Xem xét hủy and write transfer reminders", responses=ERRORS)
def sweep(services: ServicesDep, caller: RetentionCaller, body: SweepRequest | None = None) -> dict:
    retention, _ = _svc(services)
    as_of = body.as_of if body else None
    with _acting(services, caller, "retention.sweep", target_type="sweep",
                 as_of=as_of.isoformat() if as_of else None) as info:
        report = retention.sweep(as_of, actor=caller.actor).as_dict()
        info.update(listed=report["listed"], held=len(report["held"]))
    return report


@router.get("/candidates", response_model=list[Candidate],
            summary="Danh mục Xem xét hủy — dossiers listed by the sweep, not yet in a batch", responses=ERRORS)
def candidates(services: ServicesDep, caller: RetentionCaller) -> list[dict]:
    retention, _ = _svc(services)
    rows = retention.candidates()
    _audit(services, caller, "api.retention.candidates", detail={"count": len(rows)})
    return rows


# holds -----------------------------------------------------------------------------------------

_hold_public = queries.hold_public  # the old name


def _hold(services, hold_id: str) -> dict:
    h = queries.get_hold(services.catalogue, hold_id)
    if h is None:
        raise _not_found("hold", "lệnh phong tỏa", hold_id)
    return h


@router.post("/holds", status_code=201, response_model=HoldPublic,
             summary="Phong tỏa — place a legal hold (records, dossiers or a saved query)", responses=ERRORS)
def place_hold(body: HoldCreate, services: ServicesDep, caller: RetentionCaller) -> dict:
    retention, _ = _svc(services)
    scope = ({"ids": list(dict.fromkeys(body.ids))} if body.scope_type != "query"
             else body.criteria.model_dump(exclude_none=True))
    with _acting(services, caller, "retention.hold.place", target_type="hold", authority=body.authority,
                 reason=body.reason, scope_type=body.scope_type, scope=scope) as info:
        if body.scope_type == "query" and not scope:
            raise ApiProblem(422, "a query hold needs at least one criterion",
                             "Phong tỏa theo truy vấn cần ít nhất một tiêu chí", code="invalid_request")
        if body.scope_type == "records":  # resolved as the caller sees them: 404 for what they may not read
            scope["ids"] = [readable_record(services, caller, r, action="retention.hold.place").id for r in scope["ids"]]
        elif body.scope_type == "dossiers":
            scope["ids"] = [visible_dossier(services, caller, d, action="retention.hold.place").id
                            for d in scope["ids"]]
        hold_id = retention.place_hold(authority=body.authority.strip(), reason=body.reason.strip(),
                                       scope_type=body.scope_type, scope=scope, actor=caller.actor,
                                       store=services.store)
        info["target_id"] = hold_id
    return _hold(services, hold_id)


@router.get("/holds", response_model=HoldPage, summary="Các lệnh phong tỏa — holds, newest first", responses=ERRORS)
def list_holds(services: ServicesDep, caller: RetentionCaller,
               active: Annotated[bool | None, Query(description="true: in force; false: released")] = None,
               page: Page = 1, size: Size = 50) -> dict:
    size = page_size(services, size)
    total, items = queries.list_holds(services.catalogue, active=active, page=page, size=size)
    _audit(services, caller, "api.retention.holds", detail={"active": active, "page": page, "total": total})
    return {"items": items, "total": total, "page": page, "size": size}


@router.get("/holds/{hold_id}", response_model=HoldPublic, summary="Một lệnh phong tỏa — one hold", responses=ERRORS)
def get_hold(hold_id: Id, services: ServicesDep, caller: RetentionCaller) -> dict:
    with _acting(services, caller, "retention.hold.view", target_type="hold", target_id=hold_id):
        return _hold(services, hold_id)


@router.post("/holds/{hold_id}/release", response_model=HoldPublic,
             summary="Giải tỏa — release a hold (reason required)", responses=ERRORS)
def release_hold(hold_id: Id, body: ReleaseRequest, services: ServicesDep, caller: RetentionCaller) -> dict:
    retention, _ = _svc(services)
    with _acting(services, caller, "retention.hold.release", target_type="hold", target_id=hold_id,
                 reason=body.reason):
        if not _hold(services, hold_id)["active"]:
            raise ApiProblem(409, f"hold {hold_id} is already released", f"Lệnh phong tỏa {hold_id} đã được giải tỏa",
                             code="conflict")
        retention.release_hold(hold_id, reason=body.reason.strip(), actor=caller.actor, store=services.store)
    return _hold(services, hold_id)


# the disposal workflow -------------------------------------------------------------------------

def _council_actors(services, names: list[str]) -> list[str]:
    """Council members by user name → their actors; each must be an active person who may vote."""
    out = []
    for name in dict.fromkeys(unicodedata.normalize("NFC", n.removeprefix("user:")) for n in names):
        try:
            user = services.accounts.get_user(name)
        except AccountError:
            raise _not_found("user", "người dùng", name) from None
        if not user["active"] or "council" not in ROLE_SCOPES[user["role"]]:
            raise ApiProblem(409, f"{name} cannot sit on a disposal council (role {user['role']}, active "
                                  f"{user['active']})",
                             f"{name} không thể là thành viên Hội đồng xét hủy (cần vai trò Thành viên Hội đồng "
                             "và tài khoản đang hoạt động)", code="conflict")
        out.append(f"user:{user['username']}")
    return out


def _status(services, batch_id: str) -> dict:
    _, disposal = _svc(services)
    out = disposal.status(batch_id)
    b = _batch(services, batch_id)
    names = queries.dossier_names(services.catalogue, [i["dossier_id"] for i in out["items"]])
    for i in out["items"]:
        i["code"], i["title"] = names.get(i["dossier_id"], (None, None))
    out.update(explanation=b.explanation, appraisal_required=bool(b.appraisal_required),
               proposal_record_id=b.proposal_record_id, council_minutes_record_id=b.council_minutes_record_id,
               appraisal_record_id=b.appraisal_record_id)
    return out


@router.post("/disposals", status_code=201, response_model=Proposed,
             summary="Lập Danh mục tài liệu hết giá trị — propose a disposal batch", responses=ERRORS)
def propose(body: ProposeRequest, services: ServicesDep, caller: RetentionCaller) -> dict:
    _, disposal = _svc(services)
    with _acting(services, caller, "disposal.propose", target_type="disposal_batch", title=body.title,
                 council=body.council) as info:
        council = _council_actors(services, body.council)
        proposal = _document(services, caller, body.proposal_record_id, action="disposal.propose")
        dossier_ids = (None if body.dossier_ids is None else
                       [visible_dossier(services, caller, d, action="disposal.propose").id for d in body.dossier_ids])
        out = disposal.propose(title=body.title.strip(), explanation=body.explanation, council=council,
                               actor=caller.actor, dossier_ids=dossier_ids,
                               proposal_record_id=proposal,
                               appraisal_required=body.appraisal_required)
        info.update(target_id=out["batch_id"], listed=len(out["listed"]))
    return out


@router.get("/disposals", response_model=BatchPage, summary="Các đợt hủy — disposal batches, newest first",
            responses=ERRORS)
def list_batches(services: ServicesDep, caller: RetentionCaller,
                 state: Annotated[str | None, Query(max_length=20, pattern=r"^[a-z_]+$")] = None,
                 page: Page = 1, size: Size = 50) -> dict:
    size = page_size(services, size)
    total, items = queries.list_batches(services.catalogue, state=state, page=page, size=size)
    _audit(services, caller, "api.disposal.list", detail={"state": state, "page": page, "total": total})
    return {"items": items, "total": total, "page": page, "size": size}


@router.get("/disposals/{batch_id}", response_model=BatchStatus,
            summary="Tình trạng đợt hủy — a batch: state, dossiers, votes, documents", responses=ERRORS)
def batch_status(batch_id: BatchId, services: ServicesDep, caller: RetentionCaller) -> dict:
    with _on_batch(services, caller, "disposal.view", batch_id) as (_, batch_id, _):
        return _status(services, batch_id)


@router.get("/disposals/{batch_id}/ballot", response_model=BatchStatus,
            summary="Phiếu xét hủy — the batch as a council member sees it (members of its council only)",
            responses=ERRORS)
def ballot(batch_id: BatchId, services: ServicesDep, caller: CouncilCaller) -> dict:
    with _acting(services, caller, "disposal.ballot", target_type="disposal_batch", target_id=batch_id):
        b = _batch(services, batch_id)
        batch_id = b.id
        if caller.actor not in (b.council or []) and not caller.has("admin"):
            raise _not_found("disposal batch", "đợt hủy", batch_id)  # not their council: as if missing
        return _status(services, batch_id)


@router.post("/disposals/{batch_id}/votes", status_code=201, response_model=VoteRecorded,
             summary="Biểu quyết — a council member votes as themselves", responses=ERRORS)
def vote(batch_id: BatchId, body: VoteRequest, services: ServicesDep, caller: CouncilCaller) -> dict:
    with _on_batch(services, caller, "disposal.vote", batch_id, vote=body.vote) as (disposal, batch_id, _):
        dossiers = (None if body.dossiers is None else
                    [visible_dossier(services, caller, d, action="disposal.vote").id for d in body.dossiers])
        voted = disposal.vote(batch_id, member=caller.actor, vote=body.vote, opinion=body.opinion, dossiers=dossiers)
    return {"batch_id": batch_id, "member": caller.actor, "vote": body.vote, "dossiers": voted}


@router.post("/disposals/{batch_id}/review", response_model=ReviewResult,
             summary="Kết thúc phiên xét của Hội đồng — close the council review (majority)", responses=ERRORS)
def close_review(batch_id: BatchId, body: ReviewRequest, services: ServicesDep, caller: RetentionCaller) -> dict:
    with _on_batch(services, caller, "disposal.review", batch_id,
                   minutes_record_id=body.minutes_record_id) as (disposal, batch_id, info):
        minutes = _document(services, caller, body.minutes_record_id, action="disposal.review")
        out = disposal.close_review(batch_id, minutes_record_id=minutes, actor=caller.actor)
        info["majority"] = out["majority"]
    return out


@router.post("/disposals/{batch_id}/appraisal-request", response_model=BatchStatus,
             summary="Đề nghị thẩm định — request the external appraisal", responses=ERRORS)
def request_appraisal(batch_id: BatchId, body: AppraisalRequestIn, services: ServicesDep, caller: RetentionCaller) -> dict:
    with _on_batch(services, caller, "disposal.appraisal_request", batch_id,
                   letter_record_id=body.letter_record_id) as (disposal, batch_id, _):
        letter = _document(services, caller, body.letter_record_id, action="disposal.appraisal_request")
        disposal.request_appraisal(batch_id, letter_record_id=letter, actor=caller.actor)
    return _status(services, batch_id)


@router.post("/disposals/{batch_id}/appraisal", response_model=BatchStatus,
             summary="Kết quả thẩm định — record the appraisal (agreed or not)", responses=ERRORS)
def record_appraisal(batch_id: BatchId, body: AppraisalIn, services: ServicesDep, caller: RetentionCaller) -> dict:
    with _on_batch(services, caller, "disposal.appraisal", batch_id,
                   appraisal_record_id=body.appraisal_record_id, agreed=body.agreed) as (disposal, batch_id, _):
        appraisal = _document(services, caller, body.appraisal_record_id, action="disposal.appraisal")
        disposal.record_appraisal(batch_id, appraisal_record_id=appraisal, agreed=body.agreed,
                                  actor=caller.actor, opinion=body.opinion)
    return _status(services, batch_id)


@router.post("/disposals/{batch_id}/approve", response_model=Approved,
             summary="Quyết định hủy — approve (never by the proposer)", responses=ERRORS)
def approve(batch_id: BatchId, body: ApproveRequest, services: ServicesDep, caller: RetentionCaller) -> dict:
    with _on_batch(services, caller, "disposal.approve", batch_id,
                   decision_record_id=body.decision_record_id) as (disposal, batch_id, _):
        decision = _document(services, caller, body.decision_record_id, action="disposal.approve")
        return disposal.approve(batch_id, decision_record_id=decision, actor=caller.actor)


@router.post("/disposals/{batch_id}/destroy", response_model=DestroyResult,
             summary="Hủy tài liệu — destroy an approved batch; dry_run lists exactly what would go",
             responses={**ERRORS, 409: {"description": "Not approved, the caller proposed it, or holds cover records "
                                                       "of the batch (see `held`)"}})
def destroy(batch_id: BatchId, services: ServicesDep, caller: RetentionCaller, body: DestroyRequest | None = None) -> dict:
    body = body or DestroyRequest()
    with _on_batch(services, caller, "disposal.destroy", batch_id,
                   dry_run=body.dry_run, exclude_held=body.exclude_held) as (disposal, batch_id, info):
        if body.dry_run:
            out = disposal.destroy(batch_id, actor=caller.actor, dry_run=True)
            info["records"] = len(out["records"])
            return out
        if not body.exclude_held:
            held = {p["record_id"]: p["blocked"].split(": ", 1)[1].split(", ") for p in disposal.plan(batch_id)
                    if (p["blocked"] or "").startswith("held")}
            if held:
                raise ApiProblem(409, f"{len(held)} records of the batch are under a legal hold",
                                 f"Có {len(held)} văn bản trong đợt hủy đang bị phong tỏa: giải tỏa trước, hoặc "
                                 "gửi exclude_held=true để đưa chúng ra khỏi đợt hủy", code="held", held=held)
        out = disposal.destroy(batch_id, actor=caller.actor)
        info.update(destroyed=len(out.get("destroyed", [])), state=out.get("state"))
    return {"dry_run": False, **out}


@router.get("/destroyed", response_model=DestroyedPage,
            summary="Danh mục tài liệu đã hủy — the permanent list of destroyed records", responses=ERRORS)
def destroyed(services: ServicesDep, caller: RetentionCaller,
              batch_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9-]+$")] = None,
              page: Page = 1, size: Size = 50) -> dict:
    size = page_size(services, size)
    _, disposal = _svc(services)
    rows = disposal.destruction.register(batch_id)
    items = rows[(page - 1) * size: page * size]
    _audit(services, caller, "api.disposal.destroyed", detail={"batch_id": batch_id, "page": page,
                                                              "total": len(rows)})
    return {"items": items, "total": len(rows), "page": page, "size": size}

