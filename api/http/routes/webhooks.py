"""Webhook subscriptions of system clients (see ``api/webhooks.py`` for events, payload, signature
and the addresses deliveries may go to).

Registering a subscription takes the ``webhooks`` scope (a system client, for itself) or an
administrator (role ``admin`` or the ``admin`` scope), who names the client with ``client``. A
client with ``webhooks``, ``read`` or ``retention`` lists and deletes its own subscriptions and
reads their deliveries; administrators see all. People of other roles get 403: deliveries go to
systems.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from api.accounts import Caller, Forbidden
from api.http.deps import CallerDep, ServicesDep, page_size
from api.http.problems import ApiProblem
from api.http.schemas.webhooks import DeliveryPublic, WebhookCreate, WebhookCreated, WebhookPublic

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

SubId = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]


def _denied(services, caller: Caller, what: str) -> None:
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="webhook.access", outcome="denied", detail={"for": what})


def webhook_caller(caller: CallerDep, services: ServicesDep) -> Caller:
    """Who sees and deletes subscriptions: administrators, and system clients with ``webhooks``,
    ``read`` or ``retention`` (their own)."""
    allowed = caller.has("admin") or (caller.kind == "client" and any(
        caller.has(s) for s in ("webhooks", "read", "retention")))
    if not allowed:
        _denied(services, caller, "manage")
        raise Forbidden("webhooks are managed by system clients and administrators",
                        "Chỉ hệ thống kết nối và quản trị viên được quản lý đăng ký nhận thông báo")
    return caller


def webhook_registrar(caller: CallerDep, services: ServicesDep) -> Caller:
    """Who registers a subscription (makes the archive send requests to a URL): administrators, and
    system clients holding the ``webhooks`` scope."""
    if not (caller.has("admin") or (caller.kind == "client" and caller.has("webhooks"))):
        _denied(services, caller, "register")
        raise Forbidden("registering a webhook takes the 'webhooks' scope or an administrator",
                        "Chỉ hệ thống kết nối có quyền đăng ký nhận thông báo (webhooks) và quản trị viên "
                        "được đăng ký địa chỉ nhận thông báo")
    return caller


WebhookCaller = Annotated[Caller, Depends(webhook_caller)]
WebhookRegistrar = Annotated[Caller, Depends(webhook_registrar)]


def _scope_client(services, caller: Caller) -> str | None:
    """The client whose subscriptions the caller sees: its own; None (all) for an administrator person."""
    if caller.kind == "client":
        return caller.id
    return None


@router.post("", status_code=201, response_model=WebhookCreated,
             summary="Đăng ký nhận thông báo — subscribe to events (the secret is returned once)",
             responses={403: {"description": "Not a system client with the webhooks scope, nor an administrator"},
                        422: {"description": "Bad URL, a receiver that is not a public address, or unknown event"}})
def create_webhook(body: WebhookCreate, services: ServicesDep, caller: WebhookRegistrar) -> dict:
    webhooks = services.webhooks
    if body.client is not None and caller.kind == "client" and body.client != caller.name and not caller.has("admin"):
        raise Forbidden("a client subscribes only for itself", "Hệ thống chỉ được đăng ký cho chính mình")
    if body.client is not None:
        client_id = webhooks.client_id(body.client)
    elif caller.kind == "client":
        client_id = caller.id
    else:
        raise ApiProblem(422, "an administrator must name the client that receives the events",
                         "Quản trị viên phải chỉ rõ hệ thống nhận thông báo (trường client)", code="invalid_request")
    return webhooks.subscribe(client_id, url=body.url, events=body.events, actor=caller.actor, address=caller.address)


@router.get("", response_model=list[WebhookPublic],
            summary="Các đăng ký nhận thông báo — subscriptions (a client's own; all for administrators)")
def list_webhooks(services: ServicesDep, caller: WebhookCaller,
                  client: Annotated[str | None, Query(max_length=100, description="Lọc theo hệ thống (quản trị)")] = None
                  ) -> list[dict]:
    webhooks = services.webhooks
    client_id = _scope_client(services, caller)
    if client_id is None or (client is not None and caller.has("admin")):
        client_id = webhooks.client_id(client) if client else None
    return webhooks.list_subscriptions(client_id)


@router.delete("/{sub_id}", status_code=204, response_class=Response,
               summary="Hủy đăng ký — unsubscribe (pending deliveries are dropped)",
               responses={404: {"description": "No such subscription of the caller"}})
def delete_webhook(sub_id: SubId, services: ServicesDep, caller: WebhookCaller) -> Response:
    owner = None if caller.has("admin") else _scope_client(services, caller)
    services.webhooks.unsubscribe(sub_id, client_id=owner, actor=caller.actor, address=caller.address)
    return Response(status_code=204)


@router.get("/{sub_id}/deliveries", response_model=list[DeliveryPublic],
            summary="Lịch sử gửi thông báo — deliveries of a subscription, newest first",
            responses={404: {"description": "No such subscription of the caller"}})
def list_deliveries(sub_id: SubId, services: ServicesDep, caller: WebhookCaller,
                    size: Annotated[int, Query(ge=1, description="Số kết quả")] = 50) -> list[dict]:
    owner = None if caller.has("admin") else _scope_client(services, caller)
    return services.webhooks.deliveries(sub_id, client_id=owner, limit=page_size(services, size))
