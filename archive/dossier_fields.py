"""The fields of a dossier (hồ sơ) as Decree 30/2020/NĐ-CP Phụ lục VI Phần II mục III has them,
validated before anything is stored, and the mã hồ sơ built from them. Pure: no I/O.

=====================  ====================  ==========  =============================================
field                  Phụ lục VI            length      rule here
=====================  ====================  ==========  =============================================
``organ_id``           OrganId               String 13   the fonds' agency code, ``000.00.00.H26``
``year``               FileCatalog           Number 4    four digits, at most next year
``notation``           FileNotation          String 20   running number + heading abbreviation
                                                         (``01.TCCB``, §1.12 of the domain notes)
``title``              Title                 String 500  required
``retention``          Maintenance           String 30   decided by the retention engine, not typed
``access_regime``      Rights                String 30   public / internal / restricted
``creator``            Creator               String 30
``language``           Language              String 50
``start_date``         StartDate             Date        end ≥ start (a declared value, see below)
``end_date``           EndDate               Date
``doc_total``          DocTotal              Number 4    filled by the system (Phụ lục VI III.1.g)
``page_total``         PageTotal             Number 4    filled by the system (Phụ lục VI III.1.g)
``description``        Description           String 500
``sheet_total``        (TT 05: số lượng tờ)  Number 10   optional, for paper or digitised dossiers
``catalogue_number``   (TT 05: mục lục số)   ≤ 10        optional; only part of the *archival* code
=====================  ====================  ==========  =============================================

**Mã hồ sơ** = OrganId + năm + số và ký hiệu hồ sơ, joined with ``.`` (``000.00.00.H26.2025.01.TCCB``;
the decree names the parts but no separator, requirements-vn.md §1.14). The *mục lục số* is not
part of it: TT 05/2025 adds it, "if any", only to the mã hồ sơ lưu trữ (``arcFileCode``) of a
dossier handed to an archive (tt05-packages.md §7.1), so it is kept as an optional field.

Every problem of a request is reported at once (``InvalidDossier.problems``), in Vietnamese for
people and in English for logs, so a form with three mistakes is corrected in one go.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from archive.domain import AGENCY_ID, dossier_code
from archive.errors import ArchiveError

NOTATION = re.compile(r"^\d{1,4}(?:\.[0-9A-ZĐ]+(?:-[0-9A-ZĐ]+)*)*$")
"""Số và ký hiệu hồ sơ: the running number (Arabic digits), then the abbreviation of the heading
(``01.TCCB``, ``12.VP-HC``); letters are upper case (``Đ`` included)."""
CATALOGUE_NUMBER = re.compile(r"^[0-9A-ZĐ](?:[0-9A-ZĐ.\-]{0,9})$")
CODE = re.compile(r"^(?P<organ>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})\.(?P<year>\d{4})\.(?P<notation>.+)$")
"""A mã hồ sơ split into its three parts (the agency code has a fixed shape, so the split is exact)."""
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
"""Control, bidirectional and zero-width characters: never part of a name people read."""

ACCESS_REGIMES = {"public": "Công khai", "internal": "Nội bộ", "restricted": "Hạn chế"}
"""Chế độ sử dụng (Rights) of a dossier, with the label people read."""
STATUS_VI = {"open": "Đang lập", "closed": "Đã kết thúc (đóng)", "disposed": "Đã hủy"}

TEXT = {  # name: (Vietnamese label, Phụ lục VI length, required)
    "title": ("Tiêu đề hồ sơ", 500, True),
    "creator": ("Người lập hồ sơ", 30, False),
    "language": ("Ngôn ngữ", 50, False),
    "description": ("Ghi chú", 500, False),
}
LABELS = {
    **{k: v[0] for k, v in TEXT.items()},
    "organ_id": "Mã định danh cơ quan", "year": "Năm hình thành hồ sơ", "notation": "Số và ký hiệu hồ sơ",
    "access_regime": "Chế độ sử dụng", "start_date": "Thời gian bắt đầu", "end_date": "Thời gian kết thúc",
    "sheet_total": "Số lượng tờ", "catalogue_number": "Mục lục số",
}
EDITABLE = frozenset(LABELS) - {"organ_id"}
"""Fields a person may set on a dossier (the fonds of a dossier never changes)."""
SYSTEM = {
    "code": "Mã hồ sơ được ghép từ mã cơ quan, năm và số ký hiệu hồ sơ",
    "doc_total": "Tổng số văn bản do hệ thống tự tính từ các văn bản trong hồ sơ (Phụ lục VI, III.1.g)",
    "page_total": "Tổng số trang do hệ thống tự tính từ các văn bản trong hồ sơ (Phụ lục VI, III.1.g)",
    "retention": "Thời hạn bảo quản do quy tắc thời hạn xác định; đổi bằng «luutru retention assign» (có lý do)",
    "status": "Trạng thái đổi bằng lệnh đóng/mở lại hồ sơ",
    "fonds_id": "Hồ sơ không chuyển sang phông khác",
}
SHEETS_MAX = 9_999_999_999  # Number 10 (TT 05/2025, numberOfPaper)


@dataclass(frozen=True)
class Problem:
    field: str
    message_vi: str
    message_en: str


class InvalidDossier(ArchiveError):
    """The dossier's fields break Decree 30 Phụ lục VI or the rules above (every problem listed)."""

    code = "invalid_dossier"

    def __init__(self, problems: list[Problem], *, of: tuple[str, str] = ("dossier", "hồ sơ")):
        super().__init__(f"invalid {of[0]}: " + "; ".join(f"{p.field}: {p.message_en}" for p in problems),
                         f"Thông tin {of[1]} không hợp lệ: " + "; ".join(p.message_vi for p in problems))
        self.problems = problems


def parse_date(value: Any) -> date:
    """A date as people write it (``31/12/2025``, ``1/7/2025``) or as systems do (``2025-12-31``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(text)


def fmt_date(value: date | None) -> str:
    """dd/mm/yyyy, the way dates are written for people; empty when unknown."""
    return value.strftime("%d/%m/%Y") if value else ""


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def code_for(organ_id: str, year: int, notation: str) -> str:
    """The mã hồ sơ of a dossier (``archive.domain.dossier_code``, the one join used everywhere)."""
    return dossier_code(organ_id, year, notation)


def parse_code(code: str) -> tuple[str, int, str]:
    """(agency code, year, notation) of a mã hồ sơ; ``InvalidDossier`` when it is not one."""
    m = CODE.match(_text(code).upper())
    problems = []
    if m is None:
        problems.append(Problem("code", f"Mã hồ sơ «{_text(code)}» không đúng dạng <mã cơ quan>.<năm>.<số ký hiệu>, "
                                        "ví dụ 000.00.00.H26.2025.01.TCCB",
                                f"{code!r} is not <agency code>.<year>.<notation>"))
        raise InvalidDossier(problems)
    organ, year, notation = m.group("organ"), int(m.group("year")), m.group("notation")
    if not NOTATION.match(notation) or len(notation) > 20:
        raise InvalidDossier([_notation_problem(notation)])
    return organ, year, notation


def _notation_problem(notation: str) -> Problem:
    if len(notation) > 20:
        return Problem("notation", f"Số và ký hiệu hồ sơ «{notation}» dài {len(notation)} ký tự (tối đa 20)",
                       f"notation is {len(notation)} characters long (at most 20)")
    return Problem("notation", f"Số và ký hiệu hồ sơ «{notation}» phải gồm số thứ tự rồi ký hiệu đề mục, "
                               "ví dụ 01.TCCB (chữ số, chữ in hoa, dấu chấm, gạch nối)",
                   f"notation {notation!r} must be a running number then the heading abbreviation, e.g. 01.TCCB")


def clean(values: Mapping[str, Any], *, declared: Mapping[str, date | None] | None = None,
          today: date | None = None) -> dict[str, Any]:
    """The values, normalised (NFC, trimmed, notation upper case, dates parsed), or
    ``InvalidDossier`` listing every problem. Only the keys given are checked, so an edit passes
    just its changes; ``declared`` holds the dossier's current declared start and end dates, so
    an edit of one of them is checked against the other. ``None`` clears an optional field."""
    today = today or date.today()
    out: dict[str, Any] = {}
    problems: list[Problem] = []

    def bad(name: str, vi: str, en: str) -> None:
        problems.append(Problem(name, f"{LABELS.get(name, name)}: {vi}", en))

    for name, value in values.items():
        if name in SYSTEM:
            problems.append(Problem(name, f"Không sửa trực tiếp được «{name}»: {SYSTEM[name]}",
                                    f"{name} is not set by hand"))
            continue
        if name not in LABELS:
            problems.append(Problem(name, f"Không có trường «{name}» trong hồ sơ", f"unknown field {name!r}"))
            continue
        if value is None:
            if name in ("title", "year", "notation", "organ_id", "access_regime", "language"):
                bad(name, "không được để trống", "required")
            else:
                out[name] = None
            continue
        if name in TEXT:
            _label, limit, required = TEXT[name]
            text = _text(value)
            if not text:
                if required:
                    bad(name, "không được để trống", "required")
                else:
                    out[name] = None
            elif len(text) > limit:
                bad(name, f"dài {len(text)} ký tự, tối đa {limit} (Nghị định 30, Phụ lục VI)",
                    f"{len(text)} characters, at most {limit}")
            elif CONTROL.search(text.replace("\n", "") if name == "description" else text):
                bad(name, "có ký tự điều khiển hoặc ký tự ẩn", "control or invisible characters")
            else:
                out[name] = text
        elif name == "organ_id":
            text = _text(value)
            if not AGENCY_ID.match(text):
                bad(name, f"«{text}» không đúng dạng 000.00.00.H26", f"{text!r} is not of the form 000.00.00.H26")
            else:
                out[name] = text
        elif name == "year":
            text = _text(value)
            if isinstance(value, bool) or not re.fullmatch(r"\d{4}", text):
                bad(name, f"«{text}» phải là năm gồm 4 chữ số", f"{text!r} is not a four-digit year")
            elif not 1000 <= int(text) <= today.year + 1:
                bad(name, f"năm {text} chưa đến", f"year {text} is in the future")
            else:
                out[name] = int(text)
        elif name == "notation":
            text = _text(value).upper()
            if not NOTATION.match(text) or len(text) > 20:
                p = _notation_problem(text)
                problems.append(p)
            else:
                out[name] = text
        elif name == "catalogue_number":
            text = _text(value).upper()
            if not text:
                out[name] = None
            elif not CATALOGUE_NUMBER.match(text):
                bad(name, f"«{text}» phải là số hoặc ký hiệu mục lục, tối đa 10 ký tự (ví dụ 01)",
                    f"{text!r} is not a catalogue number of at most 10 characters")
            else:
                out[name] = text
        elif name == "access_regime":
            text = _text(value)
            by_label = {v.casefold(): k for k, v in ACCESS_REGIMES.items()}
            code = text if text in ACCESS_REGIMES else by_label.get(text.casefold())
            if code is None:
                bad(name, f"«{text}» không hợp lệ; chọn một trong: "
                          + ", ".join(f"{k} ({v})" for k, v in ACCESS_REGIMES.items()),
                    f"{text!r} is not one of {', '.join(ACCESS_REGIMES)}")
            else:
                out[name] = code
        elif name in ("start_date", "end_date"):
            try:
                d = parse_date(value)
            except ValueError:
                bad(name, f"«{value}» không phải ngày (dạng dd/mm/yyyy)", f"{value!r} is not a date")
                continue
            if d.year < 1000:
                bad(name, f"năm {d.year} phải gồm 4 chữ số", "the year must have four digits")
            else:
                out[name] = d
        elif name == "sheet_total":
            text = _text(value)
            if isinstance(value, bool) or not re.fullmatch(r"\d{1,10}", text):
                bad(name, f"«{text}» phải là số tự nhiên (tối đa 10 chữ số)", f"{text!r} is not a count")
            else:
                out[name] = int(text)
    start = out["start_date"] if "start_date" in out else (declared or {}).get("start_date")
    end = out["end_date"] if "end_date" in out else (declared or {}).get("end_date")
    if start and end and end < start and not any(p.field in ("start_date", "end_date") for p in problems):
        problems.append(Problem("end_date", f"Thời gian kết thúc {fmt_date(end)} trước thời gian bắt đầu "
                                            f"{fmt_date(start)}", f"end date {end} is before start date {start}"))
    if problems:
        raise InvalidDossier(problems)
    return out


def effective_dates(declared_start: date | None, declared_end: date | None, first: date | None,
                    last: date | None) -> tuple[date | None, date | None]:
    """The dossier's start and end dates: the declared period widened to cover every document of
    the dossier (``first``/``last``: the earliest and latest dates of issue of its records). A
    declared period may be wider than the documents (a dossier of a whole year's meetings), never
    narrower: the end date starts the retention period, so a document later than a declared end
    must never make the dossier due early."""
    start = min((d for d in (declared_start, first) if d is not None), default=None)
    end = max((d for d in (declared_end, last) if d is not None), default=None)
    return start, end
