"""Request and response models of ``PATCH /api/v1/records/{id}`` and ``…/history``
(``api/http/routes/corrections.py``): a correction and its changes, a record's history. Names are the
OpenAPI document's component names; ``api.http.routes.corrections`` re-exports them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.http.schemas.records import RecordPublic


class FieldChange(BaseModel):
    field: str
    label: str = Field(description="Tên trường (tiếng Việt)")
    old: Any = Field(None, description="Giá trị cũ")
    new: Any = Field(None, description="Giá trị mới")


class RecordEdited(BaseModel):
    """Kết quả sửa siêu dữ liệu."""

    record_id: str
    version: int = Field(description="Phiên bản sau khi sửa (ETag \"v<version>\")")
    change_id: str | None = Field(None, description="Lần sửa; null: các giá trị đã như vậy, không có gì thay đổi")
    changes: list[FieldChange]
    indexed: bool = Field(description="Chỉ mục tìm kiếm đã có bản sửa (false: sẽ được cập nhật bởi lần sửa chữa sau)")
    retention: dict | None = Field(None, description="Thời hạn bảo quản trước và sau, nếu thay đổi")
    at: str | None = None
    record: RecordPublic


class ChangePublic(BaseModel):
    """Một trường của một lần sửa."""

    change_id: str
    version: int
    field: str
    label: str
    old: Any = None
    new: Any = None
    reason: str | None = Field(None, description="Lý do sửa")
    redacted: bool = Field(description="Giá trị ẩn: lần sửa diễn ra khi văn bản ở mức người hỏi không được đọc")
    actor: str
    actor_name: str = Field(description="Người sửa (họ tên)")
    at: str
