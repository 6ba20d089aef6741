"""Request and response models of ``/api/v1/search`` and ``/api/v1/records/{id}/similar``
(``api/http/routes/search.py``): the search body, hits and results. Names are the OpenAPI document's
component names; ``api.http.routes.search`` re-exports them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SearchHitPublic(BaseModel):
    record_id: str
    score: float
    so_ky_hieu: str | None = Field(None, description="Số và ký hiệu")
    title: str | None = Field(None, description="Trích yếu nội dung")
    date: str | None = Field(None, description="Ngày ban hành (YYYY-MM-DD)")
    type: str | None = Field(None, description="Tên loại văn bản")
    agency: str | None = Field(None, description="Cơ quan ban hành")
    signer: str | None = Field(None, description="Người ký")
    snippet: str | None = Field(None, description="Đoạn trích, từ khớp trong <b>…</b> (HTML-escaped otherwise)")


class SearchResults(BaseModel):
    total: int = Field(description="Số văn bản khớp mà người hỏi được đọc")
    hits: list[SearchHitPublic]
    facets: dict[str, dict[str, int]] = Field(default_factory=dict, description="facet → value → count")
    histogram: dict[str, int] = Field(default_factory=dict, description="year or year-month → count, in order")
    next_after: str | None = Field(None, description="Opaque: pass as search_after for the next page; null: last")


class SearchRequest(BaseModel):
    """Tìm kiếm — the body of ``POST /api/v1/search``; the same names as the query parameters."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: str = Field("", max_length=1000, description='Từ khóa: AND / OR / NOT, "cụm từ", số ký hiệu')
    type: list[str] | None = Field(None, max_length=20, description="Tên loại văn bản")
    agency: list[str] | None = Field(None, max_length=20, description="Cơ quan ban hành")
    signer: list[str] | None = Field(None, max_length=20, description="Người ký")
    date_from: date | None = Field(None, alias="from", description="Từ ngày")
    date_to: date | None = Field(None, alias="to", description="Đến ngày")
    year_from: int | None = Field(None, ge=1, le=9999)
    year_to: int | None = Field(None, ge=1, le=9999)
    dossier: list[str] | None = Field(None, max_length=50, description="Mã (id) hồ sơ")
    fonds: list[str] | None = Field(None, max_length=50, description="Mã (id) phông")
    signature_status: list[str] | None = Field(None, max_length=5,
                                               description="valid, invalid, indeterminate, unsigned")
    access_level: list[str] | None = Field(None, max_length=4, description="public, internal, restricted, secret")
    retention_status: list[str] | None = Field(None, max_length=3, description="permanent, temporary, unassigned")
    ocr_status: list[str] | None = Field(None, max_length=5, description="Nhận dạng chữ của bản scan: none, done, "
                                                                        "low_confidence, pending, missing")
    facets: list[str] | None = Field(None, max_length=9, description="type, agency, signer, year, access_level, "
                                                                     "signature_status, retention_status, fonds, dossier")
    histogram: Literal["year", "month"] | None = None
    sort: Literal["relevance", "date_desc", "date_asc"] = "relevance"
    size: int = Field(20, ge=1)
    search_after: str | None = Field(None, max_length=2000, description="next_after of the previous page")
    highlight: bool = True
