"""Retention policy, pure: periods, schedule items, rules, classification and due dates.

No I/O and no database here, so the ingest pipeline can call :func:`classify` on the fields it
extracted, and every computation is tested without a catalogue.

Law (requirements-vn.md §3, §4.3, §8.7):

* a period is *permanent* (Vĩnh viễn) or a number of years **from 2 to 70** (Luật Lưu trữ 2024
  Điều 15); legacy special values of TT 09/2011 (``until_expired``…) are kept for old data and are
  never due automatically;
* the period runs **from the year the work ended** (TT 10/2022 Điều 3): it expires on
  31 December of (end year + N);
* a dossier takes the **longest** period of its documents (Luật Lưu trữ 2024 Điều 15).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from archive.errors import ArchiveError

MIN_YEARS, MAX_YEARS = 2, 70
TRANSFER_YEARS = 6
"""Permanent dossiers due for the historical archive: 1 year to the current archive, then within 5
years to the historical archive (Luật Lưu trữ 2024 Điều 17): 31/12 of (end year + 6)."""
TRANSFER_REGISTER_DAYS = 365
"""Register with the historical archive ≥ 12 months before the transfer (requirements-vn.md §8.7)."""


class PolicyError(ArchiveError):
    code = "retention_policy"


class Trigger(StrEnum):
    END_OF_YEAR = "end_of_year"
    """The end of the dossier's final year (năm công việc kết thúc)."""
    EVENT = "event"
    """An event date recorded on the assignment (e.g. the end of a contract, a retirement)."""
    DATE_FIELD = "date_field"
    """A named date field of the dossier or record (``end_date``, ``issued_date``, an ``extra`` key)."""


class Action(StrEnum):
    REVIEW_DESTROY = "review_destroy"
    """Xem xét hủy at the end of the period."""
    TRANSFER = "transfer"
    """Nộp lưu vào lưu trữ lịch sử."""


class ItemStatus(StrEnum):
    CURRENT = "current"
    SAMPLE = "sample"
    """Test and demonstration data whose source is not confirmed."""
    LEGACY = "legacy"
    """A superseded text (TT 09/2011), kept for mapping old records."""


SPECIALS = {
    "until_expired": "Đến khi văn bản hết hiệu lực thi hành",
    "by_equipment_life": "Theo tuổi thọ thiết bị/công trình",
}
_PERMANENT_WORDS = {"permanent", "vinh vien", "vĩnh viễn"}


@dataclass(frozen=True, order=False)
class Period:
    """``years`` (2–70) or ``permanent``, or a legacy ``special`` value."""

    years: int | None = None
    permanent: bool = False
    special: str | None = None

    def __post_init__(self) -> None:
        kinds = (self.years is not None) + self.permanent + (self.special is not None)
        if kinds != 1:
            raise PolicyError("a period is exactly one of: years, permanent, special",
                              "Thời hạn lưu trữ phải là vĩnh viễn hoặc một số năm")
        if self.years is not None and not MIN_YEARS <= self.years <= MAX_YEARS:
            raise PolicyError(f"a time-limited period is 2 to 70 years, not {self.years} (Luật Lưu trữ 2024 Điều 15)",
                              f"Thời hạn lưu trữ có thời hạn phải từ 2 đến 70 năm, không phải {self.years} năm "
                              "(Luật Lưu trữ 2024, Điều 15)")
        if self.special is not None and self.special not in SPECIALS:
            raise PolicyError(f"unknown special period {self.special!r}",
                              f"Thời hạn đặc biệt không hợp lệ: {self.special!r}")

    @classmethod
    def parse(cls, value: Any) -> Period:
        """``"permanent"``, ``"Vĩnh viễn"``, ``10``, ``"10"``, ``"10 năm"``, ``"until_expired"``."""
        if isinstance(value, Period):
            return value
        if isinstance(value, bool):
            raise PolicyError(f"not a period: {value!r}", f"Thời hạn không hợp lệ: {value!r}")
        if isinstance(value, int):
            return cls(years=value)
        text = unicodedata.normalize("NFC", str(value)).strip()
        low = text.lower()
        if low in _PERMANENT_WORDS:
            return cls(permanent=True)
        if low in SPECIALS:
            return cls(special=low)
        for key, label in SPECIALS.items():
            if low == label.lower():
                return cls(special=key)
        m = re.fullmatch(r"(\d+)(\s*(năm|years?))?", low)
        if m:
            return cls(years=int(m.group(1)))
        raise PolicyError(f"not a period: {value!r}", f"Thời hạn lưu trữ không hợp lệ: {value!r}")

    def __str__(self) -> str:
        """The stored form: ``permanent``, ``10``, ``until_expired``."""
        if self.permanent:
            return "permanent"
        return self.special if self.special else str(self.years)

    @property
    def label_vi(self) -> str:
        if self.permanent:
            return "Vĩnh viễn"
        return SPECIALS[self.special] if self.special else f"{self.years} năm"

    @property
    def rank(self) -> float:
        """Order for "the longest period": years < legacy specials < permanent. A special period
        has no end date of its own, so it must never be outranked by a finite one."""
        if self.permanent:
            return float("inf")
        if self.special:
            return 10_000.0
        assert self.years is not None  # exactly one of years, permanent, special (__post_init__)
        return float(self.years)


def disposal_date(period: Period, start: date | int) -> date | None:
    """31 December of (start year + N); None for permanent and special periods (never due).

    ``start`` is the trigger date or the end year of the work (TT 10/2022 Điều 3).
    """
    if period.years is None:
        return None
    year = start if isinstance(start, int) else start.year
    return date(year + period.years, 12, 31)


def transfer_date(start: date | int, years: int = TRANSFER_YEARS) -> date:
    year = start if isinstance(start, int) else start.year
    return date(year + years, 12, 31)


@dataclass(frozen=True)
class ScheduleItem:
    """One line of a schedule: source document, item code, description, period, trigger, action."""

    code: str
    description: str
    period: Period
    trigger: Trigger = Trigger.END_OF_YEAR
    trigger_field: str | None = None
    action: Action = Action.REVIEW_DESTROY
    source: str | None = None
    group: str | None = None
    status: ItemStatus = ItemStatus.CURRENT
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.code or not self.description:
            raise PolicyError("a schedule item needs a code and a description",
                              "Mục trong bảng thời hạn phải có số mục và tên nhóm hồ sơ")
        if self.trigger != Trigger.END_OF_YEAR and not self.trigger_field:
            raise PolicyError(f"item {self.code}: trigger {self.trigger} needs trigger_field",
                              f"Mục {self.code}: căn cứ tính thời hạn {self.trigger} cần tên sự kiện hoặc trường ngày")

    def as_dict(self) -> dict:
        return {"item_code": self.code, "description": self.description, "period": str(self.period),
                "trigger": str(self.trigger), "trigger_field": self.trigger_field, "action": str(self.action),
                "source": self.source, "group": self.group, "status": str(self.status), "note": self.note}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScheduleItem:
        return cls(code=str(d.get("item_code") or d.get("code")), description=d["description"],
                   period=Period.parse(d["period"]), trigger=Trigger(d.get("trigger") or "end_of_year"),
                   trigger_field=d.get("trigger_field") or None,
                   action=Action(d.get("action") or "review_destroy"), source=d.get("source") or None,
                   group=d.get("group") or None, status=ItemStatus(d.get("status") or "current"),
                   note=d.get("note") or None)


@dataclass(frozen=True)
class Schedule:
    """A retention schedule (bảng thời hạn lưu trữ). ``version`` is set when it is saved."""

    code: str
    title: str
    items: tuple[ScheduleItem, ...]
    source: str | None = None
    sample: bool = False
    version: int | None = None

    def __post_init__(self) -> None:
        codes = [i.code for i in self.items]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise PolicyError(f"duplicate item codes in schedule {self.code}: {dupes}",
                              f"Bảng thời hạn {self.code} có số mục trùng nhau: {', '.join(dupes)}")

    def item(self, code: str) -> ScheduleItem:
        for i in self.items:
            if i.code == code:
                return i
        raise PolicyError(f"schedule {self.code} has no item {code}",
                          f"Bảng thời hạn {self.code} không có mục {code}")

    def content(self) -> list[dict]:
        """The items in canonical form (what versioning compares)."""
        return [i.as_dict() for i in sorted(self.items, key=lambda i: i.code)]


# rules and classification --------------------------------------------------------------------

def fold(text: str | None) -> str:
    """Case- and accent-insensitive form for keyword matching (``Quyết định`` → ``quyet dinh``)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").casefold()


CRITERIA_KEYS = ("type_names", "dossier_ids", "fonds_ids", "series", "keywords")


@dataclass(frozen=True)
class Criteria:
    """Each given list must match (AND); any value of a list matches it (OR).

    * ``type_names``: tên loại văn bản (``Quyết định``), accent-insensitive;
    * ``dossier_ids``, ``fonds_ids``: catalogue ids;
    * ``series``: the series code, i.e. the part of the dossier notation after the number
      (``TCCB`` in ``01.TCCB``), or a ``series`` field given by the caller;
    * ``keywords``: words or phrases in the subject or title, accent-insensitive.
    """

    type_names: tuple[str, ...] = ()
    dossier_ids: tuple[str, ...] = ()
    fonds_ids: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Criteria:
        d = d or {}
        unknown = set(d) - set(CRITERIA_KEYS)
        if unknown:
            raise PolicyError(f"unknown criteria {sorted(unknown)}", f"Tiêu chí không hợp lệ: {sorted(unknown)}")
        return cls(**{k: tuple(v if isinstance(v, (list, tuple)) else [v]) for k, v in d.items() if v})

    def as_dict(self) -> dict:
        return {k: list(getattr(self, k)) for k in CRITERIA_KEYS if getattr(self, k)}

    @property
    def specificity(self) -> int:
        return sum(1 for k in CRITERIA_KEYS if getattr(self, k))

    def matches(self, fields: Mapping[str, Any]) -> bool:
        if self.type_names and fold(fields.get("type_name")) not in {fold(t) for t in self.type_names}:
            return False
        if self.dossier_ids and fields.get("dossier_id") not in self.dossier_ids:
            return False
        if self.fonds_ids and fields.get("fonds_id") not in self.fonds_ids:
            return False
        if self.series and fold(series_of(fields)) not in {fold(s) for s in self.series}:
            return False
        if self.keywords:
            haystack = " ".join(fold(fields.get(k)) for k in ("subject", "title", "dossier_title"))
            if not any(_contains_phrase(haystack, fold(k)) for k in self.keywords):
                return False
        return True


def _contains_phrase(haystack: str, phrase: str) -> bool:
    return bool(phrase) and re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", haystack) is not None


def series_of(fields: Mapping[str, Any]) -> str | None:
    if fields.get("series"):
        return str(fields["series"])
    notation = fields.get("dossier_notation")
    if notation and "." in notation:
        return notation.split(".", 1)[1]
    return None


@dataclass(frozen=True)
class Rule:
    """Criteria → a schedule item. Higher ``priority`` wins; then the more specific rule; then ``id``."""

    id: str
    name: str
    item: ScheduleItem
    schedule_code: str
    schedule_version: int
    priority: int = 0
    criteria: Criteria = field(default_factory=Criteria)


@dataclass(frozen=True)
class Assignment:
    """A retention decision for one record or dossier (not yet saved)."""

    item: ScheduleItem
    schedule_code: str
    schedule_version: int
    method: str = "rule"
    rule_id: str | None = None
    reason: str | None = None

    @property
    def period(self) -> Period:
        return self.item.period

    def as_dict(self) -> dict:
        return {"schedule_code": self.schedule_code, "schedule_version": self.schedule_version,
                "item_code": self.item.code, "description": self.item.description,
                "period": str(self.period), "period_vi": self.period.label_vi, "trigger": str(self.item.trigger),
                "action": str(self.item.action), "method": self.method, "rule_id": self.rule_id,
                "reason": self.reason}


def _rule_order(rule: Rule) -> tuple:
    return (-rule.priority, -rule.criteria.specificity, rule.id)


def classify(record_fields: Mapping[str, Any], rules: Sequence[Rule]) -> Assignment | None:
    """The assignment of the best matching rule, or None when no rule matches.

    ``record_fields``: ``type_name``, ``subject``, ``dossier_id``, ``fonds_id``,
    ``dossier_notation`` / ``series``, ``title``… (what ingest has extracted, or a catalogue row).
    Pure: the ingest pipeline calls it with rules loaded once (``retention.schedules.load_rules``).
    """
    for rule in sorted(rules, key=_rule_order):
        if rule.criteria.matches(record_fields):
            return Assignment(item=rule.item, schedule_code=rule.schedule_code,
                              schedule_version=rule.schedule_version, method="rule", rule_id=rule.id,
                              reason=f"quy tắc «{rule.name}» (ưu tiên {rule.priority})")
    return None


def longest(assignments: Iterable[Assignment]) -> Assignment | None:
    """The dossier's assignment: the longest period of its documents (Luật Lưu trữ 2024 Điều 15).

    Among equal periods a transfer action wins over review for destruction (the safer choice).
    """
    best = None
    for a in assignments:
        key = (a.period.rank, a.item.action == Action.TRANSFER)
        if best is None or key > best[0]:
            best = (key, a)
    return None if best is None else replace(best[1], method="derived")


@dataclass(frozen=True)
class Due:
    """When what is due: ``date`` None means never (permanent, special, or waiting for an event)."""

    date: date | None
    action: Action | None


def due(item: ScheduleItem, *, end_year: int | None, fields: Mapping[str, Any] | None = None,
        event_date: date | None = None) -> Due:
    """The due date of a dossier under ``item``.

    * end_of_year: from the dossier's end year; event: from ``event_date`` (not due until known);
      date_field: from ``fields[item.trigger_field]`` (a ``date`` or ISO string);
    * a time-limited period: 31/12 of (start year + N), action of the item;
    * a permanent period with action ``transfer``: the transfer deadline (start year + 6);
      otherwise permanent and special periods are never due.
    """
    start: date | int | None
    if item.trigger == Trigger.END_OF_YEAR:
        start = end_year
    elif item.trigger == Trigger.EVENT:
        start = event_date
    else:
        value = (fields or {}).get(item.trigger_field) if item.trigger_field is not None else None
        start = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    if start is None:
        return Due(None, None)
    if item.period.years is not None:
        return Due(disposal_date(item.period, start), item.action)
    if item.action == Action.TRANSFER:
        return Due(transfer_date(start), Action.TRANSFER)
    return Due(None, None)
