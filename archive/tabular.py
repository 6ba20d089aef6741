"""Lists people open in a spreadsheet: CSV in UTF-8 with a BOM (Excel then reads the diacritics)
and XLSX with real date cells shown as dd/mm/yyyy (Excel sorts them), the header row bold and
frozen. Columns are ``(key, Vietnamese header)`` pairs; rows are dicts of typed values (``date``,
local ``datetime``, numbers, text); a ``datetime`` is written with its time, a ``date`` without.
Used by the Danh mục tài liệu đã hủy (``retention.destroyed_list``) and the Mục lục văn bản of a
dossier (``archive.dossier_listing``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

Columns = Sequence[tuple[str, str]]


def cell_text(value: Any) -> str:
    """A value as the CSV shows it: dd/mm/yyyy dates, dd/mm/yyyy HH:MM:SS times, "" for none."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def to_csv(columns: Columns, items: Sequence[Mapping[str, Any]]) -> bytes:
    """UTF-8 with a BOM, the Vietnamese headers first, CRLF line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([vi for _, vi in columns])
    for r in items:
        w.writerow([cell_text(r.get(k)) for k, _ in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_xlsx(columns: Columns, items: Sequence[Mapping[str, Any]], path: Path | io.BytesIO, *, title: str,
               widths: Mapping[str, float] | None = None, heading: Sequence[str] = ()) -> None:
    """One sheet named ``title`` (Excel's 31 characters); ``heading`` lines (bold) above the table,
    then the header row, frozen with them; dates are date cells shown dd/mm/yyyy, times
    dd/mm/yyyy hh:mm:ss in local time (Excel has no time zones)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook has one worksheet, active
    ws.title = title[:31]
    for line in heading:
        ws.append([line])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.append([vi for _, vi in columns])
    header_row = ws.max_row
    for c in ws[header_row]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for r in items:
        values = []
        for key, _ in columns:
            v = r.get(key)
            if isinstance(v, datetime):
                v = v.replace(tzinfo=None)  # the local time, as the header says
            values.append(v)
        ws.append(values)
        for c in ws[ws.max_row]:
            if isinstance(c.value, datetime):
                c.number_format = "dd/mm/yyyy hh:mm:ss"
            elif isinstance(c.value, date):
                c.number_format = "dd/mm/yyyy"
    for i, (key, _) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(key, 15)
    ws.freeze_panes = f"A{header_row + 1}"
    wb.save(path)
