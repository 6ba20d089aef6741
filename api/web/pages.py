"""The pages: log in and out, search, a record (with its preview and download), the language.

Each page calls the services the HTTP API calls — ``readable_record`` for access to a record
(the same 404 for a record the person may not read as for one that does not exist),
``api.http.routes.search._search`` for searching (the access rule applied inside the engine query:
hits, totals, facet counts and snippets), ``api.http.routes.records.download`` for the original
(verified before a byte leaves) — so there is one implementation of every rule.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.accounts import AuthError, Caller
from api.http.deps import readable_record
from api.http.problems import ApiProblem
from api.web import search_form
from api.web.preview import PreviewUnavailable, preview, previewable
from api.web.render import WebRoute, render
from api.web.session import (
    LANG_COOKIE,
    check_csrf,
    clear_session,
    current_caller,
    page_caller,
    secure_cookie,
    set_session,
)
from archive.errors import RecordNotFound

log = logging.getLogger(__name__)
router = APIRouter(route_class=WebRoute, include_in_schema=False)

PageCaller = Annotated[Caller, Depends(page_caller)]
RecordRef = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
PAGE_SIZE = 20


class NotFoundPage(Exception):
    """Answered with the one 404 page (``api.web.render``)."""


class ForbiddenPage(Exception):
    """Answered with the 403 page that says the account may not do this (``api.web.render``)."""


def _local_path(value: str | None) -> str:
    """Where to go after login: a path of this site only (no ``//host`` or scheme: no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return "/search"
    return value


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/search" if current_caller(request) else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    nxt = _local_path(request.query_params.get("next"))
    if current_caller(request):
        return RedirectResponse(nxt, status_code=303)
    return render(request, "login.html", {"next": nxt, "error": None, "username": ""})


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "")[:60]
    password = str(form.get("password") or "")[:256]
    totp = str(form.get("totp") or "").strip()[:10] or None
    nxt = _local_path(str(form.get("next") or ""))
    services = request.app.state.services
    address = request.client.host if request.client else None
    failures = request.app.state.auth_failures

    def refused(refusal) -> None:
        failures.record("auth.login.refused", address, actor=f"user:{username}", shared=True,
                        detail={"reason": refusal.reason, "status": refusal.status},
                        tally={"address": address or "-", "username": username, "reason": refusal.reason})

    try:
        if not username or not password:
            raise AuthError("missing credentials", "")
        session = await request.app.state.login_guard.run(
            address, username,
            lambda: services.accounts.login(username, password, totp=totp, address=address, failures=failures),
            failure=AuthError, on_refused=refused)
    except AuthError:
        return render(request, "login.html", {"next": nxt, "error": "credentials", "username": username}, status=401)
    except ApiProblem as exc:  # throttled (429) or every hashing slot busy (503)
        return render(request, "login.html", {"next": nxt, "error": "throttled", "username": username,
                                              "retry_after": (exc.headers or {}).get("Retry-After")},
                      status=exc.status, headers={k: v for k, v in (exc.headers or {}).items() if k == "Retry-After"})
    response = RedirectResponse(nxt, status_code=303)
    set_session(request, response, session["access_token"], session["expires_at"])
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    caller = current_caller(request)
    if caller is not None:
        request.app.state.services.accounts.logout(caller)
    response = RedirectResponse("/login", status_code=303)
    clear_session(request, response)
    return response


@router.post("/language", dependencies=[Depends(check_csrf)])
async def language(request: Request) -> Response:
    form = await request.form()
    locale = str(form.get("locale") or "")
    response = RedirectResponse(_local_path(str(form.get("next") or "")), status_code=303)
    if locale in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, httponly=True, samesite="strict",
                            secure=secure_cookie(request), path="/")
    return response


@router.get("/search")
async def search(request: Request, caller: PageCaller) -> Response:
    from api.http.routes.search import _search

    services = request.app.state.services
    form = search_form.parse(request.query_params.multi_items())
    results, error = None, None
    if caller.has("search"):
        try:
            results = await _search(services, caller, form.api_params(size=PAGE_SIZE))
        except ApiProblem as exc:
            error = exc.detail_vi
    else:
        error = "forbidden"
    codes = await run_in_threadpool(_dossier_codes, services, list((results or {}).get("facets", {}).get("dossier", {})))
    return render(request, "search.html", {"form": form, "results": results, "error": error, "page_size": PAGE_SIZE,
                                           "facet_names": search_form.FACETS, "dossier_codes": codes})


def _dossier_codes(services, ids: list[str]) -> dict[str, str]:
    """Dossier facet values are ids; people know dossiers by their code (mã hồ sơ)."""
    from archive.catalogue.models import Dossier

    if not ids:
        return {}
    with services.catalogue.session() as s:
        return dict(s.execute(sa.select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids))).all())


def _record_or_404(services, caller: Caller, ref: str, action: str):
    if not caller.has("read"):
        raise NotFoundPage()
    try:
        return readable_record(services, caller, ref, action=action)
    except RecordNotFound:
        raise NotFoundPage() from None


def _record_context(services, caller: Caller, ref: str) -> dict:
    from api.http.routes.records import _public, _reason_vi, _signature_status
    from archive.catalogue.models import Dossier, Fonds

    rec = _record_or_404(services, caller, ref, "record.view")
    data = services.archive.get_record(rec.id, actor=caller.actor, audit_access=False)
    services.archive.audit_access(actor=caller.actor, address=caller.address, action="record.view",
                                  target_type="record", target_id=rec.id, detail={"via": "web"})
    public = _public(data)
    signatures = [{**s, "reason_vi": _reason_vi(s.get("reason"))}
                  for s in (rec.extra or {}).get("signatures", []) if isinstance(s, dict)]
    with services.catalogue.session() as s:
        dossier = s.get(Dossier, rec.dossier_id) if rec.dossier_id else None
        fonds = s.get(Fonds, rec.fonds_id or (dossier.fonds_id if dossier else None)) \
            if (rec.fonds_id or dossier) else None
        dossier = {"code": dossier.code, "title": dossier.title, "year": dossier.year} if dossier else None
        fonds = {"organ_id": fonds.organ_id, "name": fonds.name} if fonds else None
    events = services.archive.list_events(rec.id)
    with services.catalogue.session() as s:  # people by name and title, as the CLI and audit views show them
        names = _agent_names(s, {e["agent"] for e in events})
    for e in events:
        e["agent_name"] = names.get(e["agent"], e["agent"])
    original = next((c for c in public["components"] if c["role"] == "original"), None)
    why_not = "missing" if original is None else previewable(rec, original)
    from api.web.corrections import history

    return {"record": public, "signatures": signatures, "corrections": history(services, caller, rec.id),
            "signature_status": _signature_status(signatures),
            "events": events, "dossier": dossier, "fonds": fonds,
            "original": original, "preview_refused": why_not}


def _agent_names(s, agents: set[str]) -> dict[str, str]:
    from archive.audit_labels import person_label
    from archive.catalogue.access_tables import User

    names = sorted(a.removeprefix("user:") for a in agents if (a or "").startswith("user:"))
    if not names:
        return {}
    rows = s.execute(sa.select(User).where(User.username.in_(names))).scalars()
    return {f"user:{u.username}": person_label(u.full_name, u.title) for u in rows}


@router.get("/records/{ref}")
async def record(request: Request, ref: RecordRef, caller: PageCaller) -> Response:
    services = request.app.state.services
    ctx = await run_in_threadpool(_record_context, services, caller, ref)
    pages = None
    if ctx["preview_refused"] is None:
        info = await run_in_threadpool(services.fixity.component, ctx["record"]["id"], "original")
        try:
            pages = await run_in_threadpool(_preview_for, services, caller, ctx["record"]["id"], info)
        except PreviewUnavailable as exc:
            ctx["preview_refused"] = exc.reason
    similar = None
    if caller.has("search"):
        from api.http.routes.search import similar as similar_records

        try:  # the API's own more-like-this: trimmed to what the person may read
            similar = await similar_records(ctx["record"]["id"], services, caller, size=5)
        except ApiProblem:
            similar = None
        except BaseException as exc:
            # A failure inside the search engine (a Rust panic is a pyo3 PanicException, a
            # BaseException) must not take the record page down for its side box; /similar
            # answers it with a 500 (Tantivy's own more-like-this once panicked so, "9 >= 10").
            if type(exc).__name__ != "PanicException":
                raise
            log.error("more-like-this failed for record %s: %s", ctx["record"]["id"], exc)
            similar = None
    return render(request, "record.html", {**ctx, "preview": pages, "similar": similar})


def _preview_for(services, caller: Caller, record_id: str, info: dict):
    from archive.catalogue.models import Record

    with services.catalogue.session() as s:
        rec = s.get(Record, record_id)
        s.expunge(rec)
    if reason := previewable(rec, info):
        raise PreviewUnavailable(reason)
    return preview(services, rec, info, actor=caller.actor, address=caller.address)


@router.get("/records/{ref}/pages/{n}.png")
async def preview_page(request: Request, ref: RecordRef, n: Annotated[int, Path(ge=1, le=10000)],
                       caller: PageCaller) -> Response:
    """One page image; the record's access and state are checked on every request (a cached page of
    a record since found damaged is not served)."""
    services = request.app.state.services
    rec = await run_in_threadpool(_record_or_404, services, caller, ref, "record.preview")
    try:
        info = await run_in_threadpool(services.fixity.component, rec.id, "original")
        pv = await run_in_threadpool(_preview_for, services, caller, rec.id, info)
    except (PreviewUnavailable, RecordNotFound):
        raise NotFoundPage() from None
    if n > pv.pages:
        raise NotFoundPage()
    services.archive.audit_access(actor=caller.actor, address=caller.address, action="record.preview",
                                  target_type="record", target_id=rec.id, detail={"page": n})
    return FileResponse(pv.page(n), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/records/{ref}/download")
def download_original(request: Request, ref: RecordRef, caller: PageCaller) -> Response:
    """The original through the API's own download (verified before a byte leaves, audited)."""
    from api.http.routes.records import download

    services = request.app.state.services
    rec = _record_or_404(services, caller, ref, "record.download")
    try:
        return download(rec.id, request, services, caller, role="original", inline=False)
    except RecordNotFound:
        raise NotFoundPage() from None
    except ApiProblem as exc:  # fixity_failed: nothing of the altered bytes is sent
        return render(request, "error.html", {"status": exc.status, "message": exc.detail_vi}, status=exc.status)


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


__all__ = ["NotFoundPage", "login_redirect", "router"]
