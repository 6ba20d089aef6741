"""The format policy as data: for each format, whether to OCR, which preservation copy to make and
which copy to show (``ingest.policy`` holds the logic and the default policy).

A version is immutable once saved: an import that changes anything creates the next version
(as the retention schedules do), and every ingest records the version it applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalogue.models import Base, UTCDateTime, _now


class FormatPolicyVersion(Base):
    """Chính sách định dạng: one version of the format policy."""

    __tablename__ = "format_policies"
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    """1, 2, …: the highest is in force."""
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """``{"formats": [{"match": {...}, "ocr": ..., "preservation": ..., "access": ...}, …]}``."""
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    """SHA-256 of the canonical JSON: an identical import adds no version."""
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    created_by: Mapped[str] = mapped_column(sa.String(200))
