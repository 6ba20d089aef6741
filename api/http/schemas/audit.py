"""Request and response models of ``/api/v1/audit`` (``api/http/routes/audit.py``): log entries, a page
of them and the verification of the chain. Names are the OpenAPI document's component names;
``api.http.routes.audit`` re-exports them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditEntryPublic(BaseModel):
    id: int
    occurred_at: str
    actor: str = Field(description="user:<tên đăng nhập>, client:<hệ thống>, cli:<người dùng máy>, software:…")
    actor_name: str | None = Field(None, description="Người thực hiện: họ tên (chức vụ) của tài khoản, đọc lúc xem; "
                                                     "hệ thống: như actor")
    client: str | None = None
    address: str | None = None
    action: str = Field(description="record.view, record.download, record.create, auth.login, disposal.approved…")
    target_type: str | None = None
    target_id: str | None = None
    target_label: str | None = Field(None, description="Đối tượng theo mã người dùng biết: «hồ sơ <mã hồ sơ>», "
                                                       "«văn bản <số ký hiệu>», «đợt hủy 1/2026»…")
    outcome: str = Field(description="success, failure, denied, not_found, warning…")
    detail: Any = None
    entry_hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_before: int | None = Field(None, description="Pass as `before` for the next (older) page; null: last page")


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    anchors: int
    problems: list[str]
    last_anchor: dict | None = Field(None, description="Newest anchor: keep a copy of token_sha256 elsewhere")
    published: int | None = Field(None, description="Anchors published in the object store (audit/anchors/)")
    unpublished: list[int] = Field(default_factory=list, description="Anchors not yet published (the next repair "
                                                                     "pass publishes them)")
    segments: int | None = Field(None, description="Published segments of entries in the object store "
                                                   "(audit/entries/: what each anchor covers, for a rebuild)")
    unsegmented: list[int] = Field(default_factory=list, description="Anchors whose entries are not yet published "
                                                                     "(the next repair pass publishes them)")
