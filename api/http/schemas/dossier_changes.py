"""Request and response models of the dossier changes under ``/api/v1/dossiers``
(``api/http/routes/dossier_changes.py``): edit, close, reopen, filing records and its result. Names are
the OpenAPI document's component names; ``api.http.routes.dossier_changes`` re-exports them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.collections import DossierPublic

RecordRef = Annotated[str, Field(min_length=1, max_length=200,
                                 description="Văn bản: id, id rút gọn (8 ký tự đầu) hoặc số ký hiệu")]


class DossierUpdate(BaseModel):
    """Các trường cần sửa (chỉ những trường gửi lên). ``null`` xóa một trường không bắt buộc; với
    thời gian bắt đầu/kết thúc, ``null`` trả về thời gian theo các văn bản."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=2000, description="Tiêu đề hồ sơ (tối đa 500 ký tự)")
    year: int | None = Field(None, description="Năm hình thành (đổi mã hồ sơ)")
    notation: str | None = Field(None, max_length=100, description="Số và ký hiệu hồ sơ (đổi mã hồ sơ)")
    start_date: date | None = None
    end_date: date | None = None
    access_regime: Literal["public", "internal", "restricted"] | None = None
    creator: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    catalogue_number: str | None = Field(None, max_length=100)
    sheet_total: int | None = Field(None, ge=0)
    reason: str | None = Field(None, max_length=2000, description="Lý do sửa (ghi nhật ký)")


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=2000, description="Lý do, ghi chú (không bắt buộc)")


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=2000, description="Lý do mở lại hồ sơ đã kết thúc (bắt buộc)")


class FileRequest(BaseModel):
    """Lập hồ sơ: các văn bản cần đưa vào hồ sơ, và lý do."""

    model_config = ConfigDict(extra="forbid")
    records: list[RecordRef] = Field(min_length=1, max_length=1000)
    reason: str = Field(max_length=2000, description="Lý do (bắt buộc, ghi nhật ký)")


class FiledRecord(BaseModel):
    record_id: str
    so_ky_hieu: str | None = None
    from_dossier_id: str | None = Field(None, description="Hồ sơ cũ (null: văn bản chưa lập hồ sơ)")
    from_code: str | None = None
    doc_ordinal: int = Field(description="Số thứ tự văn bản trong hồ sơ")


class FilingResult(BaseModel):
    dossier: DossierPublic
    filed: list[FiledRecord]
    unchanged: list[str] = Field(description="Văn bản đã ở trong hồ sơ từ trước")
