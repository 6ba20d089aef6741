"""What the validator says about one signature: a status, one reason, and the evidence behind it.

The status follows the ETSI EN 319 102-1 main indications, plus the archive's own
``VALID_UNTRUSTED`` (intact and cryptographically sound, but no path to a configured trust anchor —
typical for a document signed under a foreign or a test CA):

* ``VALID`` — intact, sound, chain to a trust anchor, certificate valid and not revoked at the
  signing time, key usage and algorithms acceptable, no disallowed change after signing;
* ``VALID_UNTRUSTED`` — all of the above except the path to a trust anchor;
* ``INDETERMINATE`` — nothing is known to be wrong, but something could not be established
  (revocation status unknown, the validator failed on the file, …);
* ``INVALID`` — something is known to be wrong (bytes changed, revoked or expired at signing, …).

Each non-VALID status carries exactly one ``reason`` code from ``REASONS`` (the first problem found,
in the order of requirements-vn.md §8.6), with Vietnamese and English wording. The summary — the
shape shown under ``"signatures"`` in ``luutru show --json`` — is ``SignatureReport.summary()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    VALID = "VALID"
    VALID_UNTRUSTED = "VALID_UNTRUSTED"
    INDETERMINATE = "INDETERMINATE"
    INVALID = "INVALID"


# reason code -> (Vietnamese, English)
REASONS: dict[str, tuple[str, str]] = {
    "digest_mismatch": ("Nội dung đã bị thay đổi sau khi ký (mã băm không khớp)",
                        "the signed bytes were changed (digest mismatch)"),
    "signature_invalid": ("Chữ ký không hợp lệ về mật mã", "the signature does not verify with the certificate's key"),
    "byte_range_invalid": ("Vùng ký (ByteRange) không bao phủ toàn bộ tệp trừ chữ ký",
                           "the ByteRange does not cover the whole revision except the signature"),
    "modified_after_signing": ("Văn bản bị sửa đổi sau khi ký (thay đổi không được phép)",
                               "the document was changed after signing beyond form filling and annotations"),
    "modification_not_permitted": ("Văn bản bị sửa đổi sau khi ký ở mức người ký không cho phép",
                                   "changes after signing exceed what the signer's DocMDP permission allows"),
    "annotations_unverified": ("Có chú thích (annotation) được thêm sau khi ký; không xác minh được phần còn lại "
                               "của bản cập nhật", "annotations were added after signing; the rest of that update "
                               "could not be cleared by the difference analysis"),
    "revoked": ("Chứng thư số đã bị thu hồi tại thời điểm ký", "the certificate was revoked at the signing time"),
    "ca_revoked": ("Chứng thư số của tổ chức cấp đã bị thu hồi tại thời điểm ký",
                   "a CA certificate in the chain was revoked at the signing time"),
    "expired_at_signing": ("Chứng thư số đã hết hạn tại thời điểm ký",
                           "the certificate had expired at the signing time"),
    "not_yet_valid_at_signing": ("Chứng thư số chưa có hiệu lực tại thời điểm ký",
                                 "the certificate was not yet valid at the signing time"),
    "key_usage": ("Chứng thư số không được phép dùng để ký (mục đích sử dụng khóa)",
                  "the certificate's key usage does not allow signing"),
    "weak_algorithm": ("Thuật toán không còn được chấp nhận", "a digest or signature algorithm is not allowed"),
    "timestamp_invalid": ("Dấu thời gian kèm chữ ký không hợp lệ", "the embedded signature timestamp is invalid"),
    "no_trust_path": ("Không xây dựng được đường dẫn tin cậy tới chứng thư gốc được tin cậy",
                      "no path to a configured trust anchor"),
    "revocation_unknown": ("Không xác định được tình trạng thu hồi của chứng thư số (thiếu CRL/OCSP)",
                           "the revocation status could not be established (no usable CRL or OCSP response)"),
    "chain_error": ("Không kiểm tra được chuỗi chứng thư số", "the certificate chain could not be validated"),
    "validation_error": ("Không kiểm tra được chữ ký (cấu trúc chữ ký lỗi hoặc không hỗ trợ)",
                         "the signature could not be validated (malformed or unsupported structure)"),
    "unsupported_signature": ("Loại chữ ký không được hỗ trợ", "unsupported signature type"),
}

# document-level findings -> (Vietnamese, English)
FINDINGS: dict[str, tuple[str, str]] = {
    "missing_agency_signature": ("Thiếu chữ ký số của cơ quan, tổ chức (NĐ 30/2020 Điều 5)",
                                 "no organisation (agency) signature (Decree 30 art. 5)"),
    "missing_personal_signature": ("Thiếu chữ ký số của người có thẩm quyền",
                                   "no signature of a competent person"),
    "signing_time_unproven": ("Thời điểm ký do người ký tự khai, không có dấu thời gian",
                              "the signing time is claimed by the signer, not proven by a timestamp"),
    "changes_after_last_signature": ("Có cập nhật sau chữ ký cuối cùng", "incremental updates after the last signature"),
    "unsigned_signature_fields": ("Có ô chữ ký chưa ký", "empty signature fields"),
}


def describe(reason: str | None) -> tuple[str, str] | None:
    return REASONS.get(reason) if reason else None


@dataclass
class SignatureReport:
    """The full result for one signature or document timestamp. ``summary()`` is the short form."""

    field: str
    kind: str = "signature"
    """``signature`` (/Sig) or ``document_timestamp`` (/DocTimeStamp)."""
    status: Status = Status.INDETERMINATE
    reason: str | None = None
    detail: str | None = None
    intact: bool | None = None
    valid: bool | None = None
    trusted: bool = False
    signer: str | None = None
    organisation: str | None = None
    signer_type: str | None = None
    """``person`` or ``organisation`` (see ``ingest.signatures.roles``)."""
    issuer: str | None = None
    signing_time: str | None = None
    signing_time_source: str | None = None
    """``timestamp`` (proven), ``claimed`` (signer's own clock) or None."""
    timestamped: bool = False
    timestamp: dict[str, Any] | None = None
    coverage: str | None = None
    modification: str | None = None
    """none / lta_updates / form_filling / annotations / other (pyHanko difference analysis)."""
    docmdp: str | None = None
    revocation: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    trust_anchor: str | None = None
    key_usage: list[str] = field(default_factory=list)
    algorithms: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    validated_at: str | None = None

    def __post_init__(self) -> None:
        # pyHanko names fields with its own str subclass, which keeps a reference to the open PDF
        self.field = str.__str__(self.field)

    def set(self, status: Status, reason: str | None, detail: str | None = None) -> None:
        self.status, self.reason = status, reason
        if detail:
            self.detail = detail

    def summary(self) -> dict[str, Any]:
        """The per-signature summary kept in ``Record.extra["signatures"]``; this exact shape."""
        return {"field": self.field, "status": str(self.status), "intact": self.intact, "reason": self.reason,
                "signer": self.signer, "organisation": self.organisation, "signing_time": self.signing_time,
                "timestamped": self.timestamped}

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = str(self.status)
        words = describe(self.reason)
        d["reason_vi"], d["reason_en"] = words if words else (None, None)
        return d


def document_findings(reports: list[SignatureReport], pdf: dict | None = None) -> list[str]:
    """Findings about the document as a whole (requirements-vn.md §8.6 item 8).

    An unsigned document has no findings: signatures are not required of every record.
    """
    sigs = [r for r in reports if r.kind == "signature"]
    if not sigs:
        return []
    found = []
    if not any(r.signer_type == "organisation" for r in sigs):
        found.append("missing_agency_signature")
    if not any(r.signer_type == "person" for r in sigs):
        found.append("missing_personal_signature")
    if any(r.signing_time_source == "claimed" for r in sigs):
        found.append("signing_time_unproven")
    if pdf and set(pdf.get("signature_fields") or []) - set(pdf.get("signed_fields") or []):
        found.append("unsigned_signature_fields")
    return found


def overall_status(reports: list[SignatureReport]) -> str | None:
    """The weakest status among the signatures (not timestamps), or None when unsigned."""
    order = [Status.INVALID, Status.INDETERMINATE, Status.VALID_UNTRUSTED, Status.VALID]
    present = {r.status for r in reports if r.kind == "signature"} or {r.status for r in reports}
    for s in order:
        if s in present:
            return str(s)
    return None
