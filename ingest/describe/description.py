"""Parsed descriptive metadata with a confidence and a provenance for every value.

A parser never states a fact without saying how sure it is and where it read it, so that ingest
can decide what to trust, what to show a clerk for review and what a submitter's declared values
override. :class:`Description` is an immutable value; :meth:`Description.merged` returns a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

FIELD_ORDER: tuple[str, ...] = (
    "issuing_agency",
    "parent_agency",
    "number",
    "notation",
    "so_ky_hieu",
    "year_in_number",
    "is_normative",
    "place",
    "issued_date",
    "issued_date_raw",
    "doc_type",
    "doc_type_abbreviation",
    "subject",
    "recipients",
    "file_copy_units",
    "file_copy_count",
    "signer_name",
    "signer_position",
    "signer_authority",
    "signer_authority_chain",
    "signer_on_behalf_of",
    "security_level",
    "urgency",
    "circulation",
    "copy_form",
    "copy_so_ky_hieu",
    "copy_issuing_agency",
    "copy_issued_date",
    "copy_signer_name",
    "copy_signer_position",
    "copy_signer_authority",
    "copy_signer_authority_chain",
    "copy_signer_on_behalf_of",
)
"""Canonical order of the known fields; ``as_dict`` and ``fields`` follow it, unknown names last."""

DECLARED = "declared"


@dataclass(frozen=True)
class Field:
    """One parsed value.

    ``confidence`` is in 0..1 (about 0.95 for a strict pattern match, 0.8 for a value inferred from
    another one, 0.6 for a lenient OCR reading). ``source`` names where the value was read, e.g.
    ``"header:so_ky_hieu_line"``, ``"symbol:type_abbreviation"``, ``"closing:noi_nhan"`` or
    ``"declared"``. ``flags`` name layout defects or OCR repairs seen while reading it, e.g.
    ``"ocr_spaces_in_symbol"`` or ``"date_not_zero_padded"``.
    """

    value: object
    confidence: float
    source: str
    flags: tuple[str, ...] = ()


DATE_FIELDS = ("issued_date", "copy_issued_date")
"""The fields whose value is a ``datetime.date`` (ISO 8601 in ``as_dict``)."""


def _ordered(fields: Mapping[str, Field]) -> dict[str, Field]:
    known = {name: fields[name] for name in FIELD_ORDER if name in fields}
    known.update({name: f for name, f in fields.items() if name not in known})
    return known


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


@dataclass(frozen=True)
class Description:
    """The descriptive metadata read from one document (*thông tin mô tả văn bản*).

    ``fields`` maps a field name to its :class:`Field`; a field that could not be read is absent,
    never present with a ``None`` value. The names are listed in :data:`FIELD_ORDER` and described
    in :mod:`ingest.describe.decree30`.
    """

    fields: dict[str, Field] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _ordered(self.fields))

    def value(self, name: str, default: object = None) -> object:
        """The value of ``name``, or ``default`` when the field is absent."""
        f = self.fields.get(name)
        return default if f is None else f.value

    def merged(self, declared: Mapping[str, object]) -> Description:
        """A new description where every declared value wins over the parsed one.

        Declared values get ``source="declared"`` and confidence 1.0; a declared ``None`` means
        "not declared" and keeps the parsed field. An ``issued_date`` declared as an ISO string is
        converted to :class:`datetime.date` (an unreadable one is kept as given).
        """
        fields = dict(self.fields)
        for name, value in declared.items():
            if value is None:
                continue
            if name == "issued_date" and isinstance(value, str):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    pass
            fields[name] = Field(value=value, confidence=1.0, source=DECLARED)
        return Description(fields)

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, object]]) -> Description:
        """The description ``as_dict`` gave (the extraction worker's, read back): dates are dates
        again, flags a tuple; strings, numbers, booleans and lists of strings come back as they were."""
        fields = {}
        for name, f in data.items():
            value = f["value"]
            if name in DATE_FIELDS and isinstance(value, str):
                value = date.fromisoformat(value)
            confidence, source, flags = f["confidence"], f["source"], f.get("flags") or ()
            assert isinstance(confidence, (int, float)) and isinstance(source, str) and isinstance(flags, (list, tuple))
            fields[name] = Field(value=value, confidence=float(confidence), source=source,
                                 flags=tuple(str(x) for x in flags))
        return cls(fields)

    def as_dict(self) -> dict[str, dict[str, object]]:
        """JSON-ready ``{name: {"value", "confidence", "source", "flags"}}``; dates in ISO 8601."""
        return {
            name: {
                "value": _json_value(f.value),
                "confidence": f.confidence,
                "source": f.source,
                "flags": list(f.flags),
            }
            for name, f in self.fields.items()
        }
