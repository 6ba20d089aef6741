"""``luutru records …``: work on records already in the archive.

``records file`` (lập hồ sơ) moves unfiled or misfiled records into a dossier, with a reason; the
work list is ``luutru retention report unfiled``. Each command is a self-contained function on
``records_app``, so other record commands (correction of metadata, history) live beside it.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from api.cli_common import actor, console, readable, resolve, services_or_exit

records_app = typer.Typer(help="Văn bản đã lưu: lập hồ sơ, … (records already archived).", no_args_is_help=True)


@records_app.command("file")
def file_records(records: list[str] = typer.Argument(..., help="Văn bản: id, id rút gọn hoặc số ký hiệu (nhiều)."),
                 dossier: str = typer.Option(..., "--dossier", help="Hồ sơ đích: mã hồ sơ hoặc id."),
                 reason: str = typer.Option(..., "--reason", help="Lý do (ghi nhật ký), ví dụ «lập hồ sơ năm 2025»."),
                 as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Lập hồ sơ: đưa văn bản chưa lập hồ sơ (hoặc để nhầm hồ sơ) vào một hồ sơ, có lý do.

    Tất cả hoặc không: một văn bản không tìm thấy, trùng số ký hiệu, đã hủy, hoặc hồ sơ đã kết
    thúc thì không văn bản nào bị chuyển."""
    from archive.dossier_fields import fmt_date

    with services_or_exit() as services:
        who = actor(scope="deposit")
        # each record as the account may read it (a record it may not read is "not found", audited),
        # exactly as over HTTP
        ids = list(dict.fromkeys(readable(services, ref, action="cli.records.file") for ref in records))
        out = services.dossiers.file(ids, resolve(services, "dossier", dossier), reason=reason, actor=who)
        after = services.dossiers.describe(out["dossier_id"], records=False)
    if as_json:
        print(json.dumps({**out, "dossier": after}, ensure_ascii=False, indent=2, default=str))
        return
    t = Table(title=f"Đã đưa {len(out['filed'])} văn bản vào hồ sơ {out['code']}")
    for col in ("STT", "Số, ký hiệu", "Id", "Từ hồ sơ"):
        t.add_column(col)
    for r in out["filed"]:
        t.add_row(str(r["doc_ordinal"]), r["so_ky_hieu"] or "", r["record_id"][:8], r["from_code"] or "(chưa lập hồ sơ)")
    console.print(t)
    if out["unchanged"]:
        console.print(f"Đã ở trong hồ sơ từ trước: {', '.join(i[:8] for i in out['unchanged'])}")
    console.print(f"Hồ sơ {after['code']}: {after['doc_total']} văn bản, {after['page_total']} trang, "
                  f"thời gian {after['period_vi'] or '(chưa rõ)'}"
                  + (f", đến hạn {fmt_date(_date(after['due_date']))}" if after["due_date"] else ""))


def _date(iso: str):
    from datetime import date

    return date.fromisoformat(iso)


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
