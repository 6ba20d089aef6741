"""edXML header → the Decree 30 incoming-document fields (edxml.md §9), as declared metadata.

The declared values win over what the pipeline reads from the attachment's text (the header is
what the sender's system registered). A value longer than Decree 30 allows (Subject over 500,
CodeNumber over 11…) does not refuse the message: the ordinary describe step cuts the catalogue
value to the Decree 30 length and flags it (edxml.md §12.12), and the whole value stays in the
stored message and in the record's ``metadata.json``.
"""

from __future__ import annotations

from typing import Any

from ingest.edxml.model import EdxmlMessage
from ingest.edxml.signature import SignatureResult

# OtherInfo/Priority (edxml.md §4) → the catalogue's độ khẩn (archive.domain.Urgency); 0 Thường: none.
URGENCY = {1: "KHẨN", 2: "THƯỢNG KHẨN", 3: "HỎA TỐC", 4: "HỎA TỐC"}
PRIORITY_VI = {0: "Thường", 1: "Khẩn", 2: "Thượng khẩn", 3: "Hỏa tốc", 4: "Hỏa tốc hẹn giờ"}
STATUS_VI = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Tiếp nhận, vào sổ", "04": "Phân công xử lý",
             "05": "Đang xử lý", "06": "Hoàn thành", "13": "Yêu cầu lấy lại", "15": "Đồng ý cập nhật, lấy lại",
             "16": "Từ chối cập nhật, lấy lại"}


def declared_metadata(msg: EdxmlMessage) -> dict[str, Any]:
    """The catalogue fields the header gives (``SourceFile.declared``)."""
    organ_name = msg.sender.organ_name or msg.sender.organization_in_charge
    declared: dict[str, Any] = {
        "type_name": msg.type_name, "code_number": msg.code_number, "code_notation": msg.code_notation,
        "issued_date": msg.promulgation_date.isoformat() if msg.promulgation_date else None,
        "place": msg.place, "organ_name": organ_name, "subject": msg.subject,
        "signer_name": msg.signer_name, "signer_position": msg.signer_position,
        "urgency": URGENCY.get(msg.priority) if msg.priority is not None else None,
        "due_date": msg.due_date, "issued_amount": msg.promulgation_amount, "page_amount": msg.page_amount,
        "direction": "incoming",
        "recipients": [{k: v for k, v in (("organ_id", r.organ_id), ("organ_name", r.organ_name)) if v}
                       for r in msg.receivers] or None,
    }
    return {k: v for k, v in declared.items() if v not in (None, "", [])}


def edxml_extra(msg: EdxmlMessage, signature: SignatureResult, message_sha256: str) -> dict[str, Any]:
    """What the catalogue has no column for, kept in the record's ``extra["edxml"]``: the issuer's mã
    định danh, the trace, the extras of edxml.md §9 and the message signature's outcome."""
    return {
        "key": msg.key, "dialect": msg.dialect, "document_id": msg.document_id, "message_sha256": message_sha256,
        "issuer": msg.sender.as_dict(), "receivers": [r.as_dict() for r in msg.receivers],
        "signer_competence": msg.signer_competence, "content": msg.content,
        "priority": msg.priority, "priority_vi": PRIORITY_VI.get(msg.priority) if msg.priority is not None else None,
        "security": "không mật (QCVN 102:2016 không áp dụng cho văn bản mật)",
        "type": msg.type_code, "type_detail": msg.type_detail, "sphere_of_promulgation": msg.sphere,
        "typer_notation": msg.typer_notation, "direction": msg.direction, "appendixes": msg.appendixes,
        "steering_type": msg.steering_type, "to_places": msg.to_places, "response_for": msg.response_for,
        "trace": [{"organ_id": t.organ_id, "timestamp": t.timestamp.isoformat() if t.timestamp else None,
                   "raw": t.raw_timestamp} for t in msg.trace],
        "bussiness": msg.business, "attachments": [a.as_dict() for a in msg.attachments],
        "signature": signature.as_dict(), "malformed": msg.malformed, "warnings": msg.warnings,
    }
