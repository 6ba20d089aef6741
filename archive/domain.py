"""Plain domain values shared by every package (no I/O)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class ComponentRole(StrEnum):
    ORIGINAL = "original"
    TEXT = "text"
    METADATA = "metadata"
    SIGNATURE_REPORT = "signature_report"
    TIMESTAMP = "timestamp"
    LTV_COPY = "ltv_copy"
    MINUTES = "minutes"


class SecurityLevel(StrEnum):
    """Độ mật (Decree 30 III.2; Law on Protection of State Secrets)."""

    MAT = "MẬT"
    TOI_MAT = "TỐI MẬT"
    TUYET_MAT = "TUYỆT MẬT"


class Urgency(StrEnum):
    """Độ khẩn."""

    KHAN = "KHẨN"
    THUONG_KHAN = "THƯỢNG KHẨN"
    HOA_TOC = "HỎA TỐC"


class AccessLevel(StrEnum):
    """Mức độ tiếp cận, from the most to the least open."""

    PUBLIC = "public"
    INTERNAL = "internal"
    RESTRICTED = "restricted"
    SECRET = "secret"


SOFTWARE_AGENT = "software:luutru"
"""The PREMIS agent and audit actor of what the archive does by itself."""

AGENCY_ID = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
"""Observed format of the mã định danh (QCVN 102:2016, requirements-vn.md §8.4)."""


def dossier_code(organ_id: str, year: int, notation: str, sep: str = ".") -> str:
    """Mã hồ sơ = OrganId + năm + số và ký hiệu hồ sơ (Decree 30 Phụ lục VI; the separator is
    not fixed by the decree and is configurable)."""
    return f"{organ_id}{sep}{year:04d}{sep}{notation}"


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\x80-\x9f]")
"""Bidirectional controls (RIGHT-TO-LEFT OVERRIDE makes ``hoso\u202Efdp.exe`` show as ``hosoexe.pdf``),
zero-width and other invisible format characters, C1 controls: removed from file names."""


def safe_filename(name: str | None, default: str = "tai-lieu") -> str:
    """Neutralise a submitted file name: keep only its last path part, NFC, no control, path,
    bidirectional or invisible characters, never ``.``/``..``; at most 255 bytes in UTF-8. ``../x``
    becomes ``x``."""
    if not name:
        return default
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", _INVISIBLE.sub("", name)).strip().strip(".").strip()
    if not name:
        return default
    while len(name.encode("utf-8")) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:-1] + dot + ext) if dot and len(ext) < 16 and stem else name[:-1]
    return name


@dataclass
class RecordMetadata:
    """Decree 30 metadata for a new record; English names, see ``archive.catalogue.models.Record``."""

    type_name: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    issued_date: date | None = None
    place: str | None = None
    organ_name: str | None = None
    subject: str | None = None
    language: str = "vi"
    page_amount: int | None = None
    description: str | None = None
    signer_position: str | None = None
    signer_name: str | None = None
    recipients: list[dict[str, Any]] | None = None
    security_level: str | None = None
    urgency: str | None = None
    direction: str = "internal"
    access_level: str = AccessLevel.INTERNAL.value
    doc_ordinal: int | None = None
    due_date: date | None = None
    """Hạn trả lời / xử lý (DueDate), e.g. from an edXML header."""
    issued_amount: int | None = None
    """Số lượng bản phát hành (IssuedAmount)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        """Served to everyone (and over OAI-PMH): public and without a state-secret mark."""
        return self.access_level == AccessLevel.PUBLIC.value and self.security_level is None

    def __post_init__(self) -> None:
        for name in ("type_name", "code_number", "code_notation", "place", "organ_name", "subject",
                     "description", "signer_position", "signer_name"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, unicodedata.normalize("NFC", value).strip() or None)
        if self.access_level not in {a.value for a in AccessLevel}:
            raise ValueError(f"unknown access level {self.access_level!r}")
