"""Disposal batches and the council's ballots from the browser.

Every step calls the route function of the HTTP API (``api.http.routes.retention``: ``propose``,
``batch_status``, ``ballot``, ``vote``, ``close_review``, ``approve``, ``destroy``) with the
signed-in person as the caller, so the workflow's rules (the council of accounts, votes as
oneself, the majority, the two-person rule, holds checked again at destruction) and the audit are
exactly the API's; a refusal is shown with the API's Vietnamese message. A batch has a bookmarkable
URL by its number (``/disposals/3-2026`` for đợt 3/2026, as the CLI and the API accept).

Scopes as over HTTP: ``retention`` for batches (archivists, administrators), ``council`` for
ballots — a member sees and votes only on the batches whose council names them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.accounts import ROLE_SCOPES, Caller
from api.http.problems import ApiProblem
from api.web.actions import Listing, attempt, form_text, list_download, need, posted, show
from api.web.pages import ForbiddenPage, NotFoundPage, PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)
BatchRef = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


def slug(status: dict) -> str:
    """The batch's path segment: its number with a hyphen (3-2026), else its id."""
    return status["number"].replace("/", "-") if status.get("number") else status["batch_id"]


def council_people(services) -> list[dict]:
    """The accounts that may sit on a council (active, a role with the ``council`` scope), by name."""
    return [u for u in services.accounts.list_users() if u["active"] and "council" in ROLE_SCOPES[u["role"]]]


# batches ----------------------------------------------------------------------------------------

@router.get("/disposals")
async def batches_page(request: Request, caller: PageCaller) -> Response:
    from api.http.routes.retention import list_batches

    need(caller, "retention")
    services = request.app.state.services
    page = await run_in_threadpool(list_batches, services, caller, None, 1, services.settings.api.max_page_size)
    return render(request, "disposals.html", {"batches": page})


def _status(services, caller: Caller, ref: str) -> dict:
    from api.http.routes.retention import batch_status

    out, _error, _status = attempt(batch_status, ref, services, caller)
    if out is None:
        raise NotFoundPage()
    return out


def _batch_context(services, caller: Caller, ref: str) -> dict:
    st = _status(services, caller, ref)
    return {"b": st, "slug": slug(st), "is_proposer": caller.actor == st["proposed_by"], "error": None,
            "form": {}, "plan": None}


@router.get("/disposals/{ref}")
async def batch_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    return await show(request, caller, "retention", "disposal.html", _batch_context, ref)


@router.post("/disposals", dependencies=[Depends(check_csrf)])
async def propose_page(request: Request, caller: PageCaller) -> Response:
    """Lập Danh mục from the «Xem xét hủy» list: the dossiers ticked, the council ticked by name."""
    from api.http.routes.retention import ProposeRequest, propose
    from api.web.retention import due_context

    services, form = await posted(request, caller, "retention")
    sent = {"title": form_text(form, "title", 500), "explanation": form_text(form, "explanation", 20000),
            "dossiers": [str(v) for v in form.getlist("dossiers")][:5000],
            "council": [str(v) for v in form.getlist("council")][:25],
            "appraisal": form.get("appraisal_required") == "1"}

    def run():
        if not sent["dossiers"]:
            raise ApiProblem(422, "no dossier chosen", "Chưa chọn hồ sơ nào", code="invalid_request")
        if len(sent["council"]) < 3:
            raise ApiProblem(422, "a council of at least three", "Hội đồng xét hủy cần ít nhất 3 thành viên",
                             code="invalid_request")
        if not sent["title"] or not sent["explanation"]:
            raise ApiProblem(422, "title and explanation required", "Cần ghi tên danh mục và bản thuyết minh",
                             code="invalid_request")
        return propose(ProposeRequest(title=sent["title"], explanation=sent["explanation"], council=sent["council"],
                                      dossier_ids=sent["dossiers"], appraisal_required=sent["appraisal"]),
                       services, caller)

    out, error, status = await run_in_threadpool(attempt, run)
    if error is None:
        return RedirectResponse(f"/disposals/{out['number'].replace('/', '-')}", status_code=303)
    ctx = await run_in_threadpool(due_context, services, caller, None, "review_destroy", 1)
    return render(request, "retention_due.html", {**ctx, "error": error, "form": sent}, status=status)


async def _step(request: Request, caller: PageCaller, ref: str, run) -> Response:
    """A workflow step from the batch page: the route function, then back to the batch page (or the
    page again with the API's refusal)."""
    services, form = await posted(request, caller, "retention")
    ctx = await run_in_threadpool(_batch_context, services, caller, ref)
    _out, error, status = await run_in_threadpool(attempt, run, services, ctx["b"]["batch_id"], form)
    if error is None:
        return RedirectResponse(f"/disposals/{ctx['slug']}", status_code=303)
    ctx = await run_in_threadpool(_batch_context, services, caller, ref)
    return render(request, "disposal.html", {**ctx, "error": error, "form": {k: str(v) for k, v in form.items()}},
                  status=status)


@router.post("/disposals/{ref}/review", dependencies=[Depends(check_csrf)])
async def review_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    """Kết thúc phiên xét with the Biên bản họp Hội đồng (its số ký hiệu)."""
    from api.http.routes.retention import ReviewRequest, close_review

    def run(services, batch_id, form):
        return close_review(batch_id, ReviewRequest(minutes_record_id=form_text(form, "minutes", 100)), services,
                            caller)

    return await _step(request, caller, ref, run)


@router.post("/disposals/{ref}/approve", dependencies=[Depends(check_csrf)])
async def approve_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    """Quyết định hủy (its số ký hiệu): never by the proposer — the service refuses, the page says why."""
    from api.http.routes.retention import ApproveRequest, approve

    def run(services, batch_id, form):
        return approve(batch_id, ApproveRequest(decision_record_id=form_text(form, "decision", 100)), services, caller)

    return await _step(request, caller, ref, run)


@router.post("/disposals/{ref}/appraisal-request", dependencies=[Depends(check_csrf)])
async def appraisal_request_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    """Đề nghị thẩm định (an agency of the nộp lưu source), with the letter's số ký hiệu if any."""
    from api.http.routes.retention import AppraisalRequestIn, request_appraisal

    def run(services, batch_id, form):
        letter = form_text(form, "letter", 100) or None
        return request_appraisal(batch_id, AppraisalRequestIn(letter_record_id=letter), services, caller)

    return await _step(request, caller, ref, run)


@router.post("/disposals/{ref}/appraisal", dependencies=[Depends(check_csrf)])
async def appraisal_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    """Kết quả thẩm định: the appraisal's số ký hiệu, agreed or not, the opinion."""
    from api.http.routes.retention import AppraisalIn, record_appraisal

    def run(services, batch_id, form):
        agreed = form_text(form, "agreed", 5)
        if agreed not in ("yes", "no"):
            raise ApiProblem(422, "agreed or not", "Chưa chọn kết quả thẩm định", code="invalid_request")
        body = AppraisalIn(appraisal_record_id=form_text(form, "appraisal", 100), agreed=agreed == "yes",
                           opinion=form_text(form, "opinion", 1000) or None)
        return record_appraisal(batch_id, body, services, caller)

    return await _step(request, caller, ref, run)


def _plan(services, caller: Caller, ref: str) -> dict:
    from api.http.routes.retention import DestroyRequest, destroy

    ctx = _batch_context(services, caller, ref)
    plan, error, _status = attempt(destroy, ctx["b"]["batch_id"], services, caller, DestroyRequest(dry_run=True))
    codes = {i["dossier_id"]: i["code"] for i in ctx["b"]["items"]}
    for r in (plan or {}).get("records") or []:
        r["dossier_code"] = codes.get(r.get("dossier_id"))
        r["size"] = sum(o["size"] for o in r["objects"] if o["action"] == "delete")
    return {**ctx, "plan": plan, "error": error}


@router.get("/disposals/{ref}/destroy")
async def destroy_preview(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    """Chạy thử: exactly what the destruction would remove now (the API's ``dry_run``)."""
    return await show(request, caller, "retention", "disposal_destroy.html", _plan, ref)


@router.post("/disposals/{ref}/destroy", dependencies=[Depends(check_csrf)])
async def destroy_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    from api.http.routes.retention import DestroyRequest, destroy

    services, form = await posted(request, caller, "retention")
    ctx = await run_in_threadpool(_batch_context, services, caller, ref)
    body = DestroyRequest(dry_run=False, exclude_held=form.get("exclude_held") == "1")
    out, error, status = await run_in_threadpool(attempt, destroy, ctx["b"]["batch_id"], services, caller, body)
    if error is None:
        return RedirectResponse(f"/disposals/{ctx['slug']}?destroyed={len(out.get('destroyed') or [])}",
                                status_code=303)
    ctx = await run_in_threadpool(_plan, services, caller, ref)
    return render(request, "disposal_destroy.html", {**ctx, "error": error}, status=status)


@router.get("/retention/destroyed.{fmt}")
async def register_download(request: Request, fmt: str, caller: PageCaller) -> Response:
    """Danh mục tài liệu đã hủy (all, or one batch with ``?batch=3-2026``) as the CLI writes it
    (``retention.destroyed_list``: Vietnamese headers, dd/mm/yyyy, local time; CSV with a BOM)."""
    from api.http.routes.retention import _audit
    from retention import destroyed_list

    need(caller, "retention")
    services = request.app.state.services
    ref = request.query_params.get("batch")

    def build() -> Listing:
        batch_id = None
        if ref:
            batch_id = _status(services, caller, ref)["batch_id"]
        with services.catalogue.session() as s:
            rows = destroyed_list.rows(s, batch_id)
        _audit(services, caller, "api.disposal.destroyed", target_type="disposal_batch" if batch_id else None,
               target_id=batch_id, detail={"format": fmt, "total": len(rows), "web": True})
        return (destroyed_list.COLUMNS, destroyed_list.WIDTHS, rows, [], "Danh mục tài liệu đã hủy",
                f"danh-muc-tai-lieu-da-huy{'-' + ref if ref else ''}")

    return await list_download(fmt, build)


# ballots ----------------------------------------------------------------------------------------

def _pending(services, caller: Caller) -> list[dict]:
    """Batches waiting for the council (state ``listed``) on which this person sits; each as the
    API's ``ballot`` route gives it (which applies the membership rule itself)."""
    import sqlalchemy as sa

    from api.http.routes.retention import ballot
    from archive.catalogue.retention_tables import DisposalBatch

    with services.catalogue.session() as s:
        ids = list(s.execute(sa.select(DisposalBatch.id).where(DisposalBatch.state == "listed")
                             .order_by(DisposalBatch.proposed_at.desc())).scalars())
    out = []
    for batch_id in ids:
        st, _error, _status = attempt(ballot, batch_id, services, caller)
        if st is not None:
            mine = [v for v in st["votes"] if v["member"] == caller.actor and v["vote"]]
            on = {v["dossier_id"] for v in mine}
            out.append({**st, "slug": slug(st), "voted": len(st["items"]) if None in on else len(on)})
    return out


@router.get("/ballots")
async def ballots_page(request: Request, caller: PageCaller) -> Response:
    need(caller, "council")
    rows = await run_in_threadpool(_pending, request.app.state.services, caller)
    return render(request, "ballots.html", {"ballots": rows})


def _ballot_context(services, caller: Caller, ref: str) -> dict:
    from api.http.routes.retention import ballot

    st, _error, _status = attempt(ballot, ref, services, caller)
    if st is None:
        raise NotFoundPage()
    mine = {v["dossier_id"]: v for v in st["votes"] if v["member"] == caller.actor and v["vote"]}
    return {"b": st, "slug": slug(st), "mine": mine, "error": None, "voted": None}


@router.get("/ballots/{ref}")
async def ballot_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    return await show(request, caller, "council", "ballot.html", _ballot_context, ref)


@router.post("/ballots/{ref}/vote", dependencies=[Depends(check_csrf)])
async def vote_page(request: Request, ref: BatchRef, caller: PageCaller) -> Response:
    """One vote as oneself: on one dossier (with a comment) or on the whole list at once."""
    from api.http.routes.retention import VoteRequest, ballot, vote

    services, form = await posted(request, caller, "council")
    _st, _e, code = await run_in_threadpool(attempt, ballot, ref, services, caller)
    if code != 200:  # not on this batch's council (or no such batch): nothing to vote on
        raise ForbiddenPage()
    dossier = form_text(form, "dossier", 100)
    choice = form_text(form, "vote", 10)

    def run():
        if choice not in ("approve", "reject", "abstain"):
            raise ApiProblem(422, "no vote chosen", "Chưa chọn ý kiến", code="invalid_request")
        body = VoteRequest(vote=choice, opinion=form_text(form, "opinion", 2000) or None,
                           dossiers=[dossier] if dossier else None)
        return vote(ref, body, services, caller)

    out, error, status = await run_in_threadpool(attempt, run)
    if error is None:
        return RedirectResponse(f"/ballots/{ref}?voted={len(out['dossiers'])}", status_code=303)
    ctx = await run_in_threadpool(_ballot_context, services, caller, ref)
    return render(request, "ballot.html", {**ctx, "error": error}, status=status)
