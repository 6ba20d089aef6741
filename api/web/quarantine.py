"""The quarantine (khu cách ly) from the browser, for archivists (the ``deposit`` scope).

``/quarantine`` lists the rejected files with their reasons (filters: reason, day, submitter);
``/quarantine/{id}`` shows one, with the form to release it after correction (the deposit's
declared fields and the target dossier) and the form to discard it (a reason is required).
Both forms post to the same code as ``POST /api/v1/quarantine/{id}/release|discard``
(``api.http.routes.quarantine.release_entry`` and the service's ``discard``): the same checks, the same
audit. A person without the scope gets the one 404 page; an id that names nothing too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.accounts import Caller
from api.http.problems import ApiProblem
from api.http.routes.quarantine import _audit, guarded, release_entry
from api.quarantine import quarantine_service
from api.web.actions import need
from api.web.deposit import FIELDS
from api.web.pages import NotFoundPage, PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.errors import ArchiveError
from ingest.pipeline import REASONS
from ingest.quarantine import EntryNotFound, QuarantineFilter, QuarantineInvalid

router = APIRouter(route_class=WebRoute, include_in_schema=False)
EntryRef = Annotated[str, Path(min_length=1, max_length=64)]
OTHER_REASONS = {"internal_error": ("Lỗi nội bộ khi nộp lưu", "internal error during the deposit"),
                 "interrupted": ("Lưu vào khu cách ly bị gián đoạn", "putting the file in the quarantine was "
                                 "interrupted")}
"""The codes of entries that no pipeline step gives (``IngestService``, ``Quarantine.settle_puts``)."""
CODES = (*REASONS, *OTHER_REASONS)


def _allowed(caller: Caller) -> None:
    need(caller, "deposit")


def _reasons(locale: str) -> dict[str, str]:
    return {code: {**REASONS, **OTHER_REASONS}.get(code, (code, code))[0 if locale == "vi" else 1] for code in CODES}


@router.get("/quarantine")
async def list_page(request: Request, caller: PageCaller) -> Response:
    from api.web.render import locale_of

    _allowed(caller)
    services = request.app.state.services
    q = request.query_params
    form = {k: (q.get(k) or "").strip()[:200] for k in ("code", "date", "submitter")}
    error = None
    try:
        flt = QuarantineFilter.parse(code=form["code"], day=form["date"], submitter=form["submitter"])
    except QuarantineInvalid as exc:
        flt, error = QuarantineFilter(), exc.message_vi
    entries = await run_in_threadpool(quarantine_service(services).list, flt)
    _audit(services, caller, "quarantine.list", None, count=len(entries), via="web")
    done = {k: (q.get(k) or "")[:32] for k in ("released", "discarded", "record")}
    return render(request, "quarantine.html", {"entries": entries, "form": form, "error": error,
                                               "reasons": _reasons(locale_of(request)), "done": done},
                  status=422 if error else 200)


def _entry_context(services, caller: Caller, ref: str, action: str = "quarantine.show") -> dict:
    try:
        entry = guarded(services, caller, action, ref, quarantine_service(services).show, ref)
    except (EntryNotFound, QuarantineInvalid):
        raise NotFoundPage() from None
    values = {f: entry["declared"].get(f, "") for f in FIELDS}
    return {"entry": entry, "fields": FIELDS, "values": values, "dossier": entry.get("dossier_code") or "",
            "error": None, "reason": ""}


async def _entry_form(request: Request, caller: Caller, ref: str, action: str) -> tuple[Any, dict, FormData]:
    """A form sent about one entry (release, discard): the scope check, the entry's page context (read
    as ``action``, the one 404 page when it names nothing), then the services and the form."""
    _allowed(caller)
    services = request.app.state.services
    ctx = await run_in_threadpool(_entry_context, services, caller, ref, action)
    return services, ctx, await request.form()


@router.get("/quarantine/{ref}")
async def entry_page(request: Request, ref: EntryRef, caller: PageCaller) -> Response:
    _allowed(caller)
    services = request.app.state.services
    ctx = await run_in_threadpool(_entry_context, services, caller, ref)
    _audit(services, caller, "quarantine.show", ctx["entry"]["id"], via="web")
    return render(request, "quarantine_entry.html", ctx)


@router.get("/quarantine/{ref}/file")
async def entry_file(request: Request, ref: EntryRef, caller: PageCaller) -> Response:
    from api.http.routes.quarantine import download

    _allowed(caller)
    try:
        return await run_in_threadpool(download, ref, request.app.state.services, caller)
    except (EntryNotFound, QuarantineInvalid):
        raise NotFoundPage() from None


@router.post("/quarantine/{ref}/release", dependencies=[Depends(check_csrf)])
async def release(request: Request, ref: EntryRef, caller: PageCaller) -> Response:
    services, ctx, form = await _entry_form(request, caller, ref, "quarantine.release")
    values = {f: str(form.get(f) or "").strip() for f in FIELDS}
    dossier = str(form.get("dossier") or "").strip()
    ctx = {**ctx, "values": values, "dossier": dossier}
    entry_id = ctx["entry"]["id"]
    try:
        result = await run_in_threadpool(release_entry, services, caller, entry_id, values, dossier)
    except EntryNotFound:
        raise NotFoundPage() from None
    except ApiProblem as exc:  # a field or value a deposit does not take
        return render(request, "quarantine_entry.html", {**ctx, "error": exc.detail_vi}, status=exc.status)
    except ArchiveError as exc:  # the dossier (unknown, closed), busy, no file
        from api.http.problems import STATUS_BY_CODE

        return render(request, "quarantine_entry.html", {**ctx, "error": exc.message_vi},
                      status=STATUS_BY_CODE.get(exc.code, 422))
    if not result["released"]:
        fresh = await run_in_threadpool(_entry_context, services, caller, entry_id)
        return render(request, "quarantine_entry.html",
                      {**fresh, "values": values, "dossier": dossier, "error": result["message_vi"]}, status=422)
    return RedirectResponse(f"/quarantine?released={entry_id[:8]}&record={result['record_id']}", status_code=303)


@router.post("/quarantine/{ref}/discard", dependencies=[Depends(check_csrf)])
async def discard(request: Request, ref: EntryRef, caller: PageCaller) -> Response:
    services, ctx, form = await _entry_form(request, caller, ref, "quarantine.discard")
    reason = str(form.get("reason") or "").strip()
    entry_id = ctx["entry"]["id"]
    try:
        await run_in_threadpool(guarded, services, caller, "quarantine.discard", entry_id,
                                quarantine_service(services).discard, entry_id, actor=caller.actor, reason=reason,
                                client=caller.client, address=caller.address)
    except EntryNotFound:
        raise NotFoundPage() from None
    except ArchiveError as exc:  # no reason (422), busy (409)
        from api.http.problems import STATUS_BY_CODE

        return render(request, "quarantine_entry.html", {**ctx, "reason": reason, "discard_error": exc.message_vi},
                      status=STATUS_BY_CODE.get(exc.code, 422))
    return RedirectResponse(f"/quarantine?discarded={entry_id[:8]}", status_code=303)

