"""What the validator says about one signature: a status, one reason, and the evidence behind it.

The status follows the main indications of ETSI EN 319 102-1 §5.1.3, plus the archive's own
``VALID_UNTRUSTED`` (intact and cryptographically sound, but no path to a configured trust anchor —
typical for a document signed under a foreign or a test CA):

* ``VALID`` (TOTAL-PASSED) — intact, sound, chain to a trust anchor, certificate valid and not
  revoked at the signing time, key usage and algorithms acceptable, no disallowed change after
  signing;
* ``VALID_UNTRUSTED`` (INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND) — all of the above except the
  path to a trust anchor;
* ``INDETERMINATE`` — nothing is known to be wrong, but something could not be established
  (revocation status unknown, a weak algorithm with no proof of earlier existence, …);
* ``INVALID`` (TOTAL-FAILED) — something is known to be wrong (bytes changed, malformed byte
  range, revoked or expired at a proven signing time, disallowed change after signing, …).

Each non-VALID status carries exactly one ``reason`` code from ``REASONS`` (the first problem found,
in the order of requirements-vn.md §8.6), with Vietnamese and English wording, and the ETSI
indication and sub-indication it corresponds to (``etsi_indication``).

Two verdicts are kept apart from the status: ``intact`` — the signed bytes are exactly the bytes
the signature covers (well-formed ``/ByteRange``, digest equal to the signed one) — and
``modification_level`` — what the revisions appended after signing change
(``MODIFICATION_LEVELS``), with ``modifications_permitted`` saying whether the signer's DocMDP
permission allows it. The summary — the shape shown under ``"signatures"`` in ``luutru show
--json`` and by ``GET /api/v1/records/{id}/signatures`` — is ``SignatureReport.summary()``;
summaries stored before a field existed simply lack it (``SUMMARY_FIELDS`` lists the current
shape).
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
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
    "byte_range_invalid": ("Vùng ký (ByteRange) sai: không bao phủ đúng toàn bộ phiên bản đã ký trừ chữ ký",
                           "the ByteRange is malformed: it does not cover exactly the signed revision but the "
                           "signature value"),
    "multiple_signer_infos": ("Chữ ký chứa nhiều hơn một người ký (SignerInfo), PAdES chỉ cho phép một",
                              "the CMS holds more than one SignerInfo; PAdES allows exactly one"),
    "cms_malformed": ("Giá trị chữ ký (/Contents) không phải cấu trúc CMS hợp lệ",
                      "the signature value (/Contents) is not a well-formed CMS SignedData"),
    "signature_dictionary_malformed": ("Từ điển chữ ký thiếu hoặc sai /ByteRange, /Contents",
                                       "the signature dictionary lacks or garbles /ByteRange or /Contents"),
    "no_signing_certificate": ("Không tìm thấy chứng thư số của người ký trong chữ ký",
                               "the signer's certificate is not in the signature"),
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
    "weak_algorithm": ("Thuật toán không còn được chấp nhận (ví dụ SHA-1); nội dung vẫn toàn vẹn",
                       "a digest or signature algorithm is no longer acceptable (e.g. SHA-1); the bytes are intact"),
    "timestamp_invalid": ("Dấu thời gian kèm chữ ký không hợp lệ", "the embedded signature timestamp is invalid"),
    "no_trust_path": ("Không xây dựng được đường dẫn tin cậy tới chứng thư gốc được tin cậy",
                      "no path to a configured trust anchor"),
    "revocation_unknown": ("Không xác định được tình trạng thu hồi của chứng thư số (thiếu CRL/OCSP)",
                           "the revocation status could not be established (no usable CRL or OCSP response)"),
    "chain_error": ("Không kiểm tra được chuỗi chứng thư số", "the certificate chain could not be validated"),
    "unsupported_structure": ("Định dạng chữ ký không được hỗ trợ (SubFilter)",
                              "unsupported signature encoding (SubFilter)"),
    "pdf_unreadable": ("Không đọc được cấu trúc tệp PDF để kiểm tra chữ ký",
                       "the PDF structure could not be read to find its signatures"),
    "encrypted_no_password": ("Tệp PDF được mã hóa, không có mật khẩu để mở",
                              "the PDF is encrypted and no password opens it"),
    "validation_error": ("Lỗi không lường trước khi kiểm tra chữ ký",
                         "an unexpected error stopped the validation (a defect to report)"),
    "unsupported_signature": ("Loại chữ ký không được hỗ trợ", "unsupported signature type (older reports)"),
}

# ETSI EN 319 102-1 §5.1.3 sub-indications: reason -> (with TOTAL-FAILED, with INDETERMINATE).
# The main indication follows the status; where the sub-indication depends on it (a revocation
# or expiry proven before the signing time by a timestamp is a failure, without one it is
# indeterminate) both are given. None: no ETSI sub-indication fits (archive policy, or outside
# the model).
ETSI_SUB_INDICATIONS: dict[str, tuple[str | None, str | None]] = {
    "digest_mismatch": ("HASH_FAILURE", None),
    "signature_invalid": ("SIG_CRYPTO_FAILURE", None),
    "byte_range_invalid": ("FORMAT_FAILURE", None),
    "multiple_signer_infos": ("FORMAT_FAILURE", None),
    "cms_malformed": ("FORMAT_FAILURE", None),
    "signature_dictionary_malformed": ("FORMAT_FAILURE", None),
    "modified_after_signing": ("FORMAT_FAILURE", None),
    "modification_not_permitted": ("FORMAT_FAILURE", None),
    "annotations_unverified": (None, "SIG_CONSTRAINTS_FAILURE"),
    "revoked": ("REVOKED", "REVOKED_NO_POE"),
    "ca_revoked": (None, "REVOKED_CA_NO_POE"),
    "expired_at_signing": ("EXPIRED", "OUT_OF_BOUNDS_NO_POE"),
    "not_yet_valid_at_signing": ("NOT_YET_VALID", "NOT_YET_VALID"),
    "key_usage": (None, "CHAIN_CONSTRAINTS_FAILURE"),
    "weak_algorithm": (None, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"),
    "timestamp_invalid": (None, None),
    "no_trust_path": (None, "NO_CERTIFICATE_CHAIN_FOUND"),
    "revocation_unknown": (None, "TRY_LATER"),
    "chain_error": (None, "CERTIFICATE_CHAIN_GENERAL_FAILURE"),
    "no_signing_certificate": (None, "NO_SIGNING_CERTIFICATE_FOUND"),
}

MODIFICATION_LEVELS: dict[str, tuple[str, str]] = {
    "none": ("Không có thay đổi sau khi ký", "nothing was appended after the signed revision"),
    "lta_updates": ("Chỉ bổ sung dữ liệu kiểm tra dài hạn (DSS, dấu thời gian tài liệu)",
                    "only long-term-validation data was added (DSS, document timestamps)"),
    "form_filling": ("Điền biểu mẫu hoặc thêm chữ ký", "form fields were filled or signatures added"),
    "annotations": ("Thêm chú thích (ghi chú, đánh dấu)", "annotations (comments, highlights) were added"),
    "not_allowed": ("Thay đổi khác (nội dung, trang, từ điển chữ ký…): không được phép ở bất kỳ mức nào",
                    "other changes (content, pages, a signature dictionary…): not permitted at any level"),
}
"""``SignatureReport.modification_level`` values, least to most."""

_DOCMDP_LEVEL = {"NO_CHANGES": 1, "FILL_FORMS": 2, "ANNOTATE": 3}
_LEVEL_RANK = {"none": 0, "lta_updates": 1, "form_filling": 2, "annotations": 3, "not_allowed": 4}


def modifications_permitted(level: str | None, docmdp: str | None) -> bool | None:
    """Whether ``level`` is within the DocMDP permission (ISO 32000-2 §12.8.2.2); an approval
    signature without one permits up to annotations. None when the level is unknown."""
    if level is None:
        return None
    return _LEVEL_RANK[level] <= _DOCMDP_LEVEL.get(docmdp or "", 3)


def etsi_indication(status: str, reason: str | None, timestamped: bool = False) -> tuple[str, str | None]:
    """The ETSI EN 319 102-1 main indication and sub-indication for a status and reason."""
    if status == "VALID":
        return "TOTAL-PASSED", None
    if status == "VALID_UNTRUSTED":
        return "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"
    failed, indeterminate = ETSI_SUB_INDICATIONS.get(reason or "", (None, None))
    if status == "INVALID":
        return "TOTAL-FAILED", failed
    if reason == "weak_algorithm" and timestamped:
        # the timestamp proves the signature was made after the algorithm's sunset
        return "INDETERMINATE", "CRYPTO_CONSTRAINTS_FAILURE"
    return "INDETERMINATE", indeterminate

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
    indication: str | None = None
    """ETSI EN 319 102-1 main indication: TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED."""
    sub_indication: str | None = None
    """ETSI sub-indication (``ETSI_SUB_INDICATIONS``), e.g. FORMAT_FAILURE, HASH_FAILURE."""
    subfilter: str | None = None
    """The encoding, e.g. ``/adbe.pkcs7.detached``, ``/ETSI.CAdES.detached``, ``/ETSI.RFC3161``."""
    declared_reason: str | None = None
    """The signer's /Reason, read from the signature dictionary as signed."""
    coverage: str | None = None
    modification_level: str | None = None
    """What the revisions after the signed one change (``MODIFICATION_LEVELS``); None when the
    byte range does not delimit a signed revision."""
    modifications_permitted: bool | None = None
    """Whether ``modification_level`` is within what the signer's DocMDP permission allows."""
    docmdp: str | None = None
    revocation: dict[str, Any] = dataclasses.field(default_factory=dict)
    certificate: dict[str, Any] = dataclasses.field(default_factory=dict)
    chain: list[str] = dataclasses.field(default_factory=list)
    trust_anchor: str | None = None
    key_usage: list[str] = dataclasses.field(default_factory=list)
    algorithms: dict[str, Any] = dataclasses.field(default_factory=dict)
    findings: list[str] = dataclasses.field(default_factory=list)
    validated_at: str | None = None

    def __post_init__(self) -> None:
        # pyHanko names fields with its own str subclass, which keeps a reference to the open PDF
        self.field = str.__str__(self.field)

    def set(self, status: Status, reason: str | None, detail: str | None = None) -> None:
        self.status, self.reason = status, reason
        if detail:
            self.detail = detail
        self.indication, self.sub_indication = etsi_indication(str(status), reason, self.timestamped)

    def summary(self) -> dict[str, Any]:
        """The per-signature summary kept in ``Record.extra["signatures"]``; this exact shape
        (``SUMMARY_FIELDS``)."""
        return {"field": self.field, "kind": self.kind, "status": str(self.status), "reason": self.reason,
                "indication": self.indication, "sub_indication": self.sub_indication, "intact": self.intact,
                "modification_level": self.modification_level,
                "modifications_permitted": self.modifications_permitted, "signer": self.signer,
                "organisation": self.organisation, "signing_time": self.signing_time,
                "timestamped": self.timestamped}

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = str(self.status)
        words = describe(self.reason)
        d["reason_vi"], d["reason_en"] = words if words else (None, None)
        return d


SUMMARY_FIELDS = ("field", "kind", "status", "reason", "indication", "sub_indication", "intact",
                  "modification_level", "modifications_permitted", "signer", "organisation", "signing_time",
                  "timestamped")
"""The keys of ``SignatureReport.summary()``. Summaries stored by earlier versions have only
field, status, intact, reason, signer, organisation, signing_time and timestamped."""


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
