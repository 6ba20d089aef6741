"""``luutru records …``: work on archived records — filing into dossiers, metadata corrections with
their history.

``file``, ``edit`` and ``history`` are self-contained functions on ``records_app``. Records are
named as people name them: id, short id or số ký hiệu (``archive.identifiers``), and read as the
account may read them (``api.cli.common.readable``).
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from api.cli.common import actor, console, err, fail, readable, resolve, services_or_exit

records_app = typer.Typer(help="Văn bản đã lưu: lập hồ sơ, sửa siêu dữ liệu và lịch sử sửa (records).",
                          no_args_is_help=True)
JSON = typer.Option(False, "--json", help="In kết quả dạng JSON.")

NOT_INDEXED_EXIT = 4
"""Exit code of a correction that is saved but not yet in the search index (the repair pass
finishes it): the command does not report it done."""


def _period(assignment: dict | None) -> str:
    if not assignment:
        return "chưa xác định"
    from retention.policy import Period

    return f"{Period.parse(assignment['period']).label_vi} (mục {assignment['schedule_code']}/{assignment['item_code']})"


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


@records_app.command()
def edit(record: str = typer.Argument(..., help="Văn bản: id, id rút gọn hoặc số ký hiệu (45/QĐ-UBND)."),
         sets: list[str] = typer.Option(..., "--set", help="trường=giá_trị, lặp lại cho nhiều trường; giá trị rỗng "
                                                           "để xóa (ví dụ --set subject=\"Về việc…\")."),
         reason: str = typer.Option(..., "--reason", help="Lý do sửa (bắt buộc, được lưu trong lịch sử)."),
         as_json: bool = JSON) -> None:
    """Sửa siêu dữ liệu mô tả của văn bản (Nghị định 30), có lưu lịch sử: giá trị cũ, người sửa, thời
    điểm, lý do. Chỉ mục tìm kiếm và thời hạn bảo quản được cập nhật ngay. Exit 0 when done, 2 for a
    field that may not be edited or an invalid value (nothing stored), 4 when saved but not yet
    searchable (run 'luutru repair')."""
    from api.corrections import correction_service, shown
    from archive.catalogue.models import Record
    from archive.corrections import InvalidCorrection, parse_assignment

    changes: dict[str, str] = {}
    try:
        for text in sets:
            field, value = parse_assignment(text)
            if field in changes:
                fail(f"Trường «{field}» được nêu hai lần", f"field {field!r} is given twice", code=2)
            changes[field] = value
    except InvalidCorrection as exc:
        fail(exc.message_vi, str(exc), code=2)
    with services_or_exit() as services:
        who = actor(scope="deposit")  # as over HTTP (PATCH /api/v1/records/{id})
        record_id = readable(services, record, action="record.edit")
        try:
            done = correction_service(services).edit(
                record_id, changes, reason=reason, actor=who,
                allow_state_secrets=services.settings.extract.allow_state_secrets)
        except InvalidCorrection as exc:  # (services_or_exit would answer 1: bad input is 2)
            fail(exc.message_vi, str(exc), code=2)
        with services.catalogue.session() as s:
            so_ky_hieu = s.get(Record, record_id).so_ky_hieu
    name = f"{so_ky_hieu} ({record_id[:8]})" if so_ky_hieu else record_id
    if as_json:
        print(json.dumps({**done.as_dict(), "so_ky_hieu": so_ky_hieu}, ensure_ascii=False, indent=2))
    elif done.change_id is None:
        console.print(f"Không có gì thay đổi: văn bản {name} đã có đúng các giá trị này (phiên bản {done.version}).")
    else:
        table = Table(title=f"Đã sửa văn bản {name} — phiên bản {done.version}")
        for col in ("Trường", "Giá trị cũ", "Giá trị mới"):
            table.add_column(col)
        for c in done.changes:
            table.add_row(c["label"], shown(c["old"]), shown(c["new"]))
        console.print(table)
        console.print(f"Lý do: {reason.strip()}")
        if done.retention:
            console.print(f"Thời hạn bảo quản: {_period(done.retention['before'])} → "
                          f"{_period(done.retention['after'])}")
        if done.indexed:
            console.print("[green]Chỉ mục tìm kiếm đã được cập nhật.[/]")
    if not done.indexed:
        err.print("[yellow]Đã lưu thay đổi nhưng chưa cập nhật được chỉ mục tìm kiếm; 'luutru repair' sẽ hoàn tất "
                  "(tra cứu có thể chưa thấy thay đổi).[/]")
        raise typer.Exit(NOT_INDEXED_EXIT)


@records_app.command()
def history(record: str = typer.Argument(..., help="Văn bản: id, id rút gọn hoặc số ký hiệu."),
            as_json: bool = JSON) -> None:
    """Lịch sử sửa siêu dữ liệu của văn bản, mới nhất trước: thời điểm, người sửa, trường, giá trị cũ
    và mới, lý do."""
    from api.corrections import correction_service, local_time, shown
    from archive.catalogue.models import Record

    with services_or_exit() as services:
        record_id = readable(services, record, action="record.history")
        rows = correction_service(services).history(record_id)
        services.archive.audit_access(actor=actor(write=False), action="record.history", target_type="record",
                                      target_id=record_id)
        with services.catalogue.session() as s:
            so_ky_hieu = s.get(Record, record_id).so_ky_hieu
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    name = f"{so_ky_hieu} ({record_id[:8]})" if so_ky_hieu else record_id
    if not rows:
        console.print(f"Văn bản {name} chưa được sửa siêu dữ liệu lần nào.")
        return
    table = Table(title=f"Lịch sử sửa siêu dữ liệu — văn bản {name}")
    table.add_column("Thời điểm", no_wrap=True)
    for col in ("Người sửa", "Trường", "Giá trị cũ", "Giá trị mới", "Lý do"):
        table.add_column(col)
    previous = None
    for r in rows:
        first = r["change_id"] != previous  # one correction: when, who and why once
        previous = r["change_id"]
        table.add_row(local_time(r["at"]) if first else "", r["actor_name"] if first else "", r["label"],
                      shown(r["old"]), shown(r["new"]), r["reason"] if first else "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
