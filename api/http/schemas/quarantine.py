"""Request and response models of ``/api/v1/quarantine`` (``api/http/routes/quarantine.py``): entries,
their release and discarding. Names are the OpenAPI document's component names;
``api.http.routes.quarantine`` re-exports them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PastReason(BaseModel):
    code: str | None = None
    message_vi: str | None = None
    message_en: str | None = None
    at: str | None = None


class QuarantineEntry(BaseModel):
    """Một tệp trong khu cách ly."""

    id: str = Field(description="Mã mục cách ly")
    day: str = Field(description="Ngày (UTC) bị từ chối, tên thư mục")
    at: str | None = Field(None, description="Thời điểm bị từ chối (lần gần nhất)")
    code: str | None = Field(None, description="Mã lý do: empty_file, corrupt, invalid_metadata…")
    message_vi: str | None = Field(None, description="Lý do (tiếng Việt)")
    message_en: str | None = None
    name: str | None = Field(None, description="Tên tệp đã nộp")
    size: int | None = Field(None, description="Cỡ tệp (byte); null: không giữ được tệp")
    sha256: str | None = None
    submitter: str | None = Field(None, description="Tài khoản đã nộp (user:…, client:…)")
    submitter_name: str | None = Field(None, description="Người nộp (họ tên, chức vụ) hoặc tên hệ thống kết nối; "
                                       "tài khoản khi không rõ")
    source: str | None = Field(None, description="Kênh nộp: cli, api, watch, quarantine…")
    declared: dict[str, Any] = Field(default_factory=dict, description="Siêu dữ liệu đã khai báo, như khi nộp: ngày "
                                     "yyyy-mm-dd, giá trị liệt kê theo mã lưu (internal, HỎA TỐC…), số, danh sách")
    dossier_code: str | None = Field(None, description="Hồ sơ đã chỉ định")
    history: list[PastReason] = Field(default_factory=list, description="Các lý do từ chối trước (lần giải phóng "
                                      "không thành)")
    state: str = Field(description="kept, releasing (đang giải phóng), discarding (đang hủy)")


class ReleaseRequest(BaseModel):
    declared: dict[str, str] = Field(default_factory=dict, description="Siêu dữ liệu sửa lại (các trường của nộp "
                                     "lưu; \"\" bỏ trường đã khai báo)")
    dossier: str | None = Field(None, max_length=64, description="Hồ sơ đích (mã hoặc id; \"\" không đưa vào hồ "
                                "sơ; bỏ trống: như lúc nộp)")

    model_config = {"extra": "forbid"}


class ReleaseResult(BaseModel):
    entry_id: str
    released: bool = Field(description="true: tệp đã vào kho và rời khu cách ly; false: bị từ chối lại, vẫn ở đó")
    outcome: str = Field(description="ingested, duplicate hoặc rejected")
    record_id: str | None = None
    sha256: str | None = None
    code: str | None = None
    message_vi: str | None = None
    message_en: str | None = None


class DiscardRequest(BaseModel):
    reason: str = Field(max_length=2000, description="Lý do hủy (bắt buộc)")

    model_config = {"extra": "forbid"}


class DiscardTrace(BaseModel):
    """Dấu vết vĩnh viễn của một tệp đã hủy khỏi khu cách ly."""

    id: str
    name: str | None = None
    size: int | None = None
    sha256: str | None = None
    code: str | None = None
    submitter: str | None = None
    rejected_at: str | None = None
    actor: str
    at: str
    reason: str
