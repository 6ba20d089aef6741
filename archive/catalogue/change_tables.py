"""Catalogue table of metadata corrections: the history of every descriptive field of a record.

A correction (``archive.corrections``) writes one row per changed field, with the value before and
after, who, when and why, in the same transaction as the change itself; the rows of one correction
share a ``change_id``. The table is append-only (triggers of migration 0010 refuse UPDATE and
DELETE), so the history can only grow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalogue.models import Base, UTCDateTime, _now


class RecordChange(Base):
    """Lịch sử sửa siêu dữ liệu: one field of one correction, the value before and after."""

    __tablename__ = "record_changes"
    __table_args__ = (sa.Index("ix_record_changes_record", "record_id", "id"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    """One correction (lần sửa): the fields changed together share it."""
    record_id: Mapped[str] = mapped_column(sa.ForeignKey("records.id"))
    version: Mapped[int] = mapped_column(sa.Integer)
    """The record's version after this correction (``records.version``)."""
    field: Mapped[str] = mapped_column(sa.String(40))
    """The field, by its catalogue name (``subject``, ``access_level``…)."""
    old_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    """Giá trị cũ (null: empty). Dates as ``YYYY-MM-DD``."""
    new_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    """Giá trị mới."""
    actor: Mapped[str] = mapped_column(sa.String(200))
    """Người sửa: ``user:lan.nguyen``, ``client:qlvb``, ``cli:…``."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    """Lý do sửa (required)."""
