"""The descriptive fields of a record (Decree 30 Phụ lục VI and the access level) and how a value
given for one is checked — by a correction (``archive.corrections``) or any other entry point.

* Only ``EDITABLE`` fields may be given; a field of ``PROTECTED`` (the original, its digest, the id,
  the dossier, the status…) or an unknown one is refused, naming the fields that may be edited.
* Text is NFC and trimmed; it may not hold control, bidirectional or invisible characters; its
  length is at most Decree 30's. Dates are real dates, as ``dd/mm/yyyy`` or ``yyyy-mm-dd``.
  Numbers are whole, from 1 to the Decree's number of digits. Enumerations (access level, độ mật,
  độ khẩn, văn bản đi/đến) take their stored value or the Vietnamese people type, without regard
  to case or diacritics. An empty value empties the field, unless it may not be empty.
* Every problem of every field is reported in one ``InvalidCorrection``: nothing is half-applied.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from archive.domain import AGENCY_ID, AccessLevel, SecurityLevel, Urgency
from archive.errors import ArchiveError

ACCESS_ORDER = tuple(a.value for a in AccessLevel)
"""From the most to the least open: a move to the right hides the record from some readers."""
ACCESS_VI = {"public": "công khai", "internal": "nội bộ", "restricted": "hạn chế", "secret": "mật"}

MAX_REASON = 1000
MAX_RECIPIENTS = 100
MAX_INT = 2_147_483_647  # the catalogue's INTEGER (PostgreSQL int4)


class InvalidCorrection(ArchiveError):
    """The correction asks for a field that may not be edited, or a value that is not valid."""

    code = "invalid_metadata"

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(en for en, _vi in problems), "; ".join(vi for _en, vi in problems))
        self.problems = problems


# the fields ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    label: str
    """Vietnamese name, as the catalogue documentation gives it."""
    kind: str
    """text / date / int / enum / recipients"""
    max_length: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other spellings people type (folded: lower case, no diacritics) → the stored value."""
    required: bool = False
    """May not be emptied."""


def fold(text: str) -> str:
    """Lower case without diacritics (đ → d): how enumerations and aliases are compared."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _enum(values: tuple[str, ...], **aliases: str) -> dict[str, Any]:
    return {"choices": values, "aliases": {**{fold(v): v for v in values}, **{fold(k): v for k, v in aliases.items()}}}


EDITABLE: dict[str, FieldSpec] = {
    "type_name": FieldSpec("Tên loại văn bản", "text", max_length=100),
    "code_number": FieldSpec("Số văn bản", "text", max_length=11),
    "code_notation": FieldSpec("Ký hiệu văn bản", "text", max_length=30),
    "issued_date": FieldSpec("Ngày văn bản", "date"),
    "place": FieldSpec("Địa danh", "text", max_length=100),
    "organ_name": FieldSpec("Cơ quan ban hành", "text", max_length=200),
    "subject": FieldSpec("Trích yếu nội dung", "text", max_length=500),
    "language": FieldSpec("Ngôn ngữ", "text", max_length=30, required=True),
    "page_amount": FieldSpec("Số trang", "int", maximum=999),
    "description": FieldSpec("Ghi chú", "text", max_length=500),
    "signer_position": FieldSpec("Chức vụ người ký", "text", max_length=100),
    "signer_name": FieldSpec("Người ký", "text", max_length=50),
    "recipients": FieldSpec("Nơi nhận", "recipients", max_length=200),
    "security_level": FieldSpec("Độ mật", "enum", **_enum(tuple(s.value for s in SecurityLevel))),
    "urgency": FieldSpec("Độ khẩn", "enum", **_enum(tuple(u.value for u in Urgency), **{"hoả tốc": "HỎA TỐC"})),
    "issued_amount": FieldSpec("Số lượng bản phát hành", "int", maximum=999),
    "due_date": FieldSpec("Hạn xử lý", "date"),
    "arrival_date": FieldSpec("Ngày đến", "date"),
    "arrival_number": FieldSpec("Số đến", "int", maximum=MAX_INT),
    "direction": FieldSpec("Văn bản đi/đến", "enum", required=True,
                           **_enum(("outgoing", "incoming", "internal"), đi="outgoing", đến="incoming",
                                   **{"nội bộ": "internal"})),
    "access_level": FieldSpec("Mức độ tiếp cận", "enum", required=True,
                              **_enum(ACCESS_ORDER, **{"công khai": "public", "nội bộ": "internal",
                                                       "hạn chế": "restricted", "mật": "secret"})),
}
"""The descriptive fields a correction may change (catalogue name → how it is checked)."""

PROTECTED: dict[str, str] = {
    "id": "mã định danh của văn bản không bao giờ thay đổi",
    "dossier_id": "đưa văn bản vào hồ sơ bằng lệnh «luutru records file»",
    "dossier_code": "đưa văn bản vào hồ sơ bằng lệnh «luutru records file»",
    "fonds_id": "phông đi theo hồ sơ của văn bản",
    "doc_ordinal": "số thứ tự trong hồ sơ do việc lập hồ sơ quyết định",
    "so_ky_hieu": "hãy sửa code_number (số) và code_notation (ký hiệu)",
    "original_filename": "tên tệp gốc là bằng chứng nộp lưu, không sửa được",
    "original": "bản gốc điện tử không bao giờ bị thay đổi",
    "sha256": "giá trị băm của bản gốc không bao giờ thay đổi",
    "components": "các tệp của văn bản không sửa được",
    "events": "lịch sử bảo quản (PREMIS) chỉ được ghi thêm",
    "signatures": "kết quả kiểm tra chữ ký số do hệ thống tính",
    "status": "trạng thái do hệ thống quản lý (bảo quản, hủy)",
    "extra": "siêu dữ liệu trích xuất do hệ thống quản lý",
    "version": "phiên bản do hệ thống tăng sau mỗi lần sửa",
    "was_public": "do hệ thống quản lý",
    "created_at": "thời điểm nộp lưu không sửa được",
    "updated_at": "do hệ thống ghi",
}
"""Fields people know that a correction may not touch, with why (shown in the error)."""

_FORBIDDEN_CHARS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
"""Bidirectional controls and invisible format characters (as in file names, ``archive.domain``)."""
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def editable_list() -> str:
    return ", ".join(EDITABLE)


def check_field(name: str) -> str | None:
    """None when ``name`` may be edited; else the Vietnamese reason (protected or unknown)."""
    if name in EDITABLE:
        return None
    if name in PROTECTED:
        return f"trường «{name}» không được sửa ({PROTECTED[name]})"
    return f"không có trường «{name[:60]}»"


def _field_problem(name: str, why_vi: str) -> tuple[str, str]:
    en = f"field {name[:60]!r} may not be edited" if name in PROTECTED else f"unknown field {name[:60]!r}"
    return en, f"{why_vi[0].upper()}{why_vi[1:]}"


def _editable_problem() -> tuple[str, str]:
    return f"editable fields: {editable_list()}", f"Các trường sửa được: {editable_list()}"


def parse_assignment(text: str) -> tuple[str, str]:
    """``field=value`` (the CLI's ``--set``) → (field, value): split at the first ``=``; the field
    name in lower case (``-`` read as ``_``), the value as given. ``InvalidCorrection`` otherwise."""
    name, sep, value = str(text).partition("=")
    name = unicodedata.normalize("NFC", name).strip().lower().replace("-", "_")
    if not sep or not name:
        shown = str(text)[:60]
        raise InvalidCorrection([(f"expected field=value, got {shown!r}",
                                  f"Cần dạng trường=giá_trị (ví dụ subject=\"Về việc…\"), không phải «{shown}»")])
    why = check_field(name)
    if why is not None:
        raise InvalidCorrection([_field_problem(name, why), _editable_problem()])
    return name, value


def _text(name: str, spec: FieldSpec, value: Any, problems: list[Any]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and spec.kind == "text":
        value = str(value)
    if not isinstance(value, str):
        problems.append((f"{name} must be text", f"{spec.label} ({name}) phải là chuỗi ký tự"))
        return None
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).strip())
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs") or _FORBIDDEN_CHARS.match(c)), None)
    if bad is not None:
        problems.append((f"{name} contains a control or invisible character U+{ord(bad):04X}",
                         f"{spec.label} ({name}) chứa ký tự điều khiển hoặc ký tự ẩn (U+{ord(bad):04X})"))
        return None
    if spec.max_length and len(text) > spec.max_length:
        problems.append((f"{name} has {len(text)} characters, Decree 30 allows {spec.max_length}",
                         f"{spec.label} ({name}) dài {len(text)} ký tự, Nghị định 30 cho phép tối đa "
                         f"{spec.max_length}"))
        return None
    return text


def _date(name: str, spec: FieldSpec, text: str, problems: list[Any]) -> date | None:
    m_ymd, m_dmy = _YMD.match(text), _DMY.match(text)
    try:
        if m_ymd:
            return date(int(m_ymd[1]), int(m_ymd[2]), int(m_ymd[3]))
        if m_dmy:
            return date(int(m_dmy[3]), int(m_dmy[2]), int(m_dmy[1]))
    except ValueError:
        pass
    problems.append((f"{name}: {text[:40]!r} is not a date (dd/mm/yyyy or yyyy-mm-dd)",
                     f"{spec.label} ({name}): «{text[:40]}» không phải ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"))
    return None


def _int(name: str, spec: FieldSpec, value: Any, problems: list[Any]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.append((f"{name} must be a whole number", f"{spec.label} ({name}) phải là số nguyên"))
        return None
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]{1,12}", text):  # ASCII digits only (no other scripts' digits)
            problems.append((f"{name}: {text[:40]!r} is not a whole number",
                             f"{spec.label} ({name}): «{text[:40]}» không phải số nguyên"))
            return None
        value = int(text)
    if not 1 <= value <= (spec.maximum or MAX_INT):
        problems.append((f"{name} must be between 1 and {spec.maximum}",
                         f"{spec.label} ({name}) phải từ 1 đến {spec.maximum}"))
        return None
    number: int = value  # an int here (given as one, or int(text) above)
    return number


def _recipients(name: str, spec: FieldSpec, value: Any, problems: list[Any]) -> list[dict[str, Any]] | None:
    if isinstance(value, str):
        items: list[Any] = [p for p in value.split(";") if p.strip()]
    elif isinstance(value, list):
        items = value
    else:
        problems.append((f"{name} must be a list of agencies (or names separated by ';')",
                         f"{spec.label} ({name}) phải là danh sách cơ quan (hoặc các tên cách nhau bằng dấu ;)"))
        return None
    if len(items) > MAX_RECIPIENTS:
        problems.append((f"{name}: at most {MAX_RECIPIENTS} agencies", f"{spec.label}: tối đa {MAX_RECIPIENTS} cơ quan"))
        return None
    out = []
    for item in items:
        organ_id = None
        if isinstance(item, dict):
            unknown = set(item) - {"organ_name", "organ_id"}
            if unknown or "organ_name" not in item:
                problems.append((f"{name}: each agency is {{'organ_name', 'organ_id'?}}",
                                 f"{spec.label}: mỗi cơ quan có dạng {{\"organ_name\", \"organ_id\" (tùy chọn)}}"))
                return None
            organ_id, item = item.get("organ_id"), item["organ_name"]
        before = len(problems)
        organ = _text(name, spec, item, problems)
        if len(problems) > before:
            return None
        if not organ:
            continue
        entry = {"organ_name": organ}
        if organ_id not in (None, ""):
            if not isinstance(organ_id, str) or not AGENCY_ID.match(organ_id.strip()):
                problems.append((f"{name}: agency id {str(organ_id)[:20]!r} is not of the form 000.00.00.H26",
                                 f"{spec.label}: mã định danh cơ quan «{str(organ_id)[:20]}» không đúng dạng "
                                 "000.00.00.H26"))
                return None
            entry["organ_id"] = organ_id.strip()
        out.append(entry)
    return out or None


def _value(name: str, value: Any, problems: list[Any]) -> Any:
    return check_value(name, EDITABLE[name], value, problems)


def check_value(name: str, spec: FieldSpec, value: Any, problems: list[Any]) -> Any:
    """The checked value of field ``name`` by ``spec`` (None for an empty value); each problem is
    appended to ``problems`` as ``(english, vietnamese)``. Also used for declared metadata
    (``ingest.declared``), so a deposit and a correction check a value the same way."""
    if value is None or (isinstance(value, str) and not value.strip()) or value == []:
        if spec.required:
            problems.append((f"{name} may not be empty", f"{spec.label} ({name}) không được để trống"))
        return None
    if spec.kind == "recipients":
        return _recipients(name, spec, value, problems)
    if spec.kind == "int":
        return _int(name, spec, value, problems)
    text = _text(name, spec, value, problems)
    if text is None:
        return None
    if spec.kind == "date":
        return _date(name, spec, text, problems)
    if spec.kind == "enum":
        found = spec.aliases.get(fold(text))
        if found is None:
            problems.append((f"{name}: {text[:40]!r} is not one of {', '.join(spec.choices)}",
                             f"{spec.label} ({name}): «{text[:40]}» không hợp lệ; chọn một trong "
                             f"{', '.join(spec.choices)}"))
        return found
    return text


def validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The checked values (NFC text, dates, numbers, canonical enumerations; ``None`` empties a
    field). Every problem of every field is reported in one ``InvalidCorrection``."""
    problems: list[tuple[str, str]] = []
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidCorrection([("nothing to change: give at least one field",
                                  f"Chưa nêu trường nào cần sửa. Các trường sửa được: {editable_list()}")])
    out: dict[str, Any] = {}
    for raw_name, value in changes.items():
        name = unicodedata.normalize("NFC", str(raw_name)).strip()
        why = check_field(name)
        if why is not None:
            problems.append(_field_problem(name, why))
            continue
        before = len(problems)
        checked = _value(name, value, problems)
        if len(problems) == before:
            out[name] = checked
    if problems:
        if any(check_field(unicodedata.normalize("NFC", str(n)).strip()) for n in changes):
            problems.append(_editable_problem())
        raise InvalidCorrection(problems)
    return out


def validate_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidCorrection([("a reason is required", "Cần ghi lý do sửa (reason)")])
    text = unicodedata.normalize("NFC", reason).strip()
    bad = next((c for c in text if (unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t")
                or _FORBIDDEN_CHARS.match(c)), None)
    if bad is not None:
        raise InvalidCorrection([(f"the reason contains a control or invisible character U+{ord(bad):04X}",
                                  f"Lý do sửa chứa ký tự điều khiển hoặc ký tự ẩn (U+{ord(bad):04X})")])
    if len(text) > MAX_REASON:
        raise InvalidCorrection([(f"the reason is longer than {MAX_REASON} characters",
                                  f"Lý do sửa dài quá {MAX_REASON} ký tự")])
    return text


def as_json(value: Any) -> Any:
    """How a value is kept in the history and shown (dates as ``YYYY-MM-DD``)."""
    return value.isoformat() if isinstance(value, date) else value
