"""``luutru fonds …`` and ``luutru dossiers …``: the holdings as archivists keep them.

Phông (fonds) are created per agency code; hồ sơ (dossiers) with the fields of Decree 30 Phụ lục VI
mục III (``archive.dossier_fields``), named by their mã hồ sơ. A dossier is closed when its work
has ended and reopened only with a reason; its dates and totals follow its records
(``archive.dossiers``). Everything is named as people name it (mã hồ sơ, agency code, id or the
8-character short id the tables print) and every change is audited with the person as actor.
Tables show dates as dd/mm/yyyy; ``--json`` gives ISO dates for scripts.
"""

from __future__ import annotations

import json

import typer
from rich import box
from rich.table import Table

from api.cli.common import actor, console, fail, resolve, services_or_exit
from archive.dossier_fields import ACCESS_REGIMES, fmt_date, parse_date

fonds_app = typer.Typer(help="Phông lưu trữ (fonds): tạo, sửa, liệt kê, xem.", no_args_is_help=True)
dossiers_app = typer.Typer(help="Hồ sơ (dossiers): lập, sửa, kết thúc, mở lại; xem và liệt kê.",
                           no_args_is_help=True)
JSON = typer.Option(False, "--json", help="In kết quả dạng JSON.")
REGIME_HELP = "Chế độ sử dụng: " + ", ".join(f"{k} ({v})" for k, v in ACCESS_REGIMES.items())


def _print(data, as_json: bool, message: str | None = None) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif message:
        console.print(message)


def _d(iso: str | None) -> str:
    return fmt_date(parse_date(iso[:10])) if iso else ""


# fonds ------------------------------------------------------------------------------------------

@fonds_app.command("create")
def fonds_create(organ_id: str = typer.Argument(..., help="Mã định danh cơ quan, ví dụ 000.00.00.H26."),
                 name: str = typer.Option(..., "--name", help="Tên phông (tên cơ quan, tổ chức)."),
                 description: str = typer.Option(None, help="Lịch sử đơn vị hình thành phông, ghi chú."),
                 place: str = typer.Option(None, "--place", help="Địa danh ghi trên văn bản kho lập cho phông "
                                                                  "(Biên bản hủy tài liệu), ví dụ Phủ Lý."),
                 superior: str = typer.Option(None, "--superior", help="Tên cơ quan chủ quản, ví dụ "
                                                                        "«Ủy ban nhân dân tỉnh Hà Nam»."),
                 as_json: bool = JSON) -> None:
    """Tạo phông lưu trữ cho một cơ quan (mỗi mã định danh một phông)."""
    with services_or_exit() as services:
        fid = services.dossiers.create_fonds(organ_id, name, description=description, place=place,
                                             superior_name=superior, actor=actor(scope="deposit"))
        (row,) = services.dossiers.fonds(fid)
    _print(row, as_json, f"[green]Đã tạo phông[/] {row['organ_id']} — {row['name']} (id {fid[:8]})")


@fonds_app.command("list")
def fonds_list(as_json: bool = JSON) -> None:
    """Các phông, với số hồ sơ và số văn bản."""
    with services_or_exit() as services:
        rows = services.dossiers.fonds()
    if as_json:
        return _print(rows, True)
    t = Table(title="Phông lưu trữ")
    for col in ("Mã cơ quan", "Id", "Tên phông", "Hồ sơ", "Văn bản", "Trạng thái"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["organ_id"], r["id"][:8], r["name"], str(r["dossiers"]), str(r["records"]),
                  "mở" if r["is_open"] else "đóng")
    console.print(t)
    if not rows:
        console.print("Chưa có phông nào: luutru fonds create 000.00.00.H26 --name «tên cơ quan»")


@fonds_app.command("show")
def fonds_show(ref: str = typer.Argument(..., help="Phông: mã định danh cơ quan, tên, id hoặc id rút gọn."),
               as_json: bool = JSON) -> None:
    """Một phông: thông tin và các hồ sơ của nó."""
    with services_or_exit() as services:
        fid = resolve(services, "fonds", ref)
        (row,) = services.dossiers.fonds(fid)
        row["dossier_list"] = services.dossiers.list(fonds_id=fid)
    if as_json:
        return _print(row, True)
    t = Table(title=f"Phông {row['organ_id']} — {row['name']}", show_header=False)
    t.add_column("Trường", style="bold")
    t.add_column("Giá trị")
    for label, value in (("Id", row["id"]), ("Mã định danh cơ quan", row["organ_id"]), ("Tên phông", row["name"]),
                         ("Cơ quan chủ quản", row["superior_name"] or ""), ("Địa danh", row["place"] or ""),
                         ("Lịch sử, ghi chú", row["description"] or ""), ("Số hồ sơ", str(row["dossiers"])),
                         ("Số văn bản", str(row["records"]))):
        t.add_row(label, value)
    console.print(t)
    _dossier_table(row["dossier_list"], title="Hồ sơ của phông")


FONDS_ALIASES = {"superior": "superior_name", "ten": "name", "dia_danh": "place", "ghi_chu": "description"}


def parse_sets(items: list[str], allowed: tuple[str, ...], aliases: dict[str, str] | None = None) -> dict[str, str | None]:
    """``--set field=value`` pairs → {field: value}: the value is everything after the first ``=``
    (it may hold ``=``), blank clears the field (None). ``ValueError`` (Vietnamese) for a pair
    without ``=``, an unknown field or a field given twice."""
    aliases = aliases or {}
    out: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        key = aliases.get(key, key)
        if not sep or not key:
            raise ValueError(f"«{item}» không có dạng trường=giá trị")
        if key not in allowed:
            raise ValueError(f"Không sửa được trường «{key}» (chỉ: {', '.join(allowed)})")
        if key in out:
            raise ValueError(f"Trường «{key}» được cho hai lần")
        out[key] = value.strip() or None
    return out


@fonds_app.command("edit")
def fonds_edit(ref: str = typer.Argument(..., help="Phông: mã định danh cơ quan, id hoặc id rút gọn."),
               sets: list[str] = typer.Option(..., "--set", help="trường=giá trị (name, superior_name, place, "
                                                                  "description); để trống giá trị để xóa."),
               reason: str = typer.Option(None, "--reason", help="Lý do sửa (ghi vào nhật ký)."),
               as_json: bool = JSON) -> None:
    """Sửa tên, cơ quan chủ quản, địa danh, ghi chú của phông (không sửa mã định danh cơ quan)."""
    from archive.dossiers import FONDS_EDITABLE

    try:
        changes = parse_sets(sets, FONDS_EDITABLE, FONDS_ALIASES)
    except ValueError as exc:
        fail(str(exc), str(exc), code=2)
    with services_or_exit() as services:
        fid = resolve(services, "fonds", ref)
        out = services.dossiers.edit_fonds(fid, changes, reason=reason, actor=actor(scope="deposit"))
    lines = [f"  {k}: {old!r} → {new!r}" for k, (old, new) in out["changes"].items()]
    _print(out, as_json, f"[green]Đã sửa phông[/] {out['organ_id']}\n" + "\n".join(lines) if lines
           else f"Phông {out['organ_id']}: không có gì thay đổi")


# dossiers ---------------------------------------------------------------------------------------

def _dossier_table(rows: list[dict], *, title: str) -> None:
    # fits 80 columns: the code and the short id never wrap, the title does; the period, totals and
    # retention are in "luutru dossiers show"
    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    t.add_column("Mã hồ sơ", no_wrap=True)
    t.add_column("Id", no_wrap=True)
    t.add_column("Tiêu đề", ratio=1, min_width=12)
    t.add_column("Thời gian", min_width=10)
    t.add_column("VB", justify="right")
    t.add_column("Trạng thái")
    short = {"open": "mở", "closed": "đã đóng", "disposed": "đã hủy"}
    for r in rows:
        t.add_row(r["code"], r["id"][:8], r["title"], r["period_vi"], str(r["doc_total"]),
                  short.get(r["status"], r["status"]))
    console.print(t)


def _fields(**given) -> dict:
    """The options given, under the field names of ``archive.dossier_fields``; ``auto`` or an empty
    text for a date returns it to the documents' dates."""
    out = {}
    for key, value in given.items():
        if value is None:
            continue
        if key in ("start_date", "end_date") and str(value).strip().lower() in ("", "auto"):
            value = None
        out[key] = value
    return out


@dossiers_app.command("create")
def dossiers_create(
        code: str = typer.Argument(None, help="Mã hồ sơ, ví dụ 000.00.00.H26.2025.01.TCCB (hoặc dùng --fonds, "
                                              "--year, --notation)."),
        fonds: str = typer.Option(None, "--fonds", help="Phông: mã định danh cơ quan hoặc id."),
        year: str = typer.Option(None, "--year", help="Năm hình thành hồ sơ (4 chữ số)."),
        notation: str = typer.Option(None, "--notation", help="Số và ký hiệu hồ sơ, ví dụ 01.TCCB."),
        title: str = typer.Option(..., "--title", help="Tiêu đề hồ sơ (tối đa 500 ký tự)."),
        start_date: str = typer.Option(None, "--start-date", help="Thời gian bắt đầu (dd/mm/yyyy)."),
        end_date: str = typer.Option(None, "--end-date", help="Thời gian kết thúc (dd/mm/yyyy)."),
        access_regime: str = typer.Option(None, "--access-regime", help=REGIME_HELP),
        creator: str = typer.Option(None, "--creator", help="Người lập hồ sơ (tối đa 30 ký tự)."),
        language: str = typer.Option(None, "--language", help="Ngôn ngữ (mặc định vi)."),
        description: str = typer.Option(None, "--description", help="Ghi chú (tối đa 500 ký tự)."),
        catalogue_number: str = typer.Option(None, "--catalogue-number", help="Mục lục số (nếu có)."),
        sheets: str = typer.Option(None, "--sheets", help="Số lượng tờ (hồ sơ giấy, số hóa)."),
        retention: str = typer.Option(None, "--retention", help="Thời hạn bảo quản theo Danh mục hồ sơ: "
                                                                "MÃ_BẢNG/MÃ_MỤC (mặc định: theo các văn bản)."),
        as_json: bool = JSON) -> None:
    """Lập hồ sơ mới trong một phông (Nghị định 30, Phụ lục VI mục III)."""
    from archive.dossier_fields import parse_code

    with services_or_exit() as services:
        if code:
            if fonds or year or notation:
                fail("Cho mã hồ sơ hoặc --fonds/--year/--notation, không cả hai",
                     "give the code or --fonds/--year/--notation, not both", code=2)
            organ, year_n, notation = parse_code(code)
            fonds, year = organ, str(year_n)
        elif not (fonds and year and notation):
            fail("Cần mã hồ sơ, hoặc đủ --fonds, --year và --notation",
                 "give the code, or --fonds, --year and --notation", code=2)
        fid = _fonds(services, fonds)
        item = _retention_item(services, retention) if retention else None
        did = services.dossiers.create(fid, _fields(
            year=year, notation=notation, title=title, start_date=start_date, end_date=end_date,
            access_regime=access_regime, creator=creator, language=language, description=description,
            catalogue_number=catalogue_number, sheet_total=sheets), actor=actor(scope="deposit"))
        if item:
            from api.retention_wiring import retention_services

            retention_services(services)[0].assign_manual(
                "dossier", did, schedule_code=item[0], item_code=item[1], actor=actor(scope="retention"),
                reason="Thời hạn bảo quản theo Danh mục hồ sơ")
        data = services.dossiers.describe(did, records=False)
    _print(data, as_json, f"[green]Đã lập hồ sơ[/] {data['code']} (id {did[:8]}): {data['title']}")


def _fonds(services, ref: str) -> str:
    from archive.identifiers import ReferenceNotFound

    try:
        return resolve(services, "fonds", ref)
    except ReferenceNotFound as exc:
        fail(f"{exc.message_vi}: tạo phông trước (luutru fonds create {ref.strip()} --name «tên cơ quan»)", str(exc))
    raise AssertionError("unreachable")


def _retention_item(services, text: str) -> tuple[str, str]:
    """``MÃ_BẢNG/MÃ_MỤC``, checked before the dossier is created (a typo creates nothing)."""
    from api.retention_wiring import retention_services
    from retention import schedules

    code, _, item = text.partition("/")
    if not code or not item:
        fail(f"--retention «{text}» phải có dạng MÃ_BẢNG/MÃ_MỤC (ví dụ vn-sample/1.7.b)",
             "--retention must be SCHEDULE/ITEM", code=2)
    retention_services(services)
    with services.catalogue.session() as s:
        schedules.load_schedule(s, code).item(item)
    return code, item


@dossiers_app.command("list")
def dossiers_list(fonds: str = typer.Option(None, "--fonds", help="Chỉ hồ sơ của phông này."),
                  year: int = typer.Option(None, "--year", help="Năm hình thành."),
                  status: str = typer.Option(None, "--status", help="open (đang lập), closed (đã kết thúc), "
                                                                    "disposed (đã hủy)."),
                  as_json: bool = JSON) -> None:
    """Các hồ sơ, năm mới trước, với mã hồ sơ, id rút gọn, thời gian và số văn bản."""
    if status and status not in ("open", "closed", "disposed"):
        fail(f"Trạng thái «{status}» không hợp lệ (open, closed, disposed)", f"unknown status {status}", code=2)
    with services_or_exit() as services:
        fid = resolve(services, "fonds", fonds) if fonds else None
        rows = services.dossiers.list(fonds_id=fid, year=year, status=status)
    if as_json:
        return _print(rows, True)
    _dossier_table(rows, title="Hồ sơ")
    if not rows:
        console.print("Không có hồ sơ nào. Lập hồ sơ: luutru dossiers create MÃ_HỒ_SƠ --title «tiêu đề»")


SHOW_FIELDS = [
    ("code", "Mã hồ sơ"), ("id", "Id"), ("fonds_name", "Phông"), ("organ_id", "Mã định danh cơ quan"),
    ("year", "Năm hình thành"), ("notation", "Số và ký hiệu hồ sơ"), ("catalogue_number", "Mục lục số"),
    ("archive_code", "Mã lưu trữ hồ sơ"), ("title", "Tiêu đề"), ("retention", "Thời hạn bảo quản"),
    ("access_regime", "Chế độ sử dụng"), ("creator", "Người lập hồ sơ"), ("language", "Ngôn ngữ"),
    ("start_date", "Thời gian bắt đầu"), ("end_date", "Thời gian kết thúc"), ("doc_total", "Tổng số văn bản"),
    ("page_total", "Tổng số trang"), ("sheet_total", "Số lượng tờ"), ("description", "Ghi chú"),
    ("status_vi", "Trạng thái"), ("closed_at", "Kết thúc lúc"), ("due_date", "Ngày đến hạn"),
]


def _shown(key: str, data: dict) -> str:
    value = data.get(key)
    if key in ("start_date", "end_date"):
        declared = data.get(f"declared_{key}")
        text = _d(value)
        return f"{text} (khai báo {_d(declared)})" if declared and declared != value else text
    if key == "closed_at" and value:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        return datetime.fromisoformat(value).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M %d/%m/%Y")
    if key == "due_date":
        action = {"review_destroy": "xem xét hủy", "transfer": "nộp lưu lịch sử"}.get(data.get("due_action") or "", "")
        return f"{_d(value)} ({action})" if value and action else _d(value)
    if key == "access_regime":
        return ACCESS_REGIMES.get(value, value) if value else ""
    return "" if value is None else str(value)


@dossiers_app.command("show")
def dossiers_show(ref: str = typer.Argument(..., help="Hồ sơ: mã hồ sơ, id hoặc id rút gọn."),
                  as_json: bool = JSON) -> None:
    """Một hồ sơ: mọi trường của Phụ lục VI và các văn bản theo số thứ tự."""
    with services_or_exit() as services:
        data = services.dossiers.describe(resolve(services, "dossier", ref))
    if as_json:
        return _print(data, True)
    t = Table(title=f"Hồ sơ {data['code']}", show_header=False)
    t.add_column("Trường", style="bold")
    t.add_column("Giá trị")
    for key, label in SHOW_FIELDS:
        text = _shown(key, data)
        if text:
            t.add_row(label, text)
    console.print(t)
    if data.get("disposal_batch_id"):
        console.print(f"[yellow]Hồ sơ đang nằm trong đợt hủy {data['disposal_batch_id'][:8]}[/]")
    r = Table(title="Văn bản trong hồ sơ", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("STT", "Số, ký hiệu", "Id", "Ngày"):
        r.add_column(col, no_wrap=True)
    r.add_column("Tên loại")
    r.add_column("Trích yếu", ratio=1, min_width=12)
    r.add_column("Trang", justify="right")
    for rec in data["records"]:
        r.add_row(str(rec["doc_ordinal"] or ""), rec["so_ky_hieu"] or "", rec["id"][:8], _d(rec["issued_date"]),
                  rec["type_name"] or "", (rec["subject"] or "")[:80], str(rec["page_amount"] or ""))
    console.print(r)


@dossiers_app.command("edit")
def dossiers_edit(
        ref: str = typer.Argument(..., help="Hồ sơ: mã hồ sơ, id hoặc id rút gọn."),
        title: str = typer.Option(None, "--title"), year: str = typer.Option(None, "--year"),
        notation: str = typer.Option(None, "--notation", help="Số và ký hiệu mới (đổi mã hồ sơ)."),
        start_date: str = typer.Option(None, "--start-date", help="dd/mm/yyyy, hoặc auto: theo các văn bản."),
        end_date: str = typer.Option(None, "--end-date", help="dd/mm/yyyy, hoặc auto: theo các văn bản."),
        access_regime: str = typer.Option(None, "--access-regime", help=REGIME_HELP),
        creator: str = typer.Option(None, "--creator"), language: str = typer.Option(None, "--language"),
        description: str = typer.Option(None, "--description"),
        catalogue_number: str = typer.Option(None, "--catalogue-number"),
        sheets: str = typer.Option(None, "--sheets"),
        reason: str = typer.Option(None, "--reason", help="Lý do sửa (ghi vào nhật ký)."),
        as_json: bool = JSON) -> None:
    """Sửa thông tin hồ sơ; mỗi thay đổi được ghi nhật ký với giá trị cũ và mới."""
    changes = _fields(title=title, year=year, notation=notation, access_regime=access_regime, creator=creator,
                      language=language, description=description, catalogue_number=catalogue_number,
                      sheet_total=sheets)
    for key, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not None:
            changes[key] = None if value.strip().lower() in ("", "auto") else value
    if not changes:
        fail("Không có gì để sửa (xem luutru dossiers edit --help)", "nothing to change", code=2)
    with services_or_exit() as services:
        out = services.dossiers.edit(resolve(services, "dossier", ref), changes, reason=reason, actor=actor(scope="deposit"))
    lines = [f"  {k}: {old!r} → {new!r}" for k, (old, new) in out["changes"].items()]
    _print(out, as_json, f"[green]Đã sửa hồ sơ[/] {out['code']}\n" + "\n".join(lines) if lines
           else f"Hồ sơ {out['code']}: không có gì thay đổi")


@dossiers_app.command("close")
def dossiers_close(ref: str = typer.Argument(..., help="Hồ sơ: mã hồ sơ, id hoặc id rút gọn."),
                   reason: str = typer.Option(None, "--reason", help="Lý do, ghi chú (không bắt buộc)."),
                   as_json: bool = JSON) -> None:
    """Kết thúc (đóng) hồ sơ: không nhận thêm văn bản cho đến khi mở lại có lý do."""
    with services_or_exit() as services:
        out = services.dossiers.close(resolve(services, "dossier", ref), reason=reason, actor=actor(scope="deposit"))
    _print(out, as_json, f"[green]Đã kết thúc hồ sơ[/] {out['code']}")


@dossiers_app.command("reopen")
def dossiers_reopen(ref: str = typer.Argument(..., help="Hồ sơ: mã hồ sơ, id hoặc id rút gọn."),
                    reason: str = typer.Option(..., "--reason", help="Lý do mở lại (bắt buộc)."),
                    as_json: bool = JSON) -> None:
    """Mở lại hồ sơ đã kết thúc, có lý do (ghi nhật ký)."""
    with services_or_exit() as services:
        out = services.dossiers.reopen(resolve(services, "dossier", ref), reason=reason, actor=actor(scope="deposit"))
    _print(out, as_json, f"[green]Đã mở lại hồ sơ[/] {out['code']}")


@dossiers_app.command("refresh")
def dossiers_refresh(refs: list[str] = typer.Argument(None, help="Hồ sơ (mã hồ sơ hoặc id)."),
                     every: bool = typer.Option(False, "--all", help="Mọi hồ sơ (sau khi nâng cấp)."),
                     as_json: bool = JSON) -> None:
    """Tính lại thời gian, tổng số văn bản, số trang và thời hạn của hồ sơ theo các văn bản của nó."""
    if not refs and not every:
        fail("Cho mã hồ sơ, hoặc --all", "give dossiers or --all", code=2)
    from archive import identifiers

    with services_or_exit() as services:
        ids = None
        if refs:
            with services.catalogue.session() as s:
                ids = identifiers.resolve_ids(s, "dossier", refs)
        n = services.dossiers.refresh(ids, actor=actor(scope="deposit"))
    _print({"refreshed": n}, as_json, f"Đã tính lại {n} hồ sơ")


def register(app: typer.Typer) -> None:
    app.add_typer(fonds_app, name="fonds")
    app.add_typer(dossiers_app, name="dossiers")
