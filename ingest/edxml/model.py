"""The parsed edXML message (dialect-neutral): what ``parse_message`` returns.

Plain data, no I/O. Field names follow QCVN 102:2016 (``/work/shared/domain/edxml.md`` §3–§8),
in English snake case; the mapping to the Decree 30 catalogue fields is ``ingest.edxml.mapping``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Organ:
    """``From`` / ``To`` (and ``TraceHeader``): an agency with its mã định danh (QĐ 20/2020)."""

    organ_id: str | None = None
    organ_name: str | None = None
    organization_in_charge: str | None = None
    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass
class Attachment:
    """One decoded attachment: the payload bytes (unzipped when the sender zipped them)."""

    content_id: str
    name: str
    data: bytes
    declared_type: str | None = None
    detected_type: str | None = None
    description: str | None = None
    zipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"content_id": self.content_id, "name": self.name, "size": len(self.data),
                "declared_type": self.declared_type, "detected_type": self.detected_type,
                "description": self.description, "zipped": self.zipped}


@dataclass
class TraceEntry:
    organ_id: str | None
    timestamp: datetime | None
    raw_timestamp: str | None


@dataclass
class SignatureInfo:
    """Where the message signature is and in what form (edxml.md §6): ``dsig`` (in the XML-DSig
    namespace: verifiable), ``no_namespace`` (a ``Signature`` that inherited the QCVN namespace:
    unverifiable), ``empty`` (an empty ``DigitalSignature``) or ``absent``."""

    form: str = "absent"


@dataclass
class EdxmlMessage:
    dialect: str
    """``qcvn102`` (QCVN 102:2016) or ``bkav-edoc`` (the older SOAP eDoc dialect)."""
    kind: str
    """``document`` or ``status``."""
    xml: bytes
    """The XML itself (junk and BOM before ``<`` removed; the SOAP part of a MIME message)."""
    sender: Organ = field(default_factory=Organ)
    receivers: list[Organ] = field(default_factory=list)
    document_id: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    place: str | None = None
    promulgation_date: date | None = None
    type_code: str | None = None
    type_detail: str | None = None
    type_name: str | None = None
    subject: str | None = None
    content: str | None = None
    signer_competence: str | None = None
    signer_position: str | None = None
    signer_name: str | None = None
    due_date: date | None = None
    priority: int | None = None
    sphere: str | None = None
    typer_notation: str | None = None
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: str | None = None
    appendixes: list[str] = field(default_factory=list)
    steering_type: str | None = None
    to_places: list[str] = field(default_factory=list)
    response_for: list[dict[str, str]] = field(default_factory=list)
    trace: list[TraceEntry] = field(default_factory=list)
    business: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] | None = None
    """Status messages: ``code``, ``description``, ``timestamp`` (ISO), ``staff``, ``response_for``."""
    attachments: list[Attachment] = field(default_factory=list)
    signature: SignatureInfo = field(default_factory=SignatureInfo)
    malformed: bool = False
    """Well-formed XML with unbound prefixes, read by the recovering parser (edxml.md §2)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> str | None:
        """The de-duplication key of NĐ 30 Phụ lục VI III.1.h: (``From/OrganId``, ``DocumentId``)."""
        if self.sender.organ_id and self.document_id:
            return f"{self.sender.organ_id}|{self.document_id}"
        return None

    @property
    def business_type(self) -> int:
        try:
            return int(self.business.get("doc_type") or 0)
        except ValueError:
            return 0
