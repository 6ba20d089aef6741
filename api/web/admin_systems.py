"""Administration of the systems that use the archive: API clients and webhook subscriptions.

Clients go through ``AccountService`` as ``luutru clients add/revoke/rotate`` do (the token is on
the answer to the POST that made it, once, and stored only as a keyed digest). Webhooks go
through the API's own route functions (``api.http.routes.webhooks``: ``create_webhook``,
``list_webhooks``, ``delete_webhook``, ``list_deliveries``) with the administrator as the caller, so
the address rule (public Internet addresses only, checked after DNS resolution), the events, the
client's state and the audit entries are the API's. Administrators only (``api.web.admin``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.accounts import CLIENT_SCOPES, AccountError
from api.web.admin import AdminCaller, _form_list, admin_view, audit_view, fonds_choices
from api.web.i18n import N_
from api.web.numbers import int_in
from api.web.pages import NotFoundPage
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.access import ACCESS_LEVELS
from archive.errors import ArchiveError

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ClientName = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[^\s/]+$")]
SubId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]

SCOPE_WORDS = {"read": N_("read records"), "deposit": N_("deposit"), "search": N_("search"),
               "retention": N_("retention and disposal"), "audit": N_("read the audit log"),
               "metrics": N_("metrics"), "admin": N_("administration (everything)"),
               "oai": N_("OAI-PMH harvesting"), "webhooks": N_("subscribe to events (webhooks)")}
"""What each client scope lets a system do, in words (``api.accounts.CLIENT_SCOPES``)."""




# API clients ---------------------------------------------------------------------------------------
def _clients_context(services, **extra) -> dict:
    fonds = fonds_choices(services)
    return {"clients": services.accounts.list_clients(), "scopes": CLIENT_SCOPES, "scope_words": SCOPE_WORDS,
            "levels": ACCESS_LEVELS, "fonds": fonds, "fonds_names": {f["id"]: f["name"] for f in fonds},
            "error": None, "values": {}, **extra}


@router.get("/admin/clients")
async def clients_page(request: Request, caller: AdminCaller) -> Response:
    return await admin_view(request, caller, "clients", "admin_clients.html", _clients_context)


@router.post("/admin/clients", dependencies=[Depends(check_csrf)])
async def create_client(request: Request, caller: AdminCaller) -> Response:
    """``luutru clients add``: the token is on this answer only."""
    services = request.app.state.services
    form = await request.form()
    fonds = {f["id"] for f in await run_in_threadpool(fonds_choices, services)}
    values = {"name": str(form.get("name") or "").strip(), "description": str(form.get("description") or "").strip(),
              "rate_limit": str(form.get("rate_limit") or "").strip(), "days": str(form.get("days") or "").strip(),
              "scopes": _form_list(form, "scopes", CLIENT_SCOPES), "levels": _form_list(form, "levels", ACCESS_LEVELS),
              "fonds": _form_list(form, "fonds", fonds)}
    rate_limit, days = int_in(values["rate_limit"], 1, 1_000_000), int_in(values["days"], 1, 36500)
    try:
        if values["rate_limit"] and rate_limit is None:
            raise AccountError("bad rate limit", "Giới hạn yêu cầu phải là số nguyên dương")
        if values["days"] and days is None:
            raise AccountError("bad expiry", "Số ngày hiệu lực phải là số nguyên từ 1 đến 36500")
        expires = datetime.now(UTC) + timedelta(days=days) if days else None
        out = await run_in_threadpool(lambda: services.accounts.create_client(
            values["name"], scopes=values["scopes"], access_levels=values["levels"] or None,
            fonds_ids=values["fonds"] or None, description=values["description"] or None, rate_limit=rate_limit,
            expires_at=expires, actor=caller.actor))
    except AccountError as exc:
        ctx = await run_in_threadpool(_clients_context, services, error=exc.message_vi, values=values)
        return render(request, "admin_clients.html", ctx, status=422)
    return render(request, "admin_secret.html", {"kind": "client_created", "client": out, "secret": out["token"]})


@router.post("/admin/clients/{name}/revoke", dependencies=[Depends(check_csrf)])
async def revoke_client(request: Request, name: ClientName, caller: AdminCaller) -> Response:
    services = request.app.state.services
    try:
        await run_in_threadpool(lambda: services.accounts.revoke_client(name, actor=caller.actor))
    except AccountError:
        raise NotFoundPage() from None
    return RedirectResponse("/admin/clients", status_code=303)


@router.post("/admin/clients/{name}/rotate", dependencies=[Depends(check_csrf)])
async def rotate_client(request: Request, name: ClientName, caller: AdminCaller) -> Response:
    """``luutru clients rotate``: a new token, shown once; the old one stops working at once."""
    services = request.app.state.services
    try:
        out = await run_in_threadpool(lambda: services.accounts.rotate_client(name, actor=caller.actor))
    except AccountError:
        raise NotFoundPage() from None
    return render(request, "admin_secret.html", {"kind": "client_rotated", "client": out, "secret": out["token"]})


# webhooks -------------------------------------------------------------------------------------------
def _webhooks_context(services, caller, **extra) -> dict:
    from api.http.routes.webhooks import list_webhooks
    from api.webhooks import EVENTS

    clients = [c for c in services.accounts.list_clients() if c["active"]]
    return {"subs": list_webhooks(services, caller, client=None), "clients": clients, "events": EVENTS,
            "error": None, "values": {}, **extra}


@router.get("/admin/webhooks")
async def webhooks_page(request: Request, caller: AdminCaller) -> Response:
    return await admin_view(request, caller, "webhooks", "admin_webhooks.html", _webhooks_context, caller)


@router.post("/admin/webhooks", dependencies=[Depends(check_csrf)])
async def create_webhook(request: Request, caller: AdminCaller) -> Response:
    """``POST /api/v1/webhooks`` for a named client; the signing secret is on this answer only."""
    from api.http.routes.webhooks import WebhookCreate
    from api.http.routes.webhooks import create_webhook as api_create
    from api.webhooks import EVENTS

    services = request.app.state.services
    form = await request.form()
    values = {"url": str(form.get("url") or "").strip(), "client": str(form.get("client") or "").strip(),
              "events": _form_list(form, "events", (*EVENTS, "*"))}
    try:
        body = WebhookCreate(url=values["url"], events=values["events"], client=values["client"] or None)
        if body.client is None:
            raise AccountError("no client", "Cần chọn hệ thống nhận thông báo")
        out = await run_in_threadpool(api_create, body, services, caller)
    except ValidationError:
        error = "Cần địa chỉ nhận (tối đa 1000 ký tự) và ít nhất một sự kiện"
    except ArchiveError as exc:  # a private or unresolvable address, a bad URL, a revoked client
        error = exc.message_vi
    else:
        return render(request, "admin_secret.html", {"kind": "webhook_created", "sub": out, "secret": out["secret"]})
    ctx = await run_in_threadpool(_webhooks_context, services, caller, error=error, values=values)
    return render(request, "admin_webhooks.html", ctx, status=422)


@router.post("/admin/webhooks/{sub_id}/delete", dependencies=[Depends(check_csrf)])
async def delete_webhook(request: Request, sub_id: SubId, caller: AdminCaller) -> Response:
    from api.http.routes.webhooks import delete_webhook as api_delete
    from api.webhooks import SubscriptionNotFound

    services = request.app.state.services
    try:
        await run_in_threadpool(api_delete, sub_id, services, caller)
    except SubscriptionNotFound:
        raise NotFoundPage() from None
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.get("/admin/webhooks/{sub_id}")
async def deliveries_page(request: Request, sub_id: SubId, caller: AdminCaller) -> Response:
    from api.http.routes.webhooks import list_deliveries, list_webhooks
    from api.webhooks import SubscriptionNotFound

    services = request.app.state.services
    await run_in_threadpool(audit_view, services, caller, "webhook deliveries", webhook=sub_id)
    try:
        deliveries = await run_in_threadpool(lambda: list_deliveries(sub_id, services, caller, size=50))
    except SubscriptionNotFound:
        raise NotFoundPage() from None
    subs = await run_in_threadpool(lambda: list_webhooks(services, caller, client=None))
    sub = next((s for s in subs if s["id"] == sub_id), None)
    if sub is None:
        raise NotFoundPage()
    return render(request, "admin_webhook.html", {"sub": sub, "deliveries": deliveries})
