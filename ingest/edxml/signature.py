"""Verification of the message's own XML-DSig signature (edxml.md §6) with signxml.

The outcome is one of ``valid``, ``invalid``, ``unverifiable`` or ``absent``, stored with the
record; a message is never refused for its signature (an archive keeps the evidence of what it
received, including a signature that fails, and says so). Integrity is checked against the
certificate carried in ``KeyInfo``; whether that certificate chains to a trusted root is not
decided here (``chain: not_checked``) — the PDF attachments' own signatures go through the ordinary
PAdES validation of the ingest pipeline. SHA-1 (what every producer sends) is accepted for
verification and flagged ``weak``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.edxml.model import EdxmlMessage

SHA1_URIS = ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1",
             "http://www.w3.org/2000/09/xmldsig#dsa-sha1")


@dataclass
class SignatureResult:
    status: str
    """valid / invalid / unverifiable / absent."""
    reason: str | None = None
    signer: str | None = None
    serial: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    algorithms: list[str] = field(default_factory=list)
    weak: bool = False
    chain: str = "not_checked"

    @property
    def message_vi(self) -> str:
        return {"valid": "Chữ ký số của thông điệp hợp lệ (toàn vẹn)",
                "invalid": "Chữ ký số của thông điệp KHÔNG hợp lệ: nội dung đã bị thay đổi sau khi ký hoặc chữ ký sai",
                "unverifiable": "Không kiểm tra được chữ ký số của thông điệp",
                "absent": "Thông điệp không có chữ ký số"}[self.status] + (f" ({self.reason})" if self.reason else "")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, [], False)} | {"status": self.status}


def verify_message(msg: EdxmlMessage) -> SignatureResult:
    form = msg.signature.form
    if form in ("absent", "empty"):
        return SignatureResult("absent", reason="phần tử DigitalSignature rỗng" if form == "empty" else None)
    if form == "no_namespace":
        # Rewriting the namespace would change the digest (edxml.md §6, form 2).
        return SignatureResult("unverifiable", reason="phần tử Signature không thuộc không gian tên XML-DSig")
    if msg.malformed:
        return SignatureResult("unverifiable", reason="XML phải đọc bằng bộ phân tích phục hồi")
    return _verify_dsig(msg.xml)


def _verify_dsig(xml: bytes) -> SignatureResult:
    from cryptography import x509
    from lxml import etree
    from signxml import DigestAlgorithm, InvalidInput, InvalidSignature, SignatureMethod, XMLVerifier
    from signxml.verifier import SignatureConfiguration

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(xml, parser)
    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    algorithms = [a for a in root.xpath("//ds:Signature//ds:SignatureMethod/@Algorithm | "
                                        "//ds:Signature//ds:DigestMethod/@Algorithm", namespaces=ns)]
    weak = any(a in SHA1_URIS for a in algorithms)
    certs = root.xpath("//ds:Signature/ds:KeyInfo//ds:X509Certificate/text()", namespaces=ns)
    if not certs:
        return SignatureResult("unverifiable", reason="không có chứng thư số (X509Certificate) trong KeyInfo",
                               algorithms=algorithms, weak=weak)
    pem = "-----BEGIN CERTIFICATE-----\n" + "".join(certs[0].split()) + "\n-----END CERTIFICATE-----\n"
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        return SignatureResult("unverifiable", reason=f"chứng thư số không đọc được: {exc}", algorithms=algorithms,
                               weak=weak)
    info: dict[str, Any] = {"signer": cert.subject.rfc4514_string(), "serial": format(cert.serial_number, "x"),
            "not_before": cert.not_valid_before_utc.isoformat(), "not_after": cert.not_valid_after_utc.isoformat(),
            "algorithms": algorithms, "weak": weak}
    config = SignatureConfiguration(signature_methods=frozenset(SignatureMethod),
                                    digest_algorithms=frozenset(DigestAlgorithm), expect_references=1)
    try:
        XMLVerifier().verify(xml, x509_cert=cert, expect_config=config)
    except InvalidSignature as exc:
        return SignatureResult("invalid", reason=str(exc)[:300], **info)
    except InvalidInput as exc:
        return SignatureResult("unverifiable", reason=str(exc)[:300], **info)
    except Exception as exc:  # noqa: BLE001 - signxml raises assorted errors on odd input; a signature never fails an import
        return SignatureResult("unverifiable", reason=f"{type(exc).__name__}: {exc}"[:300], **info)
    return SignatureResult("valid", **info)
