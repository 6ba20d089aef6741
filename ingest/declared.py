"""Declared metadata: what a depositor (or an importer) states about a document, checked once.

Every entry point that takes declared values — the HTTP deposit (``POST /api/v1/records``, raw or
multipart), the web deposit form, the quarantine release, ``luutru ingest --set/--metadata`` and
the Celery worker that ingests a staged deposit — goes through :meth:`DeclaredMetadata.parse`, so
the same bad value is refused everywhere with the same ``invalid_metadata`` code and the same
Vietnamese message. The pipeline parses ``SourceFile.declared`` again at the start of each run
(``ingest.pipeline.Pipeline``): a staged manifest or an importer's values are checked like a form.

The rules are the catalogue's (``archive.descriptive``, the same as a correction's): text is NFC,
trimmed, free of control and invisible characters and no longer than Decree 30 allows; dates are
``dd/mm/yyyy`` or ``yyyy-mm-dd``; numbers are whole; enumerations (mức độ tiếp cận, độ mật, độ
khẩn, văn bản đi/đến) take their stored value or the Vietnamese people type, without regard to
case or diacritics. An empty value (``None``, ``""``, ``[]``) is "not declared".

``DEPOSIT_FIELDS`` are the fields a person may declare (the form's, the CLI's); importers (edXML,
submission packages) may also give ``IMPORT_FIELDS`` (numbers, recipients, the series).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from archive.descriptive import EDITABLE, FieldSpec, check_value
from ingest.pipeline import Rejected

DEPOSIT_FIELDS: tuple[str, ...] = (
    "type_name", "code_number", "code_notation", "issued_date", "place", "organ_name", "subject",
    "signer_name", "signer_position", "urgency", "access_level", "direction", "language", "description")
"""What a depositor may declare (the HTTP form's fields, ``luutru ingest --set``)."""

IMPORT_FIELDS: tuple[str, ...] = ("security_level", "page_amount", "issued_amount", "due_date", "recipients",
                                  "doc_ordinal", "series")
"""Given by importers (edXML headers, submission packages), not by a person's form."""

_SPECS: dict[str, FieldSpec] = {
    **EDITABLE,
    "issued_date": FieldSpec("Ngày ban hành", "date"),
    "language": FieldSpec("Ngôn ngữ", "text", max_length=30),  # declared: may be left out
    "direction": FieldSpec(EDITABLE["direction"].label, "enum", choices=EDITABLE["direction"].choices,
                           aliases=EDITABLE["direction"].aliases),
    "access_level": FieldSpec(EDITABLE["access_level"].label, "enum", choices=EDITABLE["access_level"].choices,
                              aliases=EDITABLE["access_level"].aliases),
    "doc_ordinal": FieldSpec("Số thứ tự văn bản trong hồ sơ", "int", maximum=99_999_999),
    "series": FieldSpec("Loạt tài liệu", "text", max_length=200),
}
"""How each declared field is checked (``archive.descriptive``'s specs; a declared field may be empty)."""

LABELS: dict[str, str] = {name: _SPECS[name].label for name in DEPOSIT_FIELDS + IMPORT_FIELDS}


class InvalidDeclared(Rejected):
    """Declared metadata that is not valid: every problem of every field, in Vietnamese and English.

    A ``Rejected`` (code ``invalid_metadata``): raised in the pipeline, it quarantines the file;
    the HTTP routes answer it with problem+json 422 and the CLI with exit 2, the same message."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("invalid_metadata")
        self.problems = problems
        self.message_vi = "Siêu dữ liệu khai báo không hợp lệ: " + "; ".join(vi for _en, vi in problems)
        self.message_en = "the declared metadata is invalid: " + "; ".join(en for en, _vi in problems)
        self.args = (self.message_en,)  # str(exc) is the English message, as for every Rejected


def _given(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()) or value == [])


_ORGAN_ID = FieldSpec("Mã định danh cơ quan nhận", "text", max_length=50)
_ORGAN_NAME = FieldSpec(EDITABLE["recipients"].label, "text", max_length=EDITABLE["recipients"].max_length)


def _recipients(value: Any, problems: list[tuple[str, str]]) -> Any:
    """Nơi nhận as an importer gives it: a receiver may be known by its agency id alone (an edXML
    ``To`` with an ``OrganId`` and no name); its id is kept as given (checked as text, not for the
    ``000.00.00.H26`` form a correction asks for)."""
    if not (isinstance(value, list) and any(isinstance(r, dict) and "organ_name" not in r for r in value)):
        return check_value("recipients", _SPECS["recipients"], value, problems)
    out = []
    for item in value:
        if not isinstance(item, dict) or not item or set(item) - {"organ_name", "organ_id"}:
            problems.append(("recipients: each agency is {'organ_name'?, 'organ_id'?}",
                             "Nơi nhận: mỗi cơ quan có dạng {\"organ_name\", \"organ_id\"} (ít nhất một trong hai)"))
            return None
        entry = {}
        for key, spec in (("organ_name", _ORGAN_NAME), ("organ_id", _ORGAN_ID)):
            if _given(item.get(key)):
                before = len(problems)
                text = check_value(f"recipients.{key}", spec, item[key], problems)
                if len(problems) > before:
                    return None
                entry[key] = text
        if entry:
            out.append(entry)
    return out or None


def _check_one(name: str, value: Any, problems: list[tuple[str, str]], lengths: bool = True) -> Any:
    spec = _SPECS[name]
    if not lengths and spec.kind == "text":
        spec = replace(spec, max_length=None)
    if spec.kind == "date" and isinstance(value, date):
        return value
    if name == "recipients":
        return _recipients(value, problems)
    return check_value(name, spec, value, problems)


def check(data: Mapping[str, Any], fields: tuple[str, ...] | None = None, *, lengths: bool = True) -> dict[str, Any]:
    """The checked values of ``data`` (only the fields given), or ``InvalidDeclared`` naming every
    problem. Keys are field names (NFC, trimmed); one outside ``fields`` (default: every declared
    field) is a problem, unless its value is empty. ``lengths=False``: text longer than Decree 30
    allows is accepted (the pipeline: see ``DeclaredMetadata.parse``)."""
    if not isinstance(data, Mapping):
        raise InvalidDeclared([("declared metadata must be an object of field: value",
                                "Siêu dữ liệu khai báo phải là các cặp trường: giá trị")])
    allowed = fields if fields is not None else tuple(LABELS)
    problems: list[tuple[str, str]] = []
    out: dict[str, Any] = {}
    for raw, value in data.items():
        if not _given(value):
            continue
        name = unicodedata.normalize("NFC", str(raw)).strip()
        if name not in allowed or name not in LABELS:
            shown = name[:60]
            problems.append((f"unknown metadata field {shown!r} (fields: {', '.join(DEPOSIT_FIELDS)})",
                             f"Trường siêu dữ liệu không hợp lệ: «{shown}» (các trường khai báo được: "
                             f"{', '.join(DEPOSIT_FIELDS)})"))
            continue
        before = len(problems)
        checked = _check_one(name, value, problems, lengths)
        if len(problems) == before and checked is not None:
            out[name] = checked
    if problems:
        raise InvalidDeclared(problems)
    return out


def assignments(pairs: list[str]) -> dict[str, str]:
    """``FIELD=VALUE`` pairs (the CLI's ``--set``) → ``{field: value}``: split at the first ``=``,
    the field in lower case with ``-`` read as ``_``; a pair without ``=`` is an ``InvalidDeclared``."""
    out: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for pair in pairs:
        name, sep, value = str(pair).partition("=")
        name = unicodedata.normalize("NFC", name).strip().lower().replace("-", "_")
        if not sep or not name:
            shown = str(pair)[:60]
            problems.append((f"expected FIELD=VALUE, got {shown!r}",
                             f"Cần dạng TRƯỜNG=GIÁ_TRỊ (ví dụ issued_date=15/03/2026), không phải «{shown}»"))
            continue
        out[name] = value
    if problems:
        raise InvalidDeclared(problems)
    return out


class DeclaredMetadata(BaseModel):
    """The declared Decree 30 fields of one deposit, checked (see the module's rules). Every field is
    optional; ``None`` is "not declared" (the pipeline then keeps what it reads from the text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type_name: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    issued_date: date | None = None
    place: str | None = None
    organ_name: str | None = None
    subject: str | None = None
    signer_name: str | None = None
    signer_position: str | None = None
    urgency: str | None = None
    access_level: str | None = None
    direction: str | None = None
    language: str | None = None
    description: str | None = None
    security_level: str | None = None
    page_amount: int | None = None
    issued_amount: int | None = None
    due_date: date | None = None
    recipients: list[dict[str, str]] | None = None
    doc_ordinal: int | None = None
    series: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        if isinstance(data, DeclaredMetadata):
            return data
        try:
            return check(data)
        except InvalidDeclared as exc:
            raise ValueError(exc.message_vi) from None

    @classmethod
    def parse(cls, data: Mapping[str, Any] | DeclaredMetadata | None, *,
              fields: tuple[str, ...] | None = None, lengths: bool = True) -> DeclaredMetadata:
        """The model of ``data``, or ``InvalidDeclared`` (code ``invalid_metadata``) naming every
        problem. ``fields`` limits what may be given (``DEPOSIT_FIELDS`` for a person's form).
        ``lengths=False`` (the pipeline) accepts text longer than Decree 30 allows: what a person
        types was checked at the entry point, and an importer's over-long value (an edXML header) is
        kept whole in the record's ``extra`` and cut in the catalogue with a warning (``DescribeStep``)."""
        if data is None:
            return cls()
        if isinstance(data, DeclaredMetadata):
            return data
        return cls.model_construct(**check(data, fields, lengths=lengths))

    def given(self) -> dict[str, Any]:
        """The fields declared (not ``None``), with their Python values (dates as ``date``)."""
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def as_json(self) -> dict[str, Any]:
        """The fields declared, JSON-ready (dates ``yyyy-mm-dd``): what ``SourceFile.declared``, a
        staged deposit's manifest and a quarantine entry keep. ``parse(m.as_json()) == m``."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in self.given().items()}
