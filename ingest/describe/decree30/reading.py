"""Decree 30 reading, part 3: the state of one parse (``_Reading``: the regions, the fields read so
far, where each component was found) and the readings the header and the closing share: a
symbol (số, ký hiệu), a date, a block label."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.describe.decree30.patterns import (
    _ANY_SLASH,
    _DATE,
    _DATE_NUMERIC,
    _OCR_SLASHES,
    _ODD_HYPHENS,
    _SO,
    _TYPE_LINE_ALIASES,
)
from ingest.describe.decree30.text import LAYOUT_DEFECT, LENIENT, STRICT, _fold, _Line, _tone
from ingest.describe.description import Field
from ingest.describe.doc_types import DocType, DocTypeTable

# --------------------------------------------------------------------------------------------
# Intermediate readings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Symbol:
    line: int
    end: int  # offset in line.raw where the match ends
    number: str | None
    year: int | None
    notation: str
    groups: tuple[str, ...]
    flags: tuple[str, ...]
    confidence: float

    @property
    def so_ky_hieu(self) -> str | None:
        if self.number is None:
            return None
        if self.year is not None:
            return f"{self.number}/{self.year}/{self.notation}"
        return f"{self.number}/{self.notation}"


_OCR_FLAGS = frozenset({"ocr_spaces_in_symbol", "ocr_slash_variant", "nonstandard_hyphen",
                        "ocr_d_for_đ", "ocr_number_label"})



class _Reading:
    """One parse; holds the regions and what has been read so far."""

    def __init__(self, head: list[_Line], tail: list[_Line], table: DocTypeTable, lenient: bool):
        self.head = head
        self.tail = tail
        self.table = table
        self.lenient = lenient
        self.fields: dict[str, Field] = {}
        self.body_start = len(head)
        self.symbol: _Symbol | None = None
        self.copy_symbol: _Symbol | None = None
        self.copy_lines: list[int] = []
        self.date_line: int | None = None
        self.vv_line: int | None = None
        self.vv_end: int | None = None
        self.type_line: int | None = None
        self.type_found: tuple[DocType, float, tuple[str, ...]] | None = None
        self.type_rest = ""
        # Type names as printed in box 5a, longest first ("THÔNG TƯ LIÊN TỊCH" before "THÔNG TƯ").
        self.caps_types = {_tone(name.upper()): t for name, t in
                           sorted(table.by_name.items(), key=lambda kv: -len(kv[0]))}
        for alias, name in _TYPE_LINE_ALIASES.items():
            if name in table.by_name:
                self.caps_types.setdefault(alias, table.by_name[name])
        self.folded_types = {_fold(name): t for name, t in table.by_name.items()}
        self.spaced_types = {k.replace(" ", ""): t for k, t in self.caps_types.items()}
        self.subject_end: int | None = None
        self.kinh_gui: list[str] = []
        self.kinh_gui_end: int | None = None
        self.agency_end: int | None = None
        self.header_end = -1

    def set(self, name: str, value: object, confidence: float, source: str,
            flags: tuple[str, ...] | list[str] = ()) -> None:
        self.fields[name] = Field(value, round(confidence, 2), source, tuple(dict.fromkeys(flags)))

    def _label(self, pattern: re.Pattern[str], cell: str, proper: str) -> re.Match[str] | None:
        """Match a block label ("Kính gửi", "Nơi nhận") on folded text; without diacritics only
        in lenient mode."""
        if cell[:1] not in "KkNn":
            return None
        m = pattern.match(_fold(cell[:24]))
        if m and not self.lenient and not cell.lower().startswith(proper):
            return None
        return m

    def _header_lines(self) -> list[_Line]:
        return self.head[: self.body_start]

    def _read_symbol(self, line: _Line, m: re.Match[str]) -> _Symbol | None:
        flags: list[str] = []
        label = m.group("label").replace(" ", "")
        base = label.removeprefix("Luật").removeprefix("LUẬT").rstrip(":;.")
        if base not in ("Số", "SỐ", "số"):
            flags.append("ocr_number_label")
        elif label not in ("Số:", "Luậtsố:", "LUẬTSỐ:"):
            flags.append("number_label_variant")
        number = m.group("so")
        if number is not None:
            if m.group("gap"):
                flags.append("ocr_spaces_in_symbol")
            if len(number) == 1:
                flags.append("number_not_zero_padded")
        kh_raw = m.group("kh")
        slash = m.group("slash1") + (m.group("slash2") or "")
        if m.group("sp1") or " " in slash or " " in kh_raw:
            flags.append("ocr_spaces_in_symbol")
        if any(ch in _OCR_SLASHES for ch in slash):
            flags.append("ocr_slash_variant")
        if any(ch in _ODD_HYPHENS for ch in kh_raw):
            flags.append("nonstandard_hyphen")
        kh = kh_raw.replace(" ", "")
        for ch in _ODD_HYPHENS:
            kh = kh.replace(ch, "-")
        groups = list(kh.split("-"))
        if len(kh) > 40 or len(groups) > 6 or any(not g for g in groups):
            return None
        first = groups[0]
        if (self.lenient and len(groups) > 1 and "D" in first
                and not self.table.is_known_abbreviation(first)):
            repaired = first.replace("D", "Đ")
            if self.table.is_known_abbreviation(repaired):
                groups[0] = repaired
                flags.append("ocr_d_for_đ")
        if not self.lenient and _OCR_FLAGS.intersection(flags):
            return None
        year = int(m.group("year")) if m.group("year") else None
        if year is None and len(groups) == 1:
            flags.append("notation_single_group")  # II.3.b wants issuer-unit or type-issuer
        if _OCR_FLAGS.intersection(flags):
            confidence = LENIENT
        elif flags:
            confidence = LAYOUT_DEFECT
        else:
            confidence = STRICT
        return _Symbol(line.index, m.end(), number, year, "-".join(groups), tuple(groups),
                       tuple(dict.fromkeys(flags)), confidence)

    def _is_copy_symbol(self, sym: _Symbol) -> bool:
        return len(sym.groups) > 1 and sym.groups[0] in self.table.copies

    def _symbols_in(self, line: _Line) -> list[_Symbol]:
        if not _ANY_SLASH.search(line.raw):
            return []
        out = []
        for m in _SO.finditer(line.raw):
            sym = self._read_symbol(line, m)
            if sym is not None:
                out.append(sym)
        return out

    def _date_in(self, line: _Line) -> tuple[re.Match[str], bool] | None:
        if "," not in line.raw:
            return None
        m = _DATE.search(line.raw)
        if m:
            return m, False
        m = _DATE_NUMERIC.search(line.raw)
        if m and self.lenient:
            return m, True
        return None
