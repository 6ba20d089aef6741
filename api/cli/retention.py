"""``luutru retention …``: schedules, assignment, due dates, the sweep, holds and the destruction
procedure. Every command has ``--json``; messages to people are in Vietnamese."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from api.cli.common import actor, console, fail, resolve, services_or_exit

retention_app = typer.Typer(help="Thời hạn lưu trữ và hủy tài liệu (retention and disposal).", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="In kết quả dạng JSON.")


def _out(data, as_json: bool, message: str | None = None) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif message:
        console.print(message)


def _day(text: str | None) -> date | None:
    """``--as-of``: dd/mm/yyyy (as the pages and reports show dates) or YYYY-MM-DD; None when not
    given; anything else ends the command with exit 2 and says so (never another day's list)."""
    from api.web.actions import parse_day

    if text is None or not text.strip():
        return None
    day = parse_day(text)
    if day is None:
        fail(f"Ngày không hợp lệ: «{text.strip()[:40]}». Nhập ngày dạng dd/mm/yyyy, ví dụ 31/12/2026.",
             f"{text.strip()[:40]!r} is not a date (dd/mm/yyyy or YYYY-MM-DD)", code=2)
    return day


def _services():
    from api.retention_wiring import retention_services

    ctx = services_or_exit()
    services = ctx.__enter__()
    retention, disposal = retention_services(services)
    return ctx, services, retention, disposal


class _Ctx:
    def __enter__(self):
        self.ctx, self.services, self.retention, self.disposal = _services()
        return self

    def __exit__(self, *exc):
        return self.ctx.__exit__(*exc)


@retention_app.command()
def schedules(export: str = typer.Option(None, "--export", help="Mã bảng cần xuất."),
              fmt: str = typer.Option("json", "--format", help="json hoặc csv."), as_json: bool = JSON) -> None:
    """Các bảng thời hạn lưu trữ (và phiên bản); xuất một bảng ra JSON/CSV."""
    from retention import schedules as sch

    with _Ctx() as c, c.services.catalogue.session() as s:
        if export:
            sched = sch.load_schedule(s, export)
            print(sch.schedule_to_csv(sched) if fmt == "csv" else sch.schedule_to_json(sched))
            return
        rows = sch.list_schedules(s)
    if as_json:
        return _out(rows, True)
    t = Table(title="Bảng thời hạn lưu trữ")
    for col in ("Mã", "Phiên bản", "Tên", "Trạng thái", "Số mục"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["code"], str(r["version"]), r["title"], r["status"], str(r["items"]))
    console.print(t)


@retention_app.command("import")
def import_(path: Path, code: str = typer.Option(None, help="Mã bảng (bắt buộc với CSV)."),
            title: str = typer.Option(None, help="Tên bảng (CSV)."), as_json: bool = JSON) -> None:
    """Nhập bảng thời hạn từ JSON hoặc CSV; nội dung thay đổi thì tạo phiên bản mới."""
    from retention import schedules as sch

    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        if not code:
            fail("Cần --code khi nhập CSV", "--code is required for CSV")
        sched = sch.schedule_from_csv(text, code=code, title=title or code)
    else:
        sched = sch.schedule_from_json(text)
    with _Ctx() as c:
        version, created = c.retention.save_schedule(sched, actor(scope="retention"))
    _out({"code": sched.code, "version": version, "created": created}, as_json,
         f"Bảng {sched.code}: phiên bản {version}" + ("" if created else " (không thay đổi)"))


@retention_app.command()
def assign(rule_item: str = typer.Option(None, "--rule", help="Thêm quy tắc: MÃ_BẢNG/MÃ_MỤC."),
           criteria: str = typer.Option(None, help='Tiêu chí JSON, ví dụ {"type_names": ["Công văn"]}.'),
           priority: int = typer.Option(0), name: str = typer.Option(None),
           dossier: str = typer.Option(None, help="Gán thủ công cho hồ sơ (mã hồ sơ hoặc id)."),
           record: str = typer.Option(None, help="Gán thủ công cho văn bản (id hoặc số ký hiệu)."),
           item: str = typer.Option(None, help="MÃ_BẢNG/MÃ_MỤC cho gán thủ công."),
           reason: str = typer.Option(None, help="Lý do (bắt buộc khi gán thủ công)."), as_json: bool = JSON) -> None:
    """Xác định thời hạn: thêm quy tắc, áp dụng quy tắc, hoặc gán thủ công có lý do."""
    with _Ctx() as c:
        if rule_item:
            code, _, item_code = rule_item.partition("/")
            rid = c.retention.add_rule(name=name or rule_item, schedule_code=code, item_code=item_code,
                                       criteria=json.loads(criteria or "{}"), priority=priority, actor=actor(scope="retention"))
            return _out({"rule_id": rid}, as_json, f"Đã thêm quy tắc {rid}")
        if dossier or record:
            if not item:
                fail("Cần --item MÃ_BẢNG/MÃ_MỤC", "--item is required")
            code, _, item_code = item.partition("/")
            out = c.retention.assign_manual("dossier" if dossier else "record", dossier or record,
                                            schedule_code=code, item_code=item_code, reason=reason or "",
                                            actor=actor(scope="retention"))
            return _out(out, as_json, f"Đã gán thời hạn: {out['assignment']['period_vi']}")
        out = c.retention.apply_rules(actor=actor(scope="retention"))
    _out(out, as_json, f"Đã xác định thời hạn cho {out['assigned']} văn bản; "
                       f"{len(out['unmatched'])} văn bản chưa khớp quy tắc nào")


@retention_app.command()
def due(as_of: str = typer.Option(None, "--as-of", help="Ngày (dd/mm/yyyy hoặc YYYY-MM-DD), mặc định hôm nay."),
        transfer: bool = typer.Option(False, "--transfer", help="Hồ sơ đến hạn nộp lưu lịch sử."),
        as_json: bool = JSON) -> None:
    """Các hồ sơ đến hạn tính đến một ngày, với mục trong bảng thời hạn và ngày đến hạn."""
    from retention.policy import Action

    day = _day(as_of) or date.today()
    with _Ctx() as c:
        rows = c.retention.due(day, action=Action.TRANSFER if transfer else Action.REVIEW_DESTROY)
    if as_json:
        return _out(rows, True)
    t = Table(title=f"Hồ sơ đến hạn tính đến {day:%d/%m/%Y}")
    t.add_column("Mã hồ sơ", no_wrap=True)
    for col in ("Tiêu đề", "Thời hạn", "Mục", "Ngày đến hạn"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["code"], r["title"], r["retention"] or "", r["item_code"] or "", _dmy(r["due_date"]))
    console.print(t)


@retention_app.command()
def sweep(as_of: str = typer.Option(None, "--as-of"), as_json: bool = JSON) -> None:
    """Đưa hồ sơ hết hạn vào danh mục «Xem xét hủy» và nhắc hạn nộp lưu."""
    day = _day(as_of)
    with _Ctx() as c:
        report = c.retention.sweep(day, actor=actor(scope="retention"))
    d = report.as_dict()
    _out(d, as_json, f"Đã đưa {d['listed']} hồ sơ vào danh mục Xem xét hủy; {len(d['held'])} hồ sơ đang bị phong tỏa; "
                     f"{d['transfer_reminders']} nhắc hạn nộp lưu"
                     + (f"; {d['unfiled']} văn bản chưa lập hồ sơ (luutru retention report unfiled)"
                        if d["unfiled"] else ""))


@retention_app.command()
def hold(authority: str = typer.Option(..., help="Cơ quan yêu cầu."), reason: str = typer.Option(...),
         records: str = typer.Option(None, help="Văn bản (id, id rút gọn hoặc số ký hiệu), cách nhau bởi dấu phẩy."),
         dossiers: str = typer.Option(None, help="Hồ sơ (mã hồ sơ hoặc id), cách nhau bởi dấu phẩy."),
         query: str = typer.Option(None, help="Tiêu chí JSON (truy vấn lưu sẵn)."), as_json: bool = JSON) -> None:
    """Phong tỏa (legal hold): không được hủy tài liệu trong phạm vi."""
    scope_type, scope = (("records", {"ids": records.split(",")}) if records else
                         ("dossiers", {"ids": dossiers.split(",")}) if dossiers else
                         ("query", json.loads(query or "{}")))
    with _Ctx() as c:
        hid = c.retention.place_hold(authority=authority, reason=reason, scope_type=scope_type, scope=scope,
                                     actor=actor(scope="retention"), store=c.services.store)
    _out({"hold_id": hid}, as_json, f"Đã phong tỏa: {hid}")


@retention_app.command()
def release(hold_id: str, reason: str = typer.Option(...), as_json: bool = JSON) -> None:
    """Giải tỏa một lệnh phong tỏa (có lý do)."""
    with _Ctx() as c:
        c.retention.release_hold(hold_id, reason=reason, actor=actor(scope="retention"), store=c.services.store)
    _out({"hold_id": hold_id, "released": True}, as_json, f"Đã giải tỏa {hold_id}")


@retention_app.command()
def propose(title: str = typer.Option(...), explanation: str = typer.Option(..., help="Bản thuyết minh."),
            council: str = typer.Option(..., help="Tên đăng nhập của các thành viên Hội đồng, cách nhau bởi dấu phẩy."),
            proposal: str = typer.Option(None, help="Tờ trình đã lưu (id, id rút gọn hoặc số ký hiệu)."),
            dossiers: str = typer.Option(None, help="Chỉ các hồ sơ này (mã hồ sơ), cách nhau bởi dấu phẩy."),
            appraisal: bool = typer.Option(False, help="Cần thẩm định của cơ quan lưu trữ nhà nước."),
            as_json: bool = JSON) -> None:
    """Lập Danh mục tài liệu hết giá trị từ các hồ sơ «Xem xét hủy», với Hội đồng xét hủy."""
    with _Ctx() as c:
        out = c.disposal.propose(title=title, explanation=explanation, council=council.split(","),
                                 actor=actor(scope="retention"), proposal_record_id=proposal,
                                 dossier_ids=dossiers.split(",") if dossiers else None, appraisal_required=appraisal)
        status = c.disposal.status(out["batch_id"])
    _out(out, as_json, f"Đã lập danh mục, đợt hủy số {out['number']} (mã {out['batch_id'][:8]}), "
                       f"{len(out['listed'])} hồ sơ; Hội đồng: " + _names(status, status["council"]))


def _dmy(iso: str | None) -> str:
    return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y") if iso else ""


def _names(status: dict, actors) -> str:
    """People as «Họ tên (chức vụ)», never as account ids."""
    out = []
    for a in actors or []:
        p = status["people"].get(a) or {"full_name": a}
        out.append(p["full_name"] + (f" ({p['title']})" if p.get("title") else ""))
    return ", ".join(out)


@retention_app.command()
def vote(batch: str = typer.Argument(..., help="Đợt hủy: số (3/2026) hoặc mã."),
         choice: str = typer.Argument(..., help="approve (đồng ý hủy) / reject (không đồng ý) / abstain"),
         dossier: list[str] = typer.Option(None, "--dossier", help="Chỉ cho hồ sơ này (mã hồ sơ; lặp lại được). "
                                                                  "Mặc định: mọi hồ sơ của danh mục."),
         opinion: str = typer.Option(None, help="Ý kiến (ghi vào biên bản)."), as_json: bool = JSON) -> None:
    """Thành viên Hội đồng cho ý kiến về từng hồ sơ, hoặc cả danh mục một lần."""
    with _Ctx() as c:
        batch_id = resolve(c.services, "batch", batch)
        voted = c.disposal.vote(batch_id, member=actor(scope="council"), vote=choice, opinion=opinion,
                                dossiers=dossier or None)
    _out({"batch_id": batch_id, "vote": choice, "dossiers": voted}, as_json,
         f"Đã ghi nhận ý kiến «{VOTES_VI.get(choice, choice)}» cho {len(voted)} hồ sơ")


VOTES_VI = {"approve": "đồng ý hủy", "reject": "không đồng ý hủy", "abstain": "không biểu quyết"}


@retention_app.command()
def review(batch: str = typer.Argument(..., help="Đợt hủy: số (3/2026) hoặc mã."),
           minutes: str = typer.Option(..., "--minutes", help="Biên bản họp Hội đồng đã lưu (id hoặc số ký hiệu)."),
           as_json: bool = JSON) -> None:
    """Kết thúc phiên xét của Hội đồng: mỗi hồ sơ được hủy khi đa số thành viên đồng ý."""
    with _Ctx() as c:
        batch_id = resolve(c.services, "batch", batch)
        out = c.disposal.close_review(batch_id, minutes_record_id=minutes, actor=actor(scope="retention"))
    _out(out, as_json, (f"Hội đồng đồng ý hủy {out['approve']} hồ sơ" if out["majority"]
                        else "Hội đồng không đồng ý hủy hồ sơ nào")
         + (f"; giữ lại {len(out['kept'])} hồ sơ" if out["kept"] else "")
         + (f"; {len(out['dissent'])} ý kiến khác" if out["dissent"] else ""))


@retention_app.command()
def approve(batch: str = typer.Argument(..., help="Đợt hủy: số (3/2026) hoặc mã."),
            decision: str = typer.Option(..., help="Quyết định hủy đã lưu (số ký hiệu, id hoặc id rút gọn)."),
            as_json: bool = JSON) -> None:
    """Phê duyệt hủy bằng Quyết định hủy (người phê duyệt khác người đề nghị)."""
    with _Ctx() as c:
        batch_id = resolve(c.services, "batch", batch)
        out = c.disposal.approve(batch_id, decision_record_id=decision, actor=actor(scope="retention"))
    _out(out, as_json, f"Đã phê duyệt đợt hủy {batch}" if out["state"] == "approved"
         else f"Đợt hủy {batch} dừng: mọi hồ sơ còn lại đang bị phong tỏa")


@retention_app.command("show")
def show_batch(batch: str = typer.Argument(..., help="Đợt hủy: số (3/2026) hoặc mã."), as_json: bool = JSON) -> None:
    """Tình trạng một đợt hủy: các bước, Hội đồng, hồ sơ và ý kiến từng người."""
    with _Ctx() as c:
        batch_id = resolve(c.services, "batch", batch)
        st = c.disposal.status(batch_id)
        actor(write=False, scope="retention")
    if as_json:
        return _out(st, True)
    console.print(f"[bold]Đợt hủy số {st['number']}[/] — {st['title']} — [bold]{st['state_vi']}[/]")
    console.print(f"Người đề nghị: {_names(st, [st['proposed_by']])}")
    console.print(f"Hội đồng xét hủy: {_names(st, st['council'])}")
    if st["approved_by"]:
        console.print(f"Người quyết định hủy: {_names(st, [st['approved_by']])}")
    if st["minutes_number"]:
        console.print(f"Biên bản hủy tài liệu số {st['minutes_number']}"
                      + (f" — văn bản {st['minutes_record_id'][:8]} (luutru verify {st['minutes_number']}; "
                         f"luutru get {st['minutes_number']} -o bien-ban.pdf)" if st["minutes_record_id"] else
                         " — chưa lập xong: luutru retention destroy --resume"))
    t = Table(title="Hồ sơ trong danh mục")
    t.add_column("Mã hồ sơ", no_wrap=True)
    for col in ("Tiêu đề", "Trạng thái", "Ghi chú"):
        t.add_column(col)
    for i in st["items"]:
        t.add_row(i["code"] or i["dossier_id"][:8], i["title"] or "", i["state_vi"], i["note"] or "")
    console.print(t)
    if st["votes"]:
        codes = {i["dossier_id"]: i["code"] for i in st["items"]}
        v = Table(title="Ý kiến thành viên Hội đồng")
        v.add_column("Thành viên")
        v.add_column("Hồ sơ", no_wrap=True)
        for col in ("Ý kiến", "Nhận xét"):
            v.add_column(col)
        for x in st["votes"]:
            v.add_row(_names(st, [x["member"]]), codes.get(x["dossier_id"], "cả danh mục") if x["dossier_id"]
                      else "cả danh mục", VOTES_VI.get(x["vote"], x["vote"]), x["opinion"] or "")
        console.print(v)


@retention_app.command()
def destroy(batch_id: str = typer.Argument(None, help="Đợt hủy: số (3/2026) hoặc mã."),
            dry_run: bool = typer.Option(False, "--dry-run"),
            resume: bool = typer.Option(False, "--resume", help="Hoàn tất các lần hủy bị gián đoạn."),
            as_json: bool = JSON) -> None:
    """Hủy tài liệu đã được phê duyệt; --dry-run chỉ liệt kê những gì sẽ bị xóa."""
    with _Ctx() as c:
        if resume:
            return _out(c.disposal.resume(actor=actor(scope="retention")), as_json, "Đã hoàn tất các lần hủy bị gián đoạn")
        if not batch_id:
            fail("Cần mã đợt hủy", "batch id required")
        batch_id = resolve(c.services, "batch", batch_id)
        out = c.disposal.destroy(batch_id, actor=actor(scope="retention"), dry_run=dry_run)
        if dry_run:
            if as_json:
                return _out(out, True)
            return _print_plan(c.services, out["records"])
    _out(out, as_json, f"Đã hủy {len(out.get('destroyed', []))} văn bản"
         + (f"; Biên bản hủy tài liệu số {out['minutes_number']} (văn bản {out['minutes_record_id'][:8]})"
            if out.get("minutes_record_id") else "")
         + ("; [yellow]chưa có địa danh[/] (LUUTRU_ARCHIVE__PLACE hoặc địa danh của phông)"
            if "place_missing" in out.get("minutes_warnings", []) else ""))


def _print_plan(services, records: list[dict]) -> None:
    """The dry run as an archivist reads it: each record by its dossier's mã hồ sơ, số ký hiệu and
    trích yếu, and what would be deleted or kept (never ids alone)."""
    import sqlalchemy as sa

    from archive.catalogue.models import Dossier, Record

    ids = [r["record_id"] for r in records]
    with services.catalogue.session() as s:
        rows = {r.id: (r, d) for r, d in s.execute(sa.select(Record, Dossier).outerjoin(
            Dossier, Dossier.id == Record.dossier_id).where(Record.id.in_(ids))).all()}
    t = Table(title=f"Sẽ hủy {sum(1 for r in records if not r['blocked'])} văn bản (chạy thử, chưa xóa gì)")
    columns: tuple[tuple[str, dict[str, Any]], ...] = (
        ("Mã hồ sơ", {"no_wrap": True}), ("Số, ký hiệu", {"no_wrap": True}), ("Trích yếu", {}), ("Sẽ xóa", {}))
    for col, kw in columns:
        t.add_column(col, **kw)
    for r in records:
        rec, dossier = rows.get(r["record_id"], (None, None))
        what = r["blocked"] or ", ".join(f"{ROLES_VI.get(o['role'], o['role'])}"
                                         + (" (giữ: dùng chung)" if o["action"] != "delete" else "") for o in r["objects"])
        t.add_row(dossier.code if dossier else "", (rec.so_ky_hieu if rec else None) or r["record_id"][:8],
                  (rec.subject if rec else None) or r["title"] or "", what)
    console.print(t)


ROLES_VI = {"original": "bản gốc", "text": "văn bản trích xuất", "metadata": "siêu dữ liệu",
            "timestamp": "dấu thời gian", "signature_report": "kết quả kiểm tra chữ ký", "rendition": "bản hiển thị"}


@retention_app.command()
def report(kind: str = typer.Argument("due", help="due / destroyed / candidates / unfiled"),
           as_of: str = typer.Option(None, "--as-of"), output: Path = typer.Option(None, "-o", "--output",
                                                                                   help="Tệp .csv hoặc .xlsx."),
           as_json: bool = JSON) -> None:
    """Báo cáo: hồ sơ đến hạn, danh mục Xem xét hủy, danh mục tài liệu đã hủy, văn bản chưa lập hồ sơ
    (CSV, XLSX, JSON)."""
    if kind not in ("due", "destroyed", "candidates", "unfiled"):
        fail(f"Không có báo cáo «{kind}» (due, destroyed, candidates, unfiled)", f"unknown report {kind}")
    with _Ctx() as c:
        if kind == "unfiled":
            rows = c.retention.unfiled(_day(as_of))
        elif kind == "destroyed":
            from retention import destroyed_list

            with c.services.catalogue.session() as s:
                destroyed = destroyed_list.rows(s)
            actor(write=False, scope="retention")
            if output is not None and not as_json:
                return _write_destroyed(destroyed, output)
            rows = destroyed_list.json_rows(destroyed)
        elif kind == "candidates":
            rows = c.retention.candidates()
        else:
            rows = c.retention.due(_day(as_of) or date.today())
    if output is None or as_json:
        return _out(rows, True) if as_json or output is None else None
    cols = list(rows[0]) if rows else ["(trống)"]
    if output.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.worksheet.worksheet import Worksheet

        wb = Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)  # a new workbook has one worksheet, active
        ws.title = kind
        ws.append(cols)
        for r in rows:
            ws.append([str(r.get(k)) if r.get(k) is not None else None for k in cols])
        wb.save(output)
    else:
        buf = io.StringIO()
        w = csv.DictWriter(buf, cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        output.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")  # BOM: Excel reads UTF-8 Vietnamese
    console.print(f"Đã ghi {len(rows)} dòng vào {output}")


def _write_destroyed(rows: list[dict], output: Path) -> None:
    """Danh mục tài liệu đã hủy as the archive files it with each Biên bản hủy: Vietnamese headers,
    dd/mm/yyyy, local time (``retention.destroyed_list``)."""
    from retention import destroyed_list

    if output.suffix.lower() == ".xlsx":
        destroyed_list.write_xlsx(rows, output)
    else:
        output.write_bytes(destroyed_list.to_csv(rows))
    console.print(f"Đã ghi {len(rows)} dòng (Danh mục tài liệu đã hủy) vào {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
