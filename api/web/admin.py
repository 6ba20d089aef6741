"""Administration from the browser: users and roles, and every person's own second factor.

Administrators only (the ``admin`` scope that ``luutru users`` and the API's account routes
require): anyone else gets the 403 page, audited as ``admin.page`` denied, and sees no link to it.
Each page calls ``api.accounts.AccountService`` exactly as ``api/cli/accounts.py`` and
``api/http/routes/auth.py`` do — create, update, password reset (ends the person's sessions), the
login guard's unlock (``auth.unlock``), the second-factor reset (``user.totp_disable``) — so the
rules and the audit entries are those of the CLI and the API. A generated password is shown once,
on the answer to the POST, and kept nowhere but as its argon2id hash.

"Tài khoản của tôi" (``/account``) is every person's: TOTP enrolment in the API's two steps
(``POST /api/v1/auth/totp`` then ``…/confirm``): the password and, when a second factor exists,
its current code (throttled by the login guard as a login attempt), then the new secret with its
``otpauth://`` URI as a QR code drawn on the server (``segno``, a ``data:`` image: nothing leaves
the archive), and it counts only once a code of the new secret confirms it. The pending
enrolment travels in the form, sealed (``api.totp``): bound to this person and this session.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.accounts import ROLE_LEVELS, ROLES, AccountError, Caller, ReauthenticationFailed
from api.http.problems import ApiProblem
from api.web.pages import PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.access import ACCESS_LEVELS

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Username = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[^\s/]+$")]


class AdminOnly(Exception):
    """A page of the administration asked for by someone who is not an administrator (403 page)."""


def admin_caller(request: Request, caller: PageCaller) -> Caller:
    """The signed-in administrator, else ``AdminOnly`` (the refusal is audited, as the API's
    ``require("admin")`` audits its 403)."""
    if not caller.has("admin"):
        request.app.state.services.archive.audit_access(
            actor=caller.actor, address=caller.address, action="admin.page", outcome="denied",
            detail={"path": request.url.path[:200], "method": request.method})
        raise AdminOnly()
    return caller


AdminCaller = Annotated[Caller, Depends(admin_caller)]


def audit_view(services, caller: Caller, page: str, **detail) -> None:
    """Looking at an administration page is an access like any other: audited."""
    services.archive.audit_access(actor=caller.actor, address=caller.address, action="admin.view",
                                  detail={"page": page, **{k: v for k, v in detail.items() if v}})


async def admin_view(request: Request, caller: Caller, page: str, template: str, build, *args) -> Response:
    """An administration page to read: the view audited (:func:`audit_view`), then
    ``build(services, *args)`` run off the event loop (it reads the catalogue) and rendered."""
    services = request.app.state.services
    await run_in_threadpool(audit_view, services, caller, page)
    return render(request, template, await run_in_threadpool(build, services, *args))


def fonds_choices(services) -> list[dict]:
    from archive.catalogue.models import Fonds

    with services.catalogue.session() as s:
        return [{"id": f.id, "organ_id": f.organ_id, "name": f.name}
                for f in s.execute(sa.select(Fonds).order_by(Fonds.name)).scalars()]


def _form_list(form, name: str, allowed) -> list[str]:
    return [v for v in (str(x) for x in form.getlist(name)) if v in allowed]


def _password(form) -> tuple[str, bool]:
    """The password the administrator typed, or a generated one (shown once), as ``luutru users
    add --generate-password`` makes it."""
    if str(form.get("password_mode") or "generate") == "set":
        return str(form.get("password") or "")[:256], False
    return secrets.token_urlsafe(12), True


# users --------------------------------------------------------------------------------------------
def _users_context(services, **extra) -> dict:
    users = services.accounts.list_users()
    fonds = fonds_choices(services)
    return {"users": users, "fonds": fonds, "fonds_names": {f["id"]: f["name"] for f in fonds},
            "roles": ROLES, "levels": ACCESS_LEVELS, "error": None, "values": {}, **extra}


@router.get("/admin")
def admin_home(caller: AdminCaller) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users")
async def users_page(request: Request, caller: AdminCaller) -> Response:
    return await admin_view(request, caller, "users", "admin_users.html", _users_context)


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
async def create_user(request: Request, caller: AdminCaller) -> Response:
    services = request.app.state.services
    form = await request.form()
    fonds = await run_in_threadpool(fonds_choices, services)
    values = {k: str(form.get(k) or "").strip() for k in ("username", "full_name", "title", "email", "role")}
    levels = _form_list(form, "levels", ACCESS_LEVELS)
    fonds_ids = _form_list(form, "fonds", {f["id"] for f in fonds})
    password, generated = _password(form)
    try:
        if not values["full_name"]:
            raise AccountError("a full name is required", "Cần ghi họ và tên")
        user = await run_in_threadpool(lambda: services.accounts.create_user(
            values["username"], full_name=values["full_name"], role=values["role"], password=password,
            email=values["email"] or None, access_levels=levels or None, fonds_ids=fonds_ids or None,
            actor=caller.actor, title=values["title"] or None))
    except AccountError as exc:
        ctx = await run_in_threadpool(_users_context, services, error=exc.message_vi,
                                      values={**values, "levels": levels, "fonds": fonds_ids})
        return render(request, "admin_users.html", ctx, status=422)
    return render(request, "admin_secret.html", {"kind": "user_created", "person": user,
                                                 "secret": password if generated else None})


def _user_or_none(services, username: str) -> dict | None:
    try:
        return services.accounts.get_user(username)
    except AccountError:
        return None


async def _user_page(request: Request, username: str, *, error: str | None = None, done: str | None = None,
                     status: int = 200) -> Response:
    from api.web.pages import NotFoundPage

    services = request.app.state.services
    user = await run_in_threadpool(_user_or_none, services, username)
    if user is None:
        raise NotFoundPage()
    fonds = await run_in_threadpool(fonds_choices, services)
    return render(request, "admin_user.html", {"u": user, "fonds": fonds, "roles": ROLES, "levels": ACCESS_LEVELS,
                                               "error": error, "done": done}, status=status)


@router.get("/admin/users/{username}")
async def user_page(request: Request, username: Username, caller: AdminCaller) -> Response:
    services = request.app.state.services
    await run_in_threadpool(audit_view, services, caller, "user", username=username)
    done = request.query_params.get("done")
    return await _user_page(request, username, done=done if done in DONE else None)


DONE = ("saved", "unlocked", "totp_reset")


@router.post("/admin/users/{username}", dependencies=[Depends(check_csrf)])
async def update_user(request: Request, username: Username, caller: AdminCaller) -> Response:
    """Role, title, access levels, fonds limit and state, as ``luutru users set`` (disabling ends
    every session of the person)."""
    services = request.app.state.services
    form = await request.form()
    fonds = {f["id"] for f in await run_in_threadpool(fonds_choices, services)}
    role = str(form.get("role") or "")
    changes = {"role": role or None, "title": str(form.get("title") or ""),
               # none ticked: the role's default levels, as when the account is created
               "access_levels": _form_list(form, "levels", ACCESS_LEVELS) or list(ROLE_LEVELS.get(role, ())),
               "fonds_ids": _form_list(form, "fonds", fonds) or None, "active": form.get("active") == "on"}
    try:
        user = await run_in_threadpool(lambda: services.accounts.update_user(username, actor=caller.actor, **changes))
    except AccountError as exc:
        return await _user_page(request, username, error=exc.message_vi, status=422)
    return RedirectResponse(f"/admin/users/{user['username']}?done=saved", status_code=303)


@router.post("/admin/users/{username}/password", dependencies=[Depends(check_csrf)])
async def reset_password(request: Request, username: Username, caller: AdminCaller) -> Response:
    """A new password (typed or generated, shown once); every session of the person ends and the
    account's failure counters are reset (``luutru users passwd``)."""
    services = request.app.state.services
    form = await request.form()
    password, generated = _password(form)
    try:
        user = await run_in_threadpool(lambda: services.accounts.update_user(username, actor=caller.actor,
                                                                             password=password))
    except AccountError as exc:
        return await _user_page(request, username, error=exc.message_vi, status=422)
    return render(request, "admin_secret.html", {"kind": "password_reset", "person": user,
                                                 "secret": password if generated else None})


@router.post("/admin/users/{username}/unlock", dependencies=[Depends(check_csrf)])
async def unlock_user(request: Request, username: Username, caller: AdminCaller) -> Response:
    """The API's ``POST /api/v1/auth/unlock`` for an account: audited ``auth.unlock``, then this
    process's (or Redis') counters for the account are cleared."""
    services = request.app.state.services
    try:
        detail = await run_in_threadpool(lambda: services.accounts.record_unlock(
            actor=caller.actor, username=username, address=None, caller_address=caller.address))
    except AccountError as exc:
        return await _user_page(request, username, error=exc.message_vi, status=404)
    request.app.state.login_guard.unlock(username=detail["username"], address=None)
    return RedirectResponse(f"/admin/users/{detail['username']}?done=unlocked", status_code=303)


@router.post("/admin/users/{username}/totp", dependencies=[Depends(check_csrf)])
async def reset_totp(request: Request, username: Username, caller: AdminCaller) -> Response:
    """The API's ``DELETE /api/v1/auth/users/{username}/totp``: the second factor is removed, every
    session of the person ends; they enrol again with their password on "Tài khoản của tôi"."""
    services = request.app.state.services
    try:
        out = await run_in_threadpool(lambda: services.accounts.disable_totp(username, actor=caller.actor,
                                                                             address=caller.address))
    except AccountError as exc:
        return await _user_page(request, username, error=exc.message_vi, status=404)
    return RedirectResponse(f"/admin/users/{out['username']}?done=totp_reset", status_code=303)


# my account: TOTP enrolment -----------------------------------------------------------------------
def qr_data_uri(uri: str) -> str:
    """The otpauth URI as a PNG QR code in a ``data:`` URI (the CSP allows ``img-src data:``)."""
    import segno

    return segno.make(uri, error="m").png_data_uri(scale=5, border=4)


def _me(services, caller: Caller) -> dict:
    return services.accounts.get_user(caller.name)


@router.get("/account")
async def account_page(request: Request, caller: PageCaller) -> Response:
    services = request.app.state.services
    me = await run_in_threadpool(_me, services, caller)
    done = request.query_params.get("done") == "totp"
    return render(request, "account.html", {"me": me, "error": None, "done": done})


def _pending_view(services, caller: Caller, pending: str) -> dict | None:
    """The secret inside a pending enrolment of this person and session (to show it again after a
    wrong code); None when it is not theirs or has expired."""
    from datetime import UTC, datetime

    from api.totp import open_pending, totp_uri

    p = open_pending(services.accounts.pepper, pending)
    if p is None or p.user_id != caller.id or p.session_id != caller.session_id \
            or p.expires < datetime.now(UTC).timestamp():
        return None
    uri = totp_uri(p.secret, caller.name)
    return {"secret": p.secret, "otpauth_uri": uri, "pending": pending, "qr": qr_data_uri(uri),
            "expires_at": datetime.fromtimestamp(p.expires, UTC).isoformat()}


@router.post("/account/totp", dependencies=[Depends(check_csrf)])
async def begin_totp(request: Request, caller: PageCaller) -> Response:
    """Step 1, as ``POST /api/v1/auth/totp``: password (+ current code), through the login guard."""
    services = request.app.state.services
    form = await request.form()
    password = str(form.get("password") or "")[:256]
    code = str(form.get("totp") or "").strip()[:10] or None
    me = await run_in_threadpool(_me, services, caller)
    try:
        started = await request.app.state.login_guard.run(
            caller.address, caller.name, lambda: services.accounts.begin_totp(caller, password, code),
            failure=ReauthenticationFailed)
    except ReauthenticationFailed as exc:
        return render(request, "account.html", {"me": me, "error": exc.message_vi, "done": False}, status=403)
    except ApiProblem as exc:  # throttled
        return render(request, "account.html", {"me": me, "error": exc.detail_vi, "done": False},
                      status=exc.status, headers={k: v for k, v in (exc.headers or {}).items() if k == "Retry-After"})
    view = {**started, "qr": qr_data_uri(started["otpauth_uri"])}
    return render(request, "account_totp.html", {"me": me, "p": view, "error": None})


@router.post("/account/totp/confirm", dependencies=[Depends(check_csrf)])
async def confirm_totp(request: Request, caller: PageCaller) -> Response:
    """Step 2, as ``POST /api/v1/auth/totp/confirm``: a code of the new secret makes it the
    person's; their other sessions end (this one stays)."""
    services = request.app.state.services
    form = await request.form()
    pending = str(form.get("pending") or "")[:1000]
    code = str(form.get("totp") or "").strip()[:10]
    try:
        await run_in_threadpool(services.accounts.confirm_totp, caller, pending, code)
    except AccountError as exc:
        me = await run_in_threadpool(_me, services, caller)
        view = await run_in_threadpool(_pending_view, services, caller, pending)
        if view is None:
            return render(request, "account.html", {"me": me, "error": exc.message_vi, "done": False}, status=422)
        return render(request, "account_totp.html", {"me": me, "p": view, "error": exc.message_vi}, status=422)
    return RedirectResponse("/account?done=totp", status_code=303)


def install(app) -> None:
    """The administration's pages and its 403 page (one line in ``api.web.render.install``)."""
    from api.web import admin_log, admin_systems

    @app.exception_handler(AdminOnly)
    async def _admin_only(request: Request, exc: AdminOnly):
        return render(request, "admin_forbidden.html", {}, status=403)

    app.include_router(router)
    app.include_router(admin_systems.router)
    app.include_router(admin_log.router)
