"""Catalogue tables of retention and disposal (Luật Lưu trữ 2024 Điều 15–16, TT 10/2022, TT 05/2025).

They live in the kernel's catalogue, on the same ``Base``, so one migration history and one unit
of work cover records and the decisions taken about them; ``retention/`` holds the logic.

* ``retention_schedules`` / ``retention_schedule_items``: Bảng thời hạn lưu trữ as data, versioned.
  A schedule version is immutable once saved: an import that changes anything creates the next
  version, and every assignment keeps the id of the item (hence the version) it came from.
* ``retention_rules``: how documents are matched to schedule items (priority, criteria).
* ``retention_assignments``: the decisions, current and past (``superseded_at``).
* ``retention_holds``: legal holds (phong tỏa) that freeze disposal.
* ``disposal_batches`` / ``disposal_items`` / ``disposal_votes``: the destruction procedure
  (Danh mục tài liệu hết giá trị → Hội đồng xét hủy → thẩm định → Quyết định hủy → hủy).
* ``destruction_log``: the permanent list of destroyed documents (Danh mục tài liệu đã hủy) and
  the write-ahead log of a destruction; never itself subject to disposal.
* ``retention_notifications``: alerts to the archivist (sweep results, transfer reminders).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalogue.models import Base, UTCDateTime, _now


class RetentionSchedule(Base):
    """Bảng thời hạn lưu trữ: one version of a schedule (immutable once saved)."""

    __tablename__ = "retention_schedules"
    __table_args__ = (sa.UniqueConstraint("code", "version", name="code_version"),)
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), index=True)
    """Stable name of the schedule across versions, e.g. ``vn-sample``."""
    version: Mapped[int] = mapped_column(sa.Integer)
    """1, 2, …: a new version for every change of content."""
    title: Mapped[str] = mapped_column(sa.String(500))
    source: Mapped[str | None] = mapped_column(sa.String(500))
    """Văn bản quy định (e.g. Thông tư 10/2022/TT-BNV)."""
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    """active / superseded (a newer version exists) / sample (test and demonstration data)."""
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    """SHA-256 of the canonical JSON of the items: an identical import adds no version."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    created_by: Mapped[str] = mapped_column(sa.String(200))


class RetentionScheduleItem(Base):
    """Một mục trong bảng thời hạn: (văn bản nguồn, số mục, mô tả, thời hạn, căn cứ tính, hành động)."""

    __tablename__ = "retention_schedule_items"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "item_code", name="schedule_item"),)
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(sa.ForeignKey("retention_schedules.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(60))
    """Số mục, unique within the schedule version (``TT09-2011/1.7.b`` for the sample)."""
    source: Mapped[str | None] = mapped_column(sa.String(300))
    """Văn bản nguồn of this item."""
    group_name: Mapped[str | None] = mapped_column(sa.String(300))
    """Nhóm (e.g. ``Nhóm 1. Tài liệu tổng hợp``)."""
    description: Mapped[str] = mapped_column(sa.String(1000))
    """Tên nhóm hồ sơ, tài liệu (and its sub-component, if any)."""
    period: Mapped[str] = mapped_column(sa.String(30))
    """``permanent``, a number of years 2–70, or a legacy special value (``until_expired``)."""
    trigger: Mapped[str] = mapped_column(sa.String(20))
    """end_of_year (năm kết thúc hồ sơ) / event (an event date) / date_field (a named date)."""
    trigger_field: Mapped[str | None] = mapped_column(sa.String(60))
    """The event name or the date field for the two last triggers."""
    action: Mapped[str] = mapped_column(sa.String(20))
    """review_destroy (xem xét hủy) / transfer (nộp lưu vào lưu trữ lịch sử)."""
    status: Mapped[str] = mapped_column(sa.String(20))
    """current / sample / legacy (superseded text, kept for mapping old records)."""
    note: Mapped[str | None] = mapped_column(sa.String(1000))


class RetentionRule(Base):
    """Quy tắc xác định thời hạn: criteria → schedule item, with a priority (higher wins)."""

    __tablename__ = "retention_rules"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    priority: Mapped[int] = mapped_column(sa.Integer, default=0)
    schedule_code: Mapped[str] = mapped_column(sa.String(60))
    """Resolved to the active version of the schedule when the rule is applied."""
    item_code: Mapped[str] = mapped_column(sa.String(60))
    criteria: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """``{"type_names": [...], "dossier_ids": [...], "fonds_ids": [...], "series": [...], "keywords": [...]}``."""
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    created_by: Mapped[str] = mapped_column(sa.String(200))


class RetentionAssignment(Base):
    """A retention decision for a record or a dossier, with the schedule version it came from."""

    __tablename__ = "retention_assignments"
    __table_args__ = (sa.Index("ix_retention_assignments_target", "target_type", "target_id"),)
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    target_type: Mapped[str] = mapped_column(sa.String(10))
    """record / dossier"""
    target_id: Mapped[str] = mapped_column(sa.String(36))
    item_id: Mapped[str] = mapped_column(sa.ForeignKey("retention_schedule_items.id"), index=True)
    schedule_code: Mapped[str] = mapped_column(sa.String(60))
    schedule_version: Mapped[int] = mapped_column(sa.Integer)
    item_code: Mapped[str] = mapped_column(sa.String(60))
    period: Mapped[str] = mapped_column(sa.String(30))
    trigger: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(20))
    method: Mapped[str] = mapped_column(sa.String(20))
    """rule / manual / ingest / derived (a dossier from its documents)."""
    rule_id: Mapped[str | None] = mapped_column(sa.String(36))
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    """Required for a manual change (lý do)."""
    event_date: Mapped[date | None] = mapped_column(sa.Date)
    """The date of the triggering event, for event triggers."""
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    assigned_by: Mapped[str] = mapped_column(sa.String(200))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """NULL for the current decision."""


class RetentionHold(Base):
    """Lệnh phong tỏa (legal hold): while active nothing in its scope may be destroyed."""

    __tablename__ = "retention_holds"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    authority: Mapped[str] = mapped_column(sa.String(300))
    """Cơ quan, người có thẩm quyền yêu cầu."""
    reason: Mapped[str] = mapped_column(sa.String(1000))
    scope_type: Mapped[str] = mapped_column(sa.String(10))
    """records / dossiers / query"""
    scope: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """``{"ids": [...]}`` for records and dossiers; rule criteria for a saved query."""
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    placed_by: Mapped[str] = mapped_column(sa.String(200))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    released_by: Mapped[str | None] = mapped_column(sa.String(200))
    release_reason: Mapped[str | None] = mapped_column(sa.String(1000))


class DisposalBatch(Base):
    """Một đợt hủy: the Danh mục tài liệu hết giá trị and every document of the procedure."""

    __tablename__ = "disposal_batches"
    __table_args__ = (sa.UniqueConstraint("year", "seq", name="batch_year_seq"),)
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    year: Mapped[int | None] = mapped_column(sa.Integer)
    seq: Mapped[int | None] = mapped_column(sa.Integer)
    """Số đợt hủy: ``seq/year`` (``3/2026``), numbered per year when proposed."""
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    """listed / council_reviewed / appraisal_requested / appraised / approved / destroying /
    destroyed / rejected (requirements-vn.md §8.8)."""
    title: Mapped[str] = mapped_column(sa.String(500))
    explanation: Mapped[str] = mapped_column(sa.Text)
    """Bản thuyết minh."""
    proposal_record_id: Mapped[str | None] = mapped_column(sa.String(36))
    """Tờ trình (an archived record), if uploaded."""
    proposed_by: Mapped[str] = mapped_column(sa.String(200))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    council: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    """Thành viên Hội đồng xét hủy (actors)."""
    council_minutes_record_id: Mapped[str | None] = mapped_column(sa.String(36))
    """Biên bản họp Hội đồng."""
    appraisal_required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    appraisal_record_id: Mapped[str | None] = mapped_column(sa.String(36))
    """Văn bản thẩm định."""
    decision_record_id: Mapped[str | None] = mapped_column(sa.String(36))
    """Quyết định hủy."""
    approved_by: Mapped[str | None] = mapped_column(sa.String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_record_id: Mapped[str | None] = mapped_column(sa.String(36))
    """Biên bản hủy tài liệu (signed PDF, archived as a record)."""
    minutes_number: Mapped[str | None] = mapped_column(sa.String(42))
    """Số và ký hiệu of the Biên bản hủy (``05/BB-HTL``), taken from the archive's register once and
    kept, so a completion resumed after a crash issues the same number (never a second one)."""
    minutes_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the number was taken: the date of the minutes (its local date, Asia/Ho_Chi_Minh)."""


class DisposalItem(Base):
    """A dossier in the list: ``candidate`` (Xem xét hủy) until a batch takes it."""

    __tablename__ = "disposal_items"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    batch_id: Mapped[str | None] = mapped_column(sa.ForeignKey("disposal_batches.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    """candidate / listed / destroyed / excluded (held, locked or taken out by the council)."""
    reason: Mapped[str] = mapped_column(sa.String(30))
    """expired (hết thời hạn lưu trữ) / duplicate (trùng lặp)."""
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    assignment_id: Mapped[str | None] = mapped_column(sa.String(36))
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class DisposalVote(Base):
    """Ý kiến của một thành viên Hội đồng on one dossier of the list (or, ``item_id`` NULL, on the
    whole list); dissent is kept with its reasons."""

    __tablename__ = "disposal_votes"
    __table_args__ = (sa.UniqueConstraint("batch_id", "member", "item_id", name="batch_member_item"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(sa.ForeignKey("disposal_batches.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(sa.ForeignKey("disposal_items.id"))
    """The dossier of the list voted on; NULL: a vote on the whole list (every dossier)."""
    member: Mapped[str] = mapped_column(sa.String(200))
    vote: Mapped[str] = mapped_column(sa.String(10))
    """approve / reject / abstain"""
    opinion: Mapped[str | None] = mapped_column(sa.String(2000))
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class DestructionLogEntry(Base):
    """Danh mục tài liệu đã hủy: one row per destroyed record, written *before* any byte is removed.

    ``pending`` rows are the intent of a destruction in progress; a resume pass finishes them.
    ``done`` rows form the permanent list; they keep the metadata and the checksums.
    """

    __tablename__ = "destruction_log"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    batch_id: Mapped[str | None] = mapped_column(sa.ForeignKey("disposal_batches.id"), index=True)
    record_id: Mapped[str] = mapped_column(sa.ForeignKey("records.id"), index=True)
    dossier_id: Mapped[str | None] = mapped_column(sa.String(36))
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    """pending / done / failed (an object is locked; the record was not destroyed)."""
    metadata_snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """Record metadata and every component (role, SHA-256, size, key) at the time of destruction."""
    objects: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    """Per storage key: deleted / kept_shared / already_absent / locked."""
    decision: Mapped[str | None] = mapped_column(sa.String(500))
    """The decision (Quyết định hủy) this destruction carries out."""
    error: Mapped[str | None] = mapped_column(sa.String(2000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(200))


class RetentionNotification(Base):
    """Thông báo cho người làm lưu trữ (sweep results, transfer reminders)."""

    __tablename__ = "retention_notifications"
    __table_args__ = (sa.UniqueConstraint("kind", "target_id", "due_date", name="kind_target_due"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    """review_list (đưa vào Xem xét hủy) / transfer_register / transfer_due."""
    target_id: Mapped[str] = mapped_column(sa.String(36))
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    message: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Register(Base):
    """Sổ đăng ký of the documents the archive itself issues (Biên bản hủy tài liệu…): the last
    number given, per register (``BB-HTL``) and year. Numbers are taken inside the transaction that
    issues the document, the row locked, so two documents never share one."""

    __tablename__ = "registers"
    code: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.Integer)
