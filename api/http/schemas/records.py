"""Request and response models of ``/api/v1/records`` (``api/http/routes/records.py``): metadata,
components, OCR, events, the signature report and the outcome of a deposit. Names are the OpenAPI
document's component names; ``api.http.routes.records`` re-exports them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ComponentPublic(BaseModel):
    id: str
    role: str = Field(description="original, text, ltv, rendition…")
    sha256: str
    size: int
    media_type: str
    format_id: str | None = Field(None, description="PRONOM identifier (PUID), e.g. fmt/477; null when no PRONOM "
                                  "format matched or Siegfried is not installed")
    format_name: str | None = Field(None, description="PRONOM format name")
    format_version: str | None = Field(None, description="PRONOM format version, e.g. 2b, 1.7")
    filename: str | None = None
    status: str
    created_at: str


class OcrPagePublic(BaseModel):
    page: int
    confidence: float = Field(description="Mean word confidence of the page, 0–100")
    words: int


class OcrPublic(BaseModel):
    """Nhận dạng chữ (OCR) của bản scan — docs/ingest.md."""

    status: str = Field(description="done, deferred (running in the background: the text follows), "
                                    "unavailable (Tesseract missing), disabled, failed")
    mean_confidence: float | None = Field(None, description="Mean word confidence, 0–100")
    low_confidence: bool | None = Field(None, description="A page is below LUUTRU_OCR__LOW_CONFIDENCE: "
                                                          "to be checked by the archivist")
    low_confidence_pages: list[int] | None = None
    pages: list[OcrPagePublic] | None = None
    tools: str | None = Field(None, description="OCRmyPDF, Tesseract (language), Ghostscript versions")


class EventPublic(BaseModel):
    type: str
    at: str
    agent: str
    outcome: str
    detail: str | None = None
    data: Any = None


class RecordPublic(BaseModel):
    """Một văn bản: Decree 30 metadata (Phụ lục VI), its components and signature summary."""

    id: str
    dossier_id: str | None = None
    dossier_code: str | None = None
    fonds_id: str | None = None
    doc_ordinal: int | None = None
    direction: str | None = None
    type_name: str | None = Field(None, description="Tên loại văn bản")
    code_number: str | None = Field(None, description="Số văn bản")
    code_notation: str | None = Field(None, description="Ký hiệu văn bản")
    so_ky_hieu: str | None = Field(None, description="Số và ký hiệu")
    issued_date: str | None = Field(None, description="Ngày ban hành")
    place: str | None = None
    organ_name: str | None = Field(None, description="Cơ quan ban hành")
    subject: str | None = Field(None, description="Trích yếu nội dung")
    language: str | None = None
    page_amount: int | None = None
    description: str | None = None
    signer_position: str | None = None
    signer_name: str | None = Field(None, description="Người ký")
    recipients: list | None = None
    security_level: str | None = Field(None, description="Độ mật")
    urgency: str | None = Field(None, description="Độ khẩn")
    issued_amount: int | None = None
    due_date: str | None = None
    arrival_date: str | None = None
    arrival_number: int | None = None
    access_level: str
    original_filename: str | None = None
    status: str
    version: int = Field(1, description="Phiên bản siêu dữ liệu: tăng sau mỗi lần sửa (ETag \"v<version>\")")
    created_at: str
    updated_at: str | None = None
    signature_status: str = Field(description="valid, invalid, indeterminate, unsigned")
    ocr: OcrPublic | None = Field(None, description="OCR of a scan; null for a document that needed none")
    components: list[ComponentPublic]


class SignatureSummaryPublic(BaseModel):
    """Kết quả kiểm tra một chữ ký số hoặc dấu thời gian tài liệu — one signature's verdict
    (docs/signatures.md). Records validated by earlier versions lack the newer fields (null)."""

    field: str = Field(description="Tên ô chữ ký — signature field name")
    kind: str | None = Field(None, description="signature or document_timestamp")
    status: str = Field(description="VALID, VALID_UNTRUSTED, INDETERMINATE or INVALID")
    reason: str | None = Field(None, description="Mã lý do khi không VALID — reason code (docs/signatures.md)")
    reason_vi: str | None = Field(None, description="Lý do bằng tiếng Việt")
    indication: str | None = Field(None, description="ETSI EN 319 102-1: TOTAL-PASSED, INDETERMINATE, TOTAL-FAILED")
    sub_indication: str | None = Field(None, description="ETSI sub-indication, e.g. FORMAT_FAILURE, HASH_FAILURE")
    intact: bool | None = Field(None, description="Toàn vẹn: the signed bytes are exactly the bytes the signature "
                                "covers (well-formed /ByteRange, matching digest)")
    modification_level: str | None = Field(None, description="Thay đổi sau khi ký — changes appended after "
                                           "signing: none, lta_updates, form_filling, annotations, not_allowed")
    modifications_permitted: bool | None = Field(None, description="Whether those changes are within what the "
                                                 "signer's DocMDP permission allows")
    signer: str | None = Field(None, description="Người ký")
    organisation: str | None = Field(None, description="Cơ quan, tổ chức")
    signing_time: str | None = Field(None, description="Thời điểm ký (ISO 8601)")
    timestamped: bool | None = Field(None, description="Thời điểm ký được chứng minh bằng dấu thời gian")


class SignaturesPublic(BaseModel):
    record_id: str
    status: str
    signatures: list[SignatureSummaryPublic]


class DepositResult(BaseModel):
    outcome: Literal["ingested", "duplicate", "rejected"]
    record_id: str | None = None
    sha256: str | None = None
    code: str | None = None
    message_vi: str | None = None
    message_en: str | None = None
    job_id: str | None = None
    """Scale-out: the deposit's job (``GET /api/v1/deposits/{job_id}``)."""


class DepositAccepted(BaseModel):
    """Scale-out: the upload is staged and a worker will ingest it."""

    job_id: str
    status: Literal["queued"] = "queued"
    url: str
    """``GET`` it for the outcome (also in the ``Location`` header)."""
