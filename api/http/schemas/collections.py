"""Request and response models of ``/api/v1/fonds`` and ``/api/v1/dossiers``
(``api/http/routes/collections.py``): fonds, dossiers and their records, their pages, and the requests
that create and edit fonds and dossiers. Names are the OpenAPI document's component names;
``api.http.routes.collections`` re-exports them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.common import ItemPage

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$",
                           description="Id, id rút gọn (8 ký tự đầu) hoặc mã (mã hồ sơ, mã định danh của phông)")]


class FondsPublic(BaseModel):
    """Phông lưu trữ, with what the caller may see in it."""

    id: str
    organ_id: str = Field(description="Mã định danh cơ quan (OrganId), e.g. 000.00.00.H26")
    name: str = Field(description="Tên phông / cơ quan")
    description: str | None = None
    place: str | None = Field(None, description="Địa danh ghi trên văn bản kho lập cho phông")
    superior_name: str | None = Field(None, description="Tên cơ quan chủ quản")
    is_open: bool = Field(description="Phông đang mở")
    created_at: str
    dossiers: int = Field(description="Số hồ sơ người hỏi được xem")
    records: int = Field(description="Số văn bản người hỏi được đọc")


class FondsPage(ItemPage):
    items: list[FondsPublic]


class RetentionAssignmentPublic(BaseModel):
    """The current retention decision (xác định thời hạn bảo quản)."""

    schedule_code: str
    schedule_version: int
    item_code: str
    period: str = Field(description="permanent, a number of years, or a legacy special value")
    trigger: str
    action: str = Field(description="review_destroy (xem xét hủy) or transfer (nộp lưu lịch sử)")
    method: str = Field(description="rule, manual, ingest, derived, system")
    reason: str | None = None
    event_date: str | None = None
    assigned_at: str
    assigned_by: str


class DossierSummary(BaseModel):
    id: str
    code: str = Field(description="Mã hồ sơ (FileCode)")
    fonds_id: str
    year: int = Field(description="Năm hình thành hồ sơ")
    notation: str = Field(description="Số và ký hiệu hồ sơ")
    title: str = Field(description="Tiêu đề hồ sơ")
    retention: str | None = Field(None, description="Thời hạn bảo quản (Vĩnh viễn, 10 năm…)")
    access_regime: str = Field(description="Chế độ sử dụng")
    status: str = Field(description="open, closed, disposed")
    due_date: str | None = Field(None, description="Ngày đến hạn")
    due_action: str | None = None
    start_date: str | None = Field(None, description="Thời gian bắt đầu: khai báo, mở rộng theo văn bản sớm nhất")
    end_date: str | None = Field(None, description="Thời gian kết thúc: khai báo, mở rộng theo văn bản muộn nhất; "
                                                   "năm của nó bắt đầu tính thời hạn")
    doc_total: int = Field(0, description="Tổng số văn bản (DocTotal, hệ thống tự tính)")


class DossierPage(ItemPage):
    items: list[DossierSummary]


class DossierPublic(DossierSummary):
    """Hồ sơ: Decree 30 metadata, the retention decision, the due date and state, counts."""

    organ_id: str | None = Field(None, description="Mã định danh cơ quan của phông")
    catalogue_number: str | None = Field(None, description="Mục lục số (nếu có; chỉ thuộc mã hồ sơ lưu trữ)")
    archive_code: str | None = None
    retention_years: int | None = None
    permanent: bool
    creator: str | None = None
    language: str | None = None
    declared_start_date: str | None = Field(None, description="Thời gian bắt đầu do người lập hồ sơ khai báo")
    declared_end_date: str | None = Field(None, description="Thời gian kết thúc do người lập hồ sơ khai báo")
    page_total: int = Field(0, description="Tổng số trang (PageTotal, hệ thống tự tính)")
    sheet_total: int | None = Field(None, description="Số lượng tờ (hồ sơ giấy, số hóa)")
    description: str | None = None
    closed_at: str | None = Field(None, description="Thời điểm kết thúc (đóng) hồ sơ")
    created_at: str
    due_state: str | None = Field(None, description="null (pending), listed, reminded")
    disposal_state: str | None = Field(None, description="candidate (Xem xét hủy), listed in a batch, destroyed…")
    disposal_batch_id: str | None = None
    assignment: RetentionAssignmentPublic | None = None
    records: int = Field(description="Số văn bản người hỏi được đọc (không kể văn bản đã hủy)")
    records_disposed: int = Field(description="Văn bản đã hủy (chỉ tính với người có quyền quản lý thời hạn)")


class RecordSummary(BaseModel):
    id: str
    doc_ordinal: int | None = None
    type_name: str | None = Field(None, description="Tên loại văn bản")
    so_ky_hieu: str | None = Field(None, description="Số và ký hiệu")
    issued_date: str | None = None
    organ_name: str | None = None
    subject: str | None = Field(None, description="Trích yếu nội dung")
    access_level: str
    status: str
    created_at: str


class RecordPage(ItemPage):
    items: list[RecordSummary]


NoBlank = r"\S"


class FondsCreate(BaseModel):
    """Một phông mới (one per agency identifier)."""

    model_config = ConfigDict(extra="forbid")
    organ_id: str = Field(pattern=r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$", description="Mã định danh cơ quan")
    name: str = Field(min_length=1, max_length=200, pattern=NoBlank, description="Tên phông / cơ quan")
    description: str | None = Field(None, max_length=2000)
    place: str | None = Field(None, max_length=100, description="Địa danh (Biên bản hủy tài liệu), ví dụ Phủ Lý")
    superior_name: str | None = Field(None, max_length=200, description="Tên cơ quan chủ quản")


class FondsUpdate(BaseModel):
    """Các trường mô tả cần sửa của một phông (chỉ những trường gửi lên; ``null`` xóa một trường
    không bắt buộc). Mã định danh cơ quan là danh tính của phông (mã hồ sơ mang nó) nên không sửa."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200, description="Tên phông / cơ quan (bắt buộc, không để trống)")
    superior_name: str | None = Field(None, max_length=200, description="Tên cơ quan chủ quản")
    place: str | None = Field(None, max_length=100, description="Địa danh (Biên bản hủy tài liệu)")
    description: str | None = Field(None, max_length=2000, description="Lịch sử đơn vị hình thành phông, ghi chú")
    reason: str | None = Field(None, max_length=500, description="Lý do sửa (ghi vào nhật ký)")


class DossierCreate(BaseModel):
    """Một hồ sơ mới trong một phông (Decree 30 Phụ lục VI, mục III). The lengths and forms of
    Phụ lục VI are checked by ``archive.dossier_fields`` (every problem listed, in Vietnamese:
    422 ``invalid_dossier``); the limits here only bound the request."""

    model_config = ConfigDict(extra="forbid")
    fonds_id: Ref = Field(description="Phông: id hoặc mã định danh cơ quan (000.00.00.H26)")
    year: int = Field(description="Năm hình thành hồ sơ (4 chữ số)")
    notation: str = Field(max_length=100, description="Số và ký hiệu hồ sơ, e.g. 01.TCCB (tối đa 20 ký tự)")
    title: str = Field(max_length=2000, description="Tiêu đề hồ sơ (tối đa 500 ký tự)")
    access_regime: Literal["public", "internal", "restricted"] = "internal"
    status: Literal["open", "closed"] = "open"
    creator: str | None = Field(None, max_length=200, description="Người lập hồ sơ (tối đa 30 ký tự)")
    language: str = Field("vi", max_length=200, description="Ngôn ngữ (tối đa 50 ký tự)")
    start_date: date | None = Field(None, description="Thời gian bắt đầu (khai báo)")
    end_date: date | None = Field(None, description="Thời gian kết thúc (khai báo): the dossier's end date, widened "
                                                    "to its last document, starts the retention period")
    description: str | None = Field(None, max_length=2000, description="Ghi chú (tối đa 500 ký tự)")
    catalogue_number: str | None = Field(None, max_length=100, description="Mục lục số (nếu có)")
    sheet_total: int | None = Field(None, ge=0, description="Số lượng tờ (hồ sơ giấy, số hóa)")
    retention_item: str | None = Field(None, max_length=200, pattern=r"^[^/]+/.+$",
                                       description="Thời hạn theo Danh mục hồ sơ: MÃ_BẢNG/MÃ_MỤC (cần quyền retention); "
                                                   "mặc định: thời hạn dài nhất của các văn bản")
