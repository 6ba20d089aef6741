"""Mục lục văn bản and mục lục hồ sơ: the lists of a dossier's documents and of a fonds' dossiers
of a year, as a records officer prints or files them.

Decree 30 (Điều 29.4) has the system make the listing of an electronic dossier; the columns are
those of the usual form — STT, số và ký hiệu, ngày tháng năm, tên loại và trích yếu nội dung, tác
giả (the issuing agency), tờ số (here the number of pages: an electronic document has no sheet
numbers) and ghi chú — in the dossier's order (the documents' ordinal in the dossier, then date).
Only what the reader may read is listed, by ``archive.access`` (the rule of every other list), so
a person without the level of a restricted document neither sees it nor its line number.

The mục lục hồ sơ (``dossier_rows``) has the columns of the list kept with a transfer (*Mục lục hồ
sơ, tài liệu nộp lưu*): STT, số và ký hiệu hồ sơ, tiêu đề, thời gian (the dates of its documents),
thời hạn bảo quản, số văn bản, số tờ, ghi chú (its state), for the dossiers the reader may see.

``rows`` and ``dossier_rows`` feed ``tabular.to_csv`` / ``write_xlsx``
(``/dossiers/{ref}/muc-luc.csv|.xlsx``, ``/holdings/{fonds}/muc-luc-ho-so.csv|.xlsx?year=``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import access
from archive.catalogue.models import Dossier, Fonds, Record
from archive.dossier_fields import STATUS_VI

COLUMNS: tuple[tuple[str, str], ...] = (
    ("stt", "STT"),
    ("so_ky_hieu", "Số, ký hiệu văn bản"),
    ("issued_date", "Ngày tháng năm văn bản"),
    ("title", "Tên loại và trích yếu nội dung văn bản"),
    ("organ_name", "Tác giả văn bản"),
    ("page_amount", "Số trang"),
    ("note", "Ghi chú"),
)
"""(key, Vietnamese header) in the order of the columns."""
WIDTHS = {"stt": 5, "so_ky_hieu": 18, "issued_date": 12, "title": 60, "organ_name": 36, "page_amount": 8,
          "note": 24}
DOSSIER_ORDER = (Record.doc_ordinal.is_(None), Record.doc_ordinal, Record.issued_date, Record.created_at, Record.id)
"""The order of a dossier's documents, here and on its page."""


def title(type_name: str | None, subject: str | None) -> str:
    """Tên loại và trích yếu, as one phrase: ``Thông báo về việc …`` (the subject's capital ``Về``
    lowered after the type name; an abbreviation such as ``UBND`` or ``V/v`` kept); a subject that
    already starts with the type name as it is."""
    subject = (subject or "").strip()
    kind = (type_name or "").strip()
    if not kind or subject.casefold().startswith(kind.casefold()):
        return subject or kind
    if len(subject) > 1 and subject[0].isupper() and subject[1].islower():
        subject = subject[0].lower() + subject[1:]
    return f"{kind} {subject}".strip()


def rows(s: Session, principal: access.Principal, dossier_id: str, *, see_disposed: bool = False) -> list[dict[str, Any]]:
    """The dossier's documents ``principal`` may read, numbered from 1 in the dossier's order."""
    found = s.execute(sa.select(Record).where(Record.dossier_id == dossier_id,
                                              access.readable_records(principal, see_disposed=see_disposed))
                      .order_by(*DOSSIER_ORDER)).scalars().all()
    out: list[dict[str, Any]] = []
    for n, r in enumerate(found, start=1):
        notes = []
        if r.status == "disposed":
            notes.append("Đã hủy")
        if r.access_level not in ("public", "internal"):
            notes.append(f"Mức tiếp cận: {access.ACCESS_LEVELS_VI.get(r.access_level, r.access_level)}")
        out.append({"stt": n, "record_id": r.id, "so_ky_hieu": r.so_ky_hieu, "issued_date": r.issued_date,
                    "title": title(r.type_name, r.subject), "organ_name": r.organ_name,
                    "page_amount": r.page_amount, "note": "; ".join(notes) or None})
    return out


def heading(dossier: Dossier, count: int, made_at: datetime) -> list[str]:
    """The lines above the table: what it lists, and when it was made (local time)."""
    span = " – ".join(f"{d:%d/%m/%Y}" for d in (dossier.start_date, dossier.end_date) if isinstance(d, date))
    return ["MỤC LỤC VĂN BẢN",
            f"Hồ sơ số: {dossier.code} — {dossier.title}",
            *([f"Thời gian: {span}"] if span else []),
            f"Gồm {count} văn bản; lập lúc {made_at:%H:%M ngày %d/%m/%Y}"]


DOSSIER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stt", "STT"),
    ("notation", "Số và ký hiệu hồ sơ"),
    ("code", "Mã hồ sơ"),
    ("title", "Tiêu đề hồ sơ"),
    ("start_date", "Ngày bắt đầu"),
    ("end_date", "Ngày kết thúc"),
    ("retention", "Thời hạn bảo quản"),
    ("doc_total", "Số văn bản"),
    ("sheet_total", "Số tờ"),
    ("note", "Ghi chú"),
)
DOSSIER_WIDTHS = {"stt": 5, "notation": 14, "code": 30, "title": 60, "start_date": 12, "end_date": 12,
                  "retention": 14, "doc_total": 10, "sheet_total": 8, "note": 20}


def dossier_rows(s: Session, principal: access.Principal, fonds_id: str, year: int, *,
                 see_disposed: bool = False) -> list[dict[str, Any]]:
    """The fonds' dossiers of ``year`` that ``principal`` may see, by their code (the order of the
    holdings page), numbered from 1."""
    found = s.execute(sa.select(Dossier).where(Dossier.fonds_id == fonds_id, Dossier.year == year,
                                               access.visible_dossiers(principal, see_disposed=see_disposed))
                      .order_by(Dossier.code)).scalars().all()
    return [{"stt": n, "dossier_id": d.id, "notation": d.notation, "code": d.code, "title": d.title,
             "start_date": d.start_date, "end_date": d.end_date, "retention": d.retention,
             "doc_total": d.doc_total or 0, "sheet_total": d.sheet_total, "note": STATUS_VI.get(d.status, d.status)}
            for n, d in enumerate(found, start=1)]


def dossier_heading(fonds: Fonds, year: int, count: int, made_at: datetime) -> list[str]:
    return ["MỤC LỤC HỒ SƠ",
            f"Phông: {fonds.name} ({fonds.organ_id})",
            f"Năm hình thành: {year}",
            f"Gồm {count} hồ sơ; lập lúc {made_at:%H:%M ngày %d/%m/%Y}"]
