"""Catalogue tables, modelled on Vietnamese records practice.

Field names are English; each docstring gives the Vietnamese name and, where there is one, the
element of Decree 30/2020/NĐ-CP Phụ lục VI Phần II (``OrganId``, ``FileNotation``, ``CodeNumber``…)
with its length, which the columns enforce. ``docs/catalogue.md`` has the full table.

The audit log is append-only: database triggers (created by the migration) refuse UPDATE and
DELETE, and each entry carries the SHA-256 of the previous one, so an edited or removed entry
breaks the chain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the catalogue; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def _now() -> datetime:
    return datetime.now(UTC)


class Fonds(Base):
    """Phông lưu trữ: the records of one agency (cơ quan, tổ chức)."""

    __tablename__ = "fonds"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    organ_id: Mapped[str] = mapped_column(sa.String(13), unique=True)
    """Mã định danh của cơ quan (OrganId, String 13), e.g. ``000.00.00.H26`` (QCVN 102:2016)."""
    name: Mapped[str] = mapped_column(sa.String(200))
    """Tên phông / tên cơ quan (OrganName, String 200)."""
    description: Mapped[str | None] = mapped_column(sa.String(2000))
    """Lịch sử đơn vị hình thành phông, ghi chú."""
    superior_name: Mapped[str | None] = mapped_column(sa.String(200))
    """Tên cơ quan, tổ chức chủ quản trực tiếp (if any): the line above the agency's name in the
    documents issued in its name (NĐ 30 Phụ lục I II.2), e.g. ``UBND TỈNH HÀ NAM`` over ``SỞ NỘI VỤ``."""
    place: Mapped[str | None] = mapped_column(sa.String(100))
    """Địa danh of the agency (NĐ 30 Phụ lục I II.4: the province or city of a central agency, the
    administrative unit of a local one), printed in the documents issued in its name."""
    is_open: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    """Trạng thái đóng/mở của phông (TT 05/2025)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class Dossier(Base):
    """Hồ sơ (Decree 30 Phụ lục VI Phần II, mục III)."""

    __tablename__ = "dossiers"
    __table_args__ = (
        sa.UniqueConstraint("fonds_id", "year", "notation", name="fonds_year_notation"),
        # What the retention sweep has still to look at: a partial index, so a sweep reads only
        # the dossiers newly due, never the ones it already listed or reminded about.
        sa.Index("ix_dossiers_due_pending", "due_action", "due_date",
                 sqlite_where=sa.text("due_state IS NULL"), postgresql_where=sa.text("due_state IS NULL")),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    fonds_id: Mapped[str] = mapped_column(sa.ForeignKey("fonds.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    """Mã hồ sơ (FileCode) = OrganId + năm + số và ký hiệu hồ sơ, e.g. ``000.00.00.H26.2025.01.TCCB``."""
    year: Mapped[int] = mapped_column(sa.Integer)
    """Năm hình thành hồ sơ (FileCatalog, Number 4)."""
    notation: Mapped[str] = mapped_column(sa.String(20))
    """Số và ký hiệu hồ sơ (FileNotation, String 20), e.g. ``01.TCCB``."""
    archive_code: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    """Mã lưu trữ hồ sơ (NĐ 113/2025), given when the dossier enters the historical archive."""
    title: Mapped[str] = mapped_column(sa.String(500))
    """Tiêu đề hồ sơ (Title, String 500)."""
    retention: Mapped[str | None] = mapped_column(sa.String(30))
    """Thời hạn bảo quản (Maintenance, String 30): ``Vĩnh viễn`` or ``10 năm``."""
    retention_years: Mapped[int | None] = mapped_column(sa.Integer)
    """The period in years; NULL with ``permanent`` or while not yet assigned."""
    permanent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    """Bảo quản vĩnh viễn."""
    access_regime: Mapped[str] = mapped_column(sa.String(30), default="internal")
    """Chế độ sử dụng (Rights, String 30): public / internal / restricted."""
    creator: Mapped[str | None] = mapped_column(sa.String(30))
    """Người lập hồ sơ (Creator, String 30)."""
    language: Mapped[str] = mapped_column(sa.String(50), default="vi")
    """Ngôn ngữ (Language, String 50)."""
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    """Thời gian bắt đầu (StartDate): the declared start, moved earlier to the first document's date."""
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    """Thời gian kết thúc (EndDate): the declared end, moved later to the last document's date; its
    year starts the retention period."""
    declared_start_date: Mapped[date | None] = mapped_column(sa.Date)
    """Thời gian bắt đầu as the archivist set it (NULL: from the documents alone)."""
    declared_end_date: Mapped[date | None] = mapped_column(sa.Date)
    """Thời gian kết thúc as the archivist set it (NULL: from the documents alone)."""
    doc_total: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    """Tổng số văn bản (DocTotal, Number 4): counted by the system from the dossier's records."""
    page_total: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    """Tổng số trang (PageTotal, Number 4): the sum of the records' page counts."""
    sheet_total: Mapped[int | None] = mapped_column(sa.BigInteger)
    """Số lượng tờ (TT 05/2025, Number 10): declared, for paper or digitised dossiers."""
    catalogue_number: Mapped[str | None] = mapped_column(sa.String(10))
    """Mục lục số: part of the mã hồ sơ lưu trữ only (TT 05/2025 arcFileCode, "if any"); optional."""
    description: Mapped[str | None] = mapped_column(sa.String(500))
    """Ghi chú (Description, String 500)."""
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    """open (đang lập) / closed (đã kết thúc: takes no record until reopened with a reason) / disposed (đã hủy)."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the dossier was last closed (kết thúc hồ sơ, Decree 30 Điều 29.4); NULL while open."""
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    """Ngày đến hạn: 31/12 of (end year + period) for review, or the transfer deadline; NULL when
    permanent without transfer or not yet assigned (set by ``retention``)."""
    due_action: Mapped[str | None] = mapped_column(sa.String(20))
    """What is due on ``due_date``: review_destroy (xem xét hủy) / transfer (nộp lưu lịch sử)."""
    due_state: Mapped[str | None] = mapped_column(sa.String(20))
    """What the retention sweep has done about the current due date: NULL (pending: the sweep looks
    at it once due), ``listed`` (put in the list Xem xét hủy or in a disposal batch), ``reminded``
    (the last transfer reminder was sent). Reset to NULL when the due date or action changes and
    when the dossier is taken out of a disposal batch, so it becomes eligible again."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)

    records: Mapped[list[Record]] = relationship(back_populates="dossier")


class Record(Base):
    """Văn bản: one document with the Decree 30 metadata (Phụ lục VI Phần II, mục I and II)."""

    __tablename__ = "records"
    __table_args__ = (sa.Index("ix_records_number_notation_organ", "code_number", "code_notation", "organ_name"),
                      # OAI-PMH harvests: records ever public in (datestamp, id) order, a keyset page at a time
                      sa.Index("ix_records_harvest", "was_public", "updated_at", "id"))
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    dossier_id: Mapped[str | None] = mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    fonds_id: Mapped[str | None] = mapped_column(sa.ForeignKey("fonds.id"), index=True)
    doc_ordinal: Mapped[int | None] = mapped_column(sa.Integer)
    """Số thứ tự văn bản trong hồ sơ (DocOrdinal, Number 3)."""
    direction: Mapped[str] = mapped_column(sa.String(10), default="internal")
    """outgoing (văn bản đi) / incoming (văn bản đến) / internal."""
    type_name: Mapped[str | None] = mapped_column(sa.String(100))
    """Tên loại văn bản (TypeName, String 100), e.g. ``Quyết định``, ``Công văn``."""
    code_number: Mapped[str | None] = mapped_column(sa.String(11))
    """Số của văn bản (CodeNumber, String 11), kept as printed (``09``)."""
    code_notation: Mapped[str | None] = mapped_column(sa.String(30))
    """Ký hiệu của văn bản (CodeNotation, String 30), e.g. ``UBND-THCB``, ``2007/NĐ-CP``."""
    issued_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    """Ngày, tháng, năm văn bản (IssuedDate)."""
    place: Mapped[str | None] = mapped_column(sa.String(100))
    """Địa danh."""
    organ_name: Mapped[str | None] = mapped_column(sa.String(200))
    """Tên cơ quan, tổ chức ban hành (OrganName, String 200)."""
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    """Trích yếu nội dung (Subject, String 500)."""
    language: Mapped[str] = mapped_column(sa.String(30), default="vi")
    """Ngôn ngữ (Language, String 30)."""
    page_amount: Mapped[int | None] = mapped_column(sa.Integer)
    """Số trang (PageAmount, Number 3)."""
    description: Mapped[str | None] = mapped_column(sa.String(500))
    """Ghi chú (Description, String 500)."""
    signer_position: Mapped[str | None] = mapped_column(sa.String(100))
    """Chức vụ người ký (SignerInfo.Position, String 100)."""
    signer_name: Mapped[str | None] = mapped_column(sa.String(50))
    """Họ tên người ký (SignerInfo.FullName, String 50)."""
    recipients: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    """Nơi nhận (To): a list of ``{"organ_id", "organ_name"}``."""
    security_level: Mapped[str | None] = mapped_column(sa.String(20))
    """Độ mật: MẬT / TỐI MẬT / TUYỆT MẬT (NULL: not secret)."""
    urgency: Mapped[str | None] = mapped_column(sa.String(20))
    """Độ khẩn: KHẨN / THƯỢNG KHẨN / HỎA TỐC."""
    issued_amount: Mapped[int | None] = mapped_column(sa.Integer)
    """Số lượng bản phát hành (IssuedAmount, Number 3)."""
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    """Hạn trả lời / thời hạn giải quyết (DueDate)."""
    arrival_date: Mapped[date | None] = mapped_column(sa.Date)
    """Ngày đến (ArrivalDate), incoming documents."""
    arrival_number: Mapped[int | None] = mapped_column(sa.Integer)
    """Số đến (ArrivalNumber, Number 10), incoming documents."""
    access_level: Mapped[str] = mapped_column(sa.String(20), default="internal")
    """Mức độ tiếp cận: public / internal / restricted / secret."""
    original_filename: Mapped[str | None] = mapped_column(sa.String(255))
    """The submitted file name, neutralised (no folders, NFC)."""
    status: Mapped[str] = mapped_column(sa.String(20), default="active", index=True)
    """active / damaged (a fixity failure is open) / disposed."""
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    """Version of the descriptive metadata: 1 when archived, one more for every correction
    (``record_changes``); the ``ETag`` a ``PATCH`` must match (``If-Match``)."""
    was_public: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    """Ever public without a state-secret mark, so harvesters may have it: once it is no longer
    public, OAI-PMH announces it as deleted. Records never public never appear there."""
    extra: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    """Parsed metadata with confidence and provenance, and submitter-declared values."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)

    dossier: Mapped[Dossier | None] = relationship(back_populates="records")
    components: Mapped[list[Component]] = relationship(back_populates="record", order_by="Component.created_at")

    @property
    def so_ky_hieu(self) -> str | None:
        """Số và ký hiệu as printed: ``9545/UBND-THCB``."""
        if self.code_number and self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_number or self.code_notation


class Component(Base):
    """A bitstream of a record: the original (bản gốc điện tử) or a derivative."""

    __tablename__ = "components"
    __table_args__ = (
        sa.Index("ix_components_sha256_role", "sha256", "role"),
        # An original is stored once: a second record with the same bytes is a duplicate.
        sa.Index("uq_components_original_sha256", "sha256", unique=True,
                 sqlite_where=sa.text("role = 'original' AND status <> 'destroyed'"),
                 postgresql_where=sa.text("role = 'original' AND status <> 'destroyed'")),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.ForeignKey("records.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(30))
    """original / text / metadata / signature_report / timestamp / ltv_copy / …"""
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    media_type: Mapped[str] = mapped_column(sa.String(127))
    format_id: Mapped[str | None] = mapped_column(sa.String(40))
    """PRONOM identifier where known (``fmt/276``); NULL when no PRONOM format matched."""
    format_name: Mapped[str | None] = mapped_column(sa.String(200))
    """PRONOM format name (``Acrobat PDF/A - Portable Document Format``)."""
    format_version: Mapped[str | None] = mapped_column(sa.String(50))
    """PRONOM format version (``2b``, ``1.7``)."""
    storage_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    derived_from: Mapped[str | None] = mapped_column(sa.ForeignKey("components.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="present")
    """present / missing (the repair pass found no bytes) / destroyed."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)

    record: Mapped[Record] = relationship(back_populates="components")


class Event(Base):
    """A PREMIS-style event: what happened to which object, when, by whom or what, with what outcome."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str | None] = mapped_column(sa.ForeignKey("records.id"), index=True)
    component_id: Mapped[str | None] = mapped_column(sa.ForeignKey("components.id"))
    event_type: Mapped[str] = mapped_column(sa.String(40))
    """PREMIS event type: ingestion, message digest calculation, fixity check, format identification,
    validation, metadata extraction, deletion…"""
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    agent: Mapped[str] = mapped_column(sa.String(200))
    """Who or what: ``user:lan.nguyen``, ``software:luutru 0.1.0``."""
    outcome: Mapped[str] = mapped_column(sa.String(20))
    """success / failure / warning."""
    detail: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    """None is SQL NULL however the row was written (not JSON ``null`` for an explicit None)."""


class AuditEntry(Base):
    """Nhật ký truy cập và thao tác (append-only, hash-chained)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    actor: Mapped[str] = mapped_column(sa.String(200))
    client: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(30))
    target_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditHead(Base):
    """One row: the hash of the last audit entry. Locked while appending so the chain never forks."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))


class OutboxEntry(Base):
    """Post-commit work (index, de-index, tasks) written in the same transaction as the change.

    Executed and deleted right after the commit; whatever a crash leaves here is executed by the
    repair pass (a transactional outbox), so no committed record stays unindexed.

    Ids are never handed out twice (SQLite ``AUTOINCREMENT``; PostgreSQL's sequence already does
    so): two passes may execute the same entry at once (the request's and the periodic loop's on
    the embedded default), and the slower one deletes the id it read — a reused id would delete the
    newer entry that took it, a task lost without a trace (migration 0013).
    """

    __tablename__ = "outbox"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    """index / deindex / task"""
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


from archive.catalogue import access_tables as _access_tables  # noqa: E402,F401  (same Base)
from archive.catalogue import change_tables as _change_tables  # noqa: E402,F401  (same Base)
from archive.catalogue import fixity_tables as _fixity_tables  # noqa: E402,F401  (same Base)
from archive.catalogue import format_tables as _format_tables  # noqa: E402,F401  (same Base)
from archive.catalogue import retention_tables as _retention_tables  # noqa: E402,F401  (same Base)
