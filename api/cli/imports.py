"""``luutru import edxml PATH…``: edXML (QCVN 102:2016) messages into the archive (docs/interchange.md).

Each message is imported whole or not at all; a rejected one is kept in the quarantine with its
reason. Exit 0 when every message is imported, a duplicate or a status; 1 when any is rejected; 3
when the disk is full (the run stops; run it again once space is freed).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from api.cli.common import actor, console, err, fail, services_or_exit
from api.cli.ingest import DISK_FULL_EXIT
from archive.errors import DiskFull

import_app = typer.Typer(help="Nhập dữ liệu liên thông từ hệ thống khác (edXML…).", no_args_is_help=True)

LABELS = {"ingested": "Đã nhập", "duplicate": "Trùng (đã có trong kho)", "status": "Trạng thái xử lý đã ghi nhận",
          "rejected": "Bị từ chối"}
SIGNATURE_VI = {"valid": "hợp lệ", "invalid": "KHÔNG HỢP LỆ", "unverifiable": "không kiểm tra được",
                "absent": "không có"}


@import_app.command("edxml")
def import_edxml(paths: list[Path] = typer.Argument(..., help="Tệp .edxml hoặc thư mục (duyệt đệ quy)."),
                 as_json: bool = typer.Option(False, "--json", help="Mỗi thông điệp một dòng JSON.")) -> None:
    """Nhập thông điệp edXML (QCVN 102:2016; nhận biết cả kiểu eDoc SOAP cũ): mỗi thông điệp văn bản thành
    một văn bản đến trong kho, kèm tệp đính kèm, kết quả kiểm tra chữ ký số và vết chuyển; thông điệp trạng
    thái được ghi vào văn bản mà nó trả lời. Exit 0 if all imported, duplicates or statuses, 1 if any
    rejected (kept in the quarantine), 3 if the disk is full."""
    from api.wiring import build_edxml_import
    from ingest.service import walk

    missing = [p for p in paths if not p.exists()]
    if missing:
        fail(f"Không tìm thấy: {', '.join(map(str, missing))}", f"not found: {missing}")
    counts: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    with services_or_exit(repair=True) as services:
        submitter = actor(scope="deposit")
        importer = build_edxml_import(services)
        for path in walk(paths):
            try:
                outcome = importer.import_file(path.resolve(), submitter=submitter, source="cli", name=path.name)
            except DiskFull as exc:  # not the message's fault: stop, say what was done
                err.print(f"[bold red]Dừng nhập:[/] {exc.message_vi}\nĐã xử lý {len(rows)} thông điệp; chạy lại lệnh "
                          "sau khi giải phóng dung lượng (thông điệp đã nhập sẽ được báo trùng).")
                raise typer.Exit(DISK_FULL_EXIT) from None
            counts[outcome.outcome] += 1
            row = {"path": str(path), **outcome.as_dict()}
            rows.append(row)
            if as_json:
                print(json.dumps(row, ensure_ascii=False), flush=True)
        services.archive.run_pending_tasks()
    if not as_json:
        _summary(rows, counts)
    if counts["rejected"]:
        raise typer.Exit(1)


def _summary(rows: list[dict], counts: Counter) -> None:
    table = Table(title="Kết quả nhập edXML")
    for col in ("Tệp", "Kết quả", "Số, ký hiệu", "Chữ ký thông điệp", "Ghi chú"):
        table.add_column(col)
    for r in rows:
        note = r.get("message_vi") or "; ".join(r.get("warnings") or [])
        table.add_row(Path(r["path"]).name, LABELS.get(r["outcome"], r["outcome"]), r.get("so_ky_hieu") or "",
                      SIGNATURE_VI.get(r.get("signature") or "", ""), note)
    console.print(table)
    bad = [r for r in rows if r.get("signature") == "invalid"]
    for r in bad:
        err.print(f"[bold yellow]Cảnh báo:[/] {Path(r['path']).name}: {r['signature_vi']}. Văn bản vẫn được lưu "
                  "kèm kết quả kiểm tra để làm chứng cứ; hãy liên hệ cơ quan gửi.")
    console.print(", ".join(f"{LABELS[k]}: {counts[k]}" for k in LABELS if counts[k]) or "Không có tệp nào")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
