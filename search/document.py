"""The index document: what a backend stores about one record, built from catalogue rows by
``search.indexer`` (or directly by tests and benchmarks).

Text fields are kept as written (NFC) for display and snippets; ``analysed()`` gives the token
streams of ``search.analysis`` that both backends index the same way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from archive.access import ACCESS_LEVELS
from search.analysis import (
    Abbreviations,
    bigrams,
    default_abbreviations,
    exact_tokens,
    fold,
    fold_tokens,
    nfc,
    skh_tokens,
    syllables,
)

TEXT_FIELDS = ("title", "body", "meta")
EXACT_FIELDS = ("title", "meta")
"""Logical text fields: trích yếu, full text, and the descriptive metadata (tên loại, số ký hiệu,
agency, signer, place, dossier and fonds names)."""


@lru_cache(maxsize=65_536)
def keyword(value: str | None) -> str | None:
    """A whole value as a filter key: folded, single spaces (``Ủy ban  nhân dân`` → ``uy ban nhan dan``).
    Cached: types, agencies and signers repeat from record to record."""
    if not value:
        return None
    return re.sub(r"\s+", " ", fold(value)).strip() or None


def tiebreak(record_id: str) -> int:
    """A stable 63-bit number per record: the second sort key, so paging never repeats or skips."""
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "big") >> 1


@dataclass(frozen=True)
class IndexDocument:
    record_id: str
    title: str | None = None
    """Trích yếu nội dung."""
    body: str | None = None
    """Full text (the record's ``text`` component)."""
    type_name: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    issued_date: date | None = None
    organ_name: str | None = None
    signer_name: str | None = None
    signer_position: str | None = None
    place: str | None = None
    dossier_id: str | None = None
    dossier_code: str | None = None
    dossier_title: str | None = None
    fonds_id: str | None = None
    fonds_name: str | None = None
    access_level: str = "internal"
    signature_status: str = "unknown"
    retention_status: str = "unassigned"
    signed_by: str | None = None
    """Signers and organisations named in the document's digital signatures (chữ ký số)."""
    ocr_status: str = "none"
    """none (no scanned page) / done / low_confidence / pending / missing (``search.indexer.ocr_status``)."""

    def __post_init__(self) -> None:
        for name in ("title", "body", "type_name", "code_number", "code_notation", "organ_name",
                     "signer_name", "signer_position", "place", "dossier_title", "fonds_name", "signed_by"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, nfc(value))

    @property
    def so_ky_hieu(self) -> str | None:
        if self.code_number and self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_number or self.code_notation

    @property
    def year(self) -> int | None:
        return self.issued_date.year if self.issued_date else None

    def texts(self) -> dict[str, str]:
        """The three logical text fields, as written."""
        meta = " ".join(x for x in (self.type_name, self.so_ky_hieu, self.organ_name, self.signer_position,
                                    self.signer_name, self.place, self.dossier_title, self.fonds_name,
                                    self.signed_by) if x)
        return {"title": self.title or "", "body": self.body or "", "meta": meta}

    def analysed(self, abbreviations: Abbreviations | None = None) -> dict[str, str]:
        """Whitespace-separated token streams (what OpenSearch indexes with its whitespace analyzer):
        ``title_exact``, ``meta_exact`` (exact tones are scored on the short fields only),
        ``title_bi``, ``meta_bi``, ``all_bi`` (the bigrams of every text field), ``abbr``
        (``abbreviations``) and ``skh``. The embedded backend lets Tantivy's own analyzers produce
        the same tokens (``search.embedded``; ``tests/search/test_analysis.py`` checks they agree)."""
        out: dict[str, str] = {}
        every: list[str] = []
        for name, text in self.texts().items():
            if name in EXACT_FIELDS:
                out[f"{name}_exact"] = " ".join(exact_tokens(text))
            pairs = " ".join(bigrams(fold_tokens(text)))
            if name != "body":
                out[f"{name}_bi"] = pairs
            if pairs:
                every.append(pairs)
        out["all_bi"] = " ".join(every)
        out["abbr"] = " ".join(self.abbreviations(abbreviations))
        out["skh"] = " ".join(self.skh_tokens())
        return out

    def abbreviations(self, table: Abbreviations | None = None) -> list[str]:
        """The folded abbreviations (``ubnd``) of the spelt-out forms (``Ủy ban nhân dân``) in the
        title, metadata and body: indexed in the match field beside the text, so a query for
        either form finds both (``compile.Compiler``)."""
        table = table or default_abbreviations()
        return sorted(table.found(*(syllables(text) for text in self.texts().values())))

    def skh_tokens(self) -> list[str]:
        """Keyword tokens of the số ký hiệu (``analysis.skh_tokens``)."""
        return skh_tokens(self.code_number, self.code_notation, self.year)

    def keys(self) -> dict[str, str | None]:
        """Filter keys (exact-match keyword fields). An access level outside ``ACCESS_LEVELS`` is
        indexed as ``secret``: the principal's rule excludes the levels a reader may not read."""
        return {"type_key": keyword(self.type_name), "agency_key": keyword(self.organ_name),
                "signer_key": keyword(self.signer_name), "dossier_id": self.dossier_id, "fonds_id": self.fonds_id,
                "access_level": self.access_level if self.access_level in ACCESS_LEVELS else "secret",
                "signature_status": self.signature_status,
                "retention_status": self.retention_status, "ocr_status": self.ocr_status}
