"""Danh mục tài liệu đã hủy: the permanent list of destroyed documents as people read it.

One row per destroyed record, from the destruction log (``destruction_log``, state ``done``: the
metadata and checksums kept when the bytes went), with its dossier by mã hồ sơ and title, its số ký
hiệu, date and trích yếu, the SHA-256 of the original, the moment of destruction in local time
(Asia/Ho_Chi_Minh), the decision by số ký hiệu and date, the batch number and the minutes' number.

The same rows feed the CSV archived with the Biên bản hủy (``retention.issuing``) and
``luutru retention report destroyed -o danh-muc.csv|.xlsx``: Vietnamese column headers, dates as
dd/mm/yyyy, CSV in UTF-8 with a BOM (Excel then reads the diacritics), XLSX with real date cells
shown as dd/mm/yyyy. ``rows`` also serves JSON (ISO dates), for programs.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import tabular
from archive.catalogue.access_tables import User
from archive.catalogue.models import Dossier, Record
from archive.catalogue.retention_tables import DestructionLogEntry, DisposalBatch

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("stt", "STT"),
    ("dossier_code", "Mã hồ sơ"),
    ("dossier_title", "Tiêu đề hồ sơ"),
    ("so_ky_hieu", "Số, ký hiệu văn bản"),
    ("issued_date", "Ngày văn bản"),
    ("type_name", "Tên loại văn bản"),
    ("subject", "Trích yếu nội dung"),
    ("page_amount", "Số trang"),
    ("size", "Dung lượng bản gốc (byte)"),
    ("sha256", "Mã băm SHA-256 bản gốc"),
    ("destroyed_at", "Thời điểm hủy (giờ Việt Nam)"),
    ("destroyed_by", "Người thực hiện hủy"),
    ("decision", "Quyết định hủy"),
    ("batch_number", "Đợt hủy"),
    ("minutes_number", "Biên bản hủy"),
)
"""(key, Vietnamese header) in the order of the columns."""
HEADERS = [vi for _, vi in COLUMNS]


def local(at: datetime | None) -> datetime | None:
    return at.astimezone(LOCAL_TZ) if at is not None else None


def citation(rec: Record | None, label: str | None = None, *, of: str | None = None) -> str | None:
    """A document as a Vietnamese text cites it: ``Quyết định số 12/QĐ-UBND ngày 03/02/2026 của …``;
    without a number: its type and date, else its subject. ``label`` replaces the type name."""
    if rec is None:
        return None
    label = label or rec.type_name or "Văn bản"
    parts = [label]
    if rec.so_ky_hieu:
        parts.append(f"số {rec.so_ky_hieu}")
    if rec.issued_date:
        parts.append(f"ngày {rec.issued_date:%d/%m/%Y}")
    if len(parts) == 1 and rec.subject:
        parts.append(f"«{rec.subject}»")
    organ = rec.organ_name or of
    if organ:
        parts.append(f"của {organ}")
    subject = (rec.subject or "").strip()
    if rec.so_ky_hieu and subject[:3].casefold() == "về ":
        parts.append("v" + subject[1:])
    return " ".join(parts)


def record_reference(meta: dict) -> str:
    """How the minutes and the list name a document: its số ký hiệu; without one its type and date
    (``Công văn ngày 03/02/2010``), never an id."""
    number, notation = meta.get("code_number"), meta.get("code_notation")
    if number and notation:
        return f"{number}/{notation}"
    kind = meta.get("type_name") or "Văn bản"
    issued = _date(meta.get("issued_date"))
    return f"{kind} không số" + (f", ngày {issued:%d/%m/%Y}" if issued else "")


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def rows(s: Session, batch_id: str | None = None) -> list[dict]:
    """Every destroyed record (of one batch, or all), in the order they were destroyed. Values are
    typed (``date``, local ``datetime``, ``int``); ``write_csv``/``write_xlsx`` format them."""
    q = (sa.select(DestructionLogEntry, Dossier.code, Dossier.title, DisposalBatch)
         .outerjoin(Dossier, Dossier.id == DestructionLogEntry.dossier_id)
         .outerjoin(DisposalBatch, DisposalBatch.id == DestructionLogEntry.batch_id)
         .where(DestructionLogEntry.state == "done"))
    if batch_id:
        q = q.where(DestructionLogEntry.batch_id == batch_id)
    found = s.execute(q.order_by(DestructionLogEntry.done_at, DestructionLogEntry.id)).all()
    decisions: dict[str | None, Record] = {r.id: r for r in s.execute(sa.select(Record).where(Record.id.in_(
        {b.decision_record_id for *_, b in found if b is not None and b.decision_record_id}))).scalars()}
    actors = {e.actor.removeprefix("user:") for e, *_ in found if e.actor.startswith("user:")}
    names = {f"user:{u.username}": u.full_name + (f" ({u.title})" if u.title else "")
             for u in s.execute(sa.select(User).where(User.username.in_(sorted(actors)))).scalars()} if actors else {}
    out: list[dict[str, Any]] = []
    for e, code, title, batch in found:
        meta = e.metadata_snapshot or {}
        original: dict[str, Any] = next((c for c in meta.get("components") or [] if c.get("role") == "original"), {})
        decision = (citation(decisions.get(batch.decision_record_id)) if batch is not None else None) or e.decision
        out.append({
            "stt": 0, "record_id": e.record_id, "dossier_code": code, "dossier_title": title,
            "so_ky_hieu": record_reference(meta) if meta.get("code_number") and meta.get("code_notation") else None,
            "issued_date": _date(meta.get("issued_date")), "type_name": meta.get("type_name"),
            "subject": meta.get("subject"), "page_amount": meta.get("page_amount"),
            "size": original.get("size"), "sha256": original.get("sha256"),
            "destroyed_at": local(e.done_at), "destroyed_by": names.get(e.actor, e.actor),
            "decision": decision,
            "batch_number": f"{batch.seq}/{batch.year}" if batch is not None and batch.seq else None,
            "minutes_number": batch.minutes_number if batch is not None else None,
        })
    # the order of the list: by batch, then dossier, then the documents by date and number
    out.sort(key=lambda r: (r["batch_number"] is None, r["destroyed_at"].date() if r["destroyed_at"] else date.min,
                            r["batch_number"] or "", r["dossier_code"] or "", r["issued_date"] or date.min,
                            r["so_ky_hieu"] or "", r["record_id"]))
    for n, r in enumerate(out, start=1):
        r["stt"] = n
    return out


WIDTHS = {"stt": 5, "dossier_code": 28, "dossier_title": 40, "so_ky_hieu": 16, "issued_date": 12, "type_name": 14,
          "subject": 50, "page_amount": 8, "size": 14, "sha256": 66, "destroyed_at": 20, "destroyed_by": 30,
          "decision": 40, "batch_number": 10, "minutes_number": 14}


def to_csv(items: list[dict]) -> bytes:
    """UTF-8 with a BOM, Vietnamese headers, dd/mm/yyyy dates, local times."""
    return tabular.to_csv(COLUMNS, items)


def write_xlsx(items: list[dict], path: Path | io.BytesIO, *, title: str = "Danh mục tài liệu đã hủy") -> None:
    """One sheet, the header row frozen; dates are date cells shown dd/mm/yyyy (Excel sorts them)."""
    tabular.write_xlsx(COLUMNS, items, path, title=title, widths=WIDTHS)


def json_rows(items: list[dict]) -> list[dict]:
    """The rows for programs: ISO 8601 dates and times (with the +07:00 offset)."""
    return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()} for r in items]
