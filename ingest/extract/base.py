"""The Extractor protocol and what an extraction returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


class ExtractionFailed(Exception):
    """The extractor could not read the file. ``code`` is the rejection reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Extraction:
    text: str
    extractor: str
    media_type: str | None = None
    """The media type the extractor detected (Tika's Content-Type), if any."""
    pages: int | None = None
    metadata: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    legacy_encoding: str | None = None
    """``tcvn3`` or ``vni`` when the worker converted text typed in a legacy font to Unicode
    (``ingest.vnlegacy.fix_legacy_text``), None otherwise."""
    legacy_changed_chars: int = 0
    analysis: str | None = None
    """``search.analysis.BodyAnalysis`` of ``text``, serialised, when it was asked for (and the text
    was not cut)."""
    description: dict | None = None
    """``ingest.describe.parse_document(text).as_dict()`` when it was asked for (and the text was
    not cut)."""
    cut: bool = False
    """The text is the first ``max_text_chars`` characters of a longer one (the pool cut it)."""


@runtime_checkable
class Extractor(Protocol):
    name: str

    def score(self, media_type: str) -> int | None:
        """How well this extractor handles the type (higher wins); ``None`` declines."""
        ...

    def extract(self, path: Path, media_type: str) -> Extraction:
        """Extract text and metadata; raises ``ExtractionFailed`` on unreadable input."""
        ...
