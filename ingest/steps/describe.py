"""Description: Decree 30 metadata from the text, declared values winning."""

from __future__ import annotations

from datetime import date
from typing import Any

from archive.domain import AccessLevel, RecordMetadata, SecurityLevel
from archive.service import FIELD_LENGTHS
from ingest.describe import parse_document
from ingest.describe.ocr_text import parse_ocr_document, with_stamps
from ingest.pipeline import IngestContext, NoCleanup, Rejected

SECRET_LEVELS = {s.value for s in SecurityLevel}


def _cut(value: Any, limit: int | None, flags: list[str], name: str) -> Any:
    if isinstance(value, str) and limit and len(value) > limit:
        flags.append(f"{name} cut to {limit} characters (Decree 30 length)")
        return value[: limit - 1] + "…"
    return value


def to_record_metadata(description, pages: int | None, declared: dict[str, Any]) -> tuple[RecordMetadata, list[str]]:
    """Map the parsed (and declared) description onto the catalogue's Decree 30 fields."""
    v = description.value
    flags: list[str] = []
    notation = v("notation")
    if notation and v("year_in_number"):
        notation = f"{v('year_in_number')}/{notation}"
    recipients = v("recipients") or []
    fields = {
        "type_name": v("doc_type"), "code_number": v("number"), "code_notation": notation,
        "issued_date": v("issued_date") if isinstance(v("issued_date"), date) else None,
        "place": v("place"), "organ_name": v("issuing_agency"), "subject": v("subject"),
        "signer_position": v("signer_position"), "signer_name": v("signer_name"),
        "recipients": [{"organ_name": r} for r in recipients] or None,
        "security_level": v("security_level"), "urgency": v("urgency"), "page_amount": pages,
    }
    for name in ("type_name", "code_number", "code_notation", "place", "organ_name", "subject",
                 "signer_position", "signer_name"):
        fields[name] = _cut(fields[name], FIELD_LENGTHS.get(name), flags, name)
    for key in ("access_level", "direction", "language", "description", "doc_ordinal", "due_date",
                "issued_amount", "recipients"):
        if key in declared:
            fields[key] = declared[key]
    if declared.get("page_amount") and not pages:
        fields["page_amount"] = declared["page_amount"]
    if fields.get("security_level") and "access_level" not in declared:
        fields["access_level"] = AccessLevel.SECRET.value
    extra = {"description": description.as_dict()}
    return RecordMetadata(extra=extra, **fields), flags


# Declared metadata uses the catalogue's names; these map them onto the parser's names.
DECLARED_TO_PARSED = {
    "type_name": "doc_type", "code_number": "number", "code_notation": "notation", "issued_date": "issued_date",
    "place": "place", "organ_name": "issuing_agency", "subject": "subject", "signer_name": "signer_name",
    "signer_position": "signer_position", "security_level": "security_level", "urgency": "urgency",
}


class DescribeStep(NoCleanup):
    name = "describe"

    def __init__(self, allow_state_secrets: bool = False):
        self.allow_state_secrets = allow_state_secrets

    def applies(self, ctx: IngestContext) -> bool:
        return True

    def run(self, ctx: IngestContext) -> None:
        declared = ctx.declared.given()  # checked by the pipeline (ingest.declared): dates are dates
        from ingest.steps.ocr import header_from_ocr

        repairs: list[str] = []
        stamps = (ctx.ocr or {}).get("stamps") if (ctx.ocr or {}).get("status") == "done" else None
        if header_from_ocr(ctx):
            parsed, repairs = parse_ocr_document(ctx.text or "", stamps)
        elif ctx.parsed is not None and ctx.parsed[0] == ctx.text:  # read by the extraction worker
            parsed = with_stamps(ctx.parsed[1], stamps)
        else:
            parsed = with_stamps(parse_document(ctx.text or ""), stamps)
        description = parsed.merged({DECLARED_TO_PARSED[k]: v for k, v in declared.items() if k in DECLARED_TO_PARSED})
        ctx.description = description
        level = description.value("security_level")
        if level in SECRET_LEVELS and not self.allow_state_secrets:
            raise Rejected("state_secret", f"độ mật: {level}")
        ctx.metadata, flags = to_record_metadata(description, ctx.extraction.get("pages"), declared)
        if repairs:
            ctx.metadata.extra["ocr_header_repairs"] = repairs
        ctx.warnings.extend(flags)
