"""Document types (*tên loại văn bản*) and their abbreviations.

The administrative types and copy forms come from the packaged ``doc_types.json`` (Nghị định
30/2020/NĐ-CP, Điều 7 and Phụ lục III Mục I), loaded once per process. The normative types
(*văn bản quy phạm pháp luật*) are outside Decree 30 and are added here from common usage (the
``64/2007/NĐ-CP`` number form is UNCONFIRMED by a primary text, requirements-vn.md §1.4).

Abbreviations are case-sensitive: ``QyĐ`` (Quy định) is not ``QĐ`` (Quyết định), ``CTr``
(Chương trình) is not ``CT`` (Chỉ thị), ``TTr`` (Tờ trình) is not ``TT`` (Thông tư).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
from importlib import resources

log = logging.getLogger(__name__)

ADMINISTRATIVE = "administrative"
COPY = "copy"
NORMATIVE = "normative"

NORMATIVE_TYPES: tuple[tuple[str, str | None], ...] = (
    ("Luật", None),
    ("Nghị định", "NĐ"),
    ("Thông tư", "TT"),
    ("Thông tư liên tịch", "TTLT"),
    ("Nghị quyết", "NQ"),
    ("Quyết định", "QĐ"),
)
"""Normative types the parser recognises (common usage; the Quyết định is the Prime Minister's or
a People's Committee's normative decision, the Nghị quyết a council's)."""

ALWAYS_NORMATIVE = frozenset({"Luật", "Nghị định", "Thông tư", "Thông tư liên tịch"})
"""Types that are normative whatever their number looks like (a Nghị quyết or Quyết định may be
either; its number form decides)."""

_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")


@dataclass(frozen=True)
class DocType:
    """One document type: canonical ``name`` (e.g. "Quyết định"), ``abbreviation`` used in the
    ký hiệu (``None`` for Công văn, Thư công and Luật) and ``category``: ``"administrative"``,
    ``"copy"`` (SY, TrS, SL) or ``"normative"``."""

    name: str
    abbreviation: str | None
    category: str


@dataclass(frozen=True)
class DocTypeTable:
    """Lookups over all known types. ``by_name`` maps canonical names (an administrative entry is
    preferred over the normative one of the same name)."""

    types: tuple[DocType, ...]
    administrative: dict[str, DocType] = field(default_factory=dict)
    copies: dict[str, DocType] = field(default_factory=dict)
    normative: dict[str, DocType] = field(default_factory=dict)
    by_name: dict[str, DocType] = field(default_factory=dict)

    @classmethod
    def build(cls, types: tuple[DocType, ...]) -> DocTypeTable:
        table = cls(types)
        for t in types:
            if t.category == ADMINISTRATIVE:
                if t.abbreviation:
                    table.administrative.setdefault(t.abbreviation, t)
                table.by_name.setdefault(t.name, t)
            elif t.category == COPY and t.abbreviation:
                table.copies.setdefault(t.abbreviation, t)
        for t in types:
            if t.category == NORMATIVE:
                if t.abbreviation:
                    table.normative.setdefault(t.abbreviation, t)
                table.by_name.setdefault(t.name, t)
        return table

    def lookup(self, abbreviation: str, *, normative_form: bool) -> DocType | None:
        """The type an abbreviation stands for; the normative table is tried first for a number
        with a year (``64/2007/NĐ-CP``), last otherwise. Copy forms are not returned."""
        order = (self.normative, self.administrative) if normative_form else (
            self.administrative, self.normative)
        for mapping in order:
            if abbreviation in mapping:
                return mapping[abbreviation]
        return None

    def is_known_abbreviation(self, abbreviation: str) -> bool:
        return (abbreviation in self.administrative or abbreviation in self.normative
                or abbreviation in self.copies)


def canonical_name(name: str) -> str:
    """``"Quyết định (cá biệt)"`` -> ``"Quyết định"``."""
    return _QUALIFIER.sub("", name).strip()


def _normative() -> tuple[DocType, ...]:
    return tuple(DocType(name, abbr, NORMATIVE) for name, abbr in NORMATIVE_TYPES)


def parse_doc_types(data: dict) -> tuple[DocType, ...]:
    """The types listed in a ``doc_types.json`` document; entries without a name are skipped."""
    out = []
    for entry in data.get("types", ()):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        abbr = entry.get("abbreviation")
        category = entry.get("category") or ADMINISTRATIVE
        out.append(DocType(canonical_name(name), abbr if isinstance(abbr, str) and abbr else None,
                           category))
    return tuple(out)


@functools.cache
def load_doc_types() -> DocTypeTable:
    """The packaged table plus the normative types, read once per process.

    Never raises: if the packaged JSON is missing or unreadable the error is logged and only the
    normative types are known (the parser then still reads numbers, dates and signers).
    """
    try:
        raw = resources.files(__package__).joinpath("doc_types.json").read_text(encoding="utf-8")
        types = parse_doc_types(json.loads(raw))
    except Exception:  # a broken install must not break ingest
        log.error("doc_types.json could not be loaded; only normative types are known", exc_info=True)
        types = ()
    return DocTypeTable.build(types + _normative())
