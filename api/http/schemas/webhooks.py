"""Request and response models of ``/api/v1/webhooks`` (``api/http/routes/webhooks.py``): subscriptions
and their deliveries. Names are the OpenAPI document's component names; ``api.http.routes.webhooks``
re-exports them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.webhooks import EVENTS


class WebhookCreate(BaseModel):
    url: str = Field(max_length=1000, description="Địa chỉ nhận (http/https) — where events are POSTed",
                     examples=["https://qlvb.so-noi-vu.gov.vn/luutru/webhook"])
    events: list[str] = Field(min_length=1, max_length=len(EVENTS) + 1,
                              description="Sự kiện — " + ", ".join(EVENTS) + "; `*` for all")
    client: str | None = Field(None, max_length=100,
                               description="Hệ thống nhận (administrators only; default: the calling client)")


class WebhookPublic(BaseModel):
    id: str
    client: str | None
    url: str
    events: list[str]
    active: bool
    created_at: str


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Khóa HMAC — shown once: keep it to verify X-Luutru-Signature")


class DeliveryPublic(BaseModel):
    id: str
    event: str
    state: str = Field(description="pending, delivered, failed")
    attempts: int
    last_status: int | None = None
    last_error: str | None = Field(None, description="Generic: HTTP <status>, no valid answer, or address not allowed")
    next_attempt_at: str | None = None
    created_at: str
    delivered_at: str | None = None
    payload: dict
