"""``luutru fixity run | report``: re-hash every stored object, and see what was verified when.

``run`` reads every object back and checks its SHA-256, oldest-checked first, at a byte-rate budget
(``--budget-mb-s``, default ``LUUTRU_FIXITY__BUDGET_MB_S``); stopped or crashed, the next ``run``
continues where it left off. ``--due`` checks only what the cycle makes due, as the periodic slices
of ``luutru serve`` and Celery beat do (for cron when the embedded loop is off). Exit 1 when a
failure was found, or an object whose retention lock cannot be read (its bytes right, the object
held until the lock is restored from a backup). ``report`` lists open failures and when each object was last verified.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from api.cli.common import actor, console, err, services_or_exit, system_actor

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OUTCOMES = {"ingest": "đúng khi nộp lưu", "success": "[green]đúng[/]", "failure": "[red]SAI[/]",
            "missing": "[red]mất tệp[/]"}


def vn_time(iso: str | None) -> str:
    """``HH:MM dd/mm/yyyy`` in Vietnam's time, for people."""
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(VN).strftime("%H:%M %d/%m/%Y")


def _mib(n: int) -> str:
    return f"{n / 1024**2:,.1f} MiB"


def _records(records: list[dict]) -> str:
    if not records:
        return "—"
    parts = []
    for r in records[:3]:
        name = r.get("so_ky_hieu") or (r.get("subject") or "")[:40] or r["record_id"]
        parts.append(f"{name} ({r['role']}, {r['record_id'][:8]})")
    return "; ".join(parts) + (f" … (+{len(records) - 3})" if len(records) > 3 else "")


def summary_lines(summary: dict) -> list[str]:
    """The fixity state in a few Vietnamese lines (``luutru status`` and ``fixity report``)."""
    last = summary.get("last_run")
    lines = [f"Toàn vẹn tệp (fixity): {summary['objects']:,} tệp ({_mib(summary['bytes'])}), chu kỳ kiểm tra "
             f"{summary['cycle_days']:g} ngày; đã đọc lại ít nhất một lần: {summary['rechecked']:,}; "
             f"lần kiểm tra cũ nhất: {vn_time(summary['oldest_check'])}"]
    if last:
        state = {"done": "xong", "running": "đang chạy", "interrupted": "bị dừng"}.get(last["state"], last["state"])
        lines.append(f"  Lượt kiểm tra gần nhất: số {last['id']} ({'toàn bộ' if last['kind'] == 'full' else 'định kỳ'}, "
                     f"{state}) lúc {vn_time(last['finished_at'] or last['started_at'])}: {last['objects']:,} tệp, "
                     f"{last['failures']} lỗi")
    else:
        lines.append("  Chưa có lượt kiểm tra nào (luutru fixity run)")
    if summary["overdue"]:
        lines.append(f"  [yellow]Quá hạn kiểm tra: {summary['overdue']:,} tệp[/]")
    if summary["failing"] or summary["missing"]:
        lines.append(f"  [red]Tệp sai mã băm: {summary['failing']}; tệp bị mất: {summary['missing']} "
                     "(luutru fixity report)[/]")
    return lines


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Kiểm tra toàn vẹn tệp lưu trữ (đọc lại, tính lại SHA-256) — fixity audits.",
                        no_args_is_help=True)
    app.add_typer(group, name="fixity")

    @group.command("run")
    def run(budget: float = typer.Option(None, "--budget-mb-s", min=0,
                                         help="Tốc độ đọc tối đa, MB/s (0: không giới hạn). "
                                              "Mặc định: LUUTRU_FIXITY__BUDGET_MB_S."),
            due: bool = typer.Option(False, "--due", help="Chỉ các tệp đến hạn trong chu kỳ (như lịch định kỳ)."),
            max_seconds: float = typer.Option(None, "--max-seconds", min=0,
                                              help="Dừng sau chừng ấy giây; lần chạy sau làm tiếp."),
            as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Đọc lại và kiểm tra SHA-256 mọi tệp, cũ nhất trước; dừng giữa chừng thì lần sau làm tiếp."""
        with services_or_exit() as services:
            fixity = services.fixity
            rate = budget * 1e6 if budget is not None else fixity.budget_bytes_s
            shown = [time.monotonic()]

            def progress(report) -> None:
                if not as_json and time.monotonic() - shown[0] >= 10:
                    shown[0] = time.monotonic()
                    err.print(f"  … {report.objects:,} tệp, {_mib(report.bytes)}")

            try:
                report = fixity.run(kind="due" if due else "full", budget_bytes_s=rate or None,
                                    max_seconds=max_seconds, actor=system_actor(), progress=progress)
            except KeyboardInterrupt:
                err.print("[yellow]Đã dừng.[/] Các tệp đã kiểm tra được ghi nhận; chạy lại "
                          "`luutru fixity run` để làm tiếp.")
                raise typer.Exit(130) from None
        data = report.as_dict()
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            what = "toàn bộ" if report.kind == "full" else "các tệp đến hạn"
            resumed = f", tiếp tục lượt {report.resumed_from}" if report.resumed_from else ""
            limit = f"giới hạn {rate / 1e6:g} MB/s" if rate else "không giới hạn tốc độ"
            console.print(f"Lượt kiểm tra {report.run_id} ({what}{resumed}): {report.objects:,} tệp, "
                          f"{_mib(report.bytes)} trong {report.seconds:.1f} giây "
                          f"({report.rate / 1e6:.1f} MB/s; {limit})")
            if report.failures:
                table = Table(title=f"[red]Tệp hỏng hoặc mất: {len(report.failures)}[/]")
                for col in ("Văn bản", "Tệp", "Khóa lưu trữ", "Vấn đề"):
                    table.add_column(col)
                for f in report.failures:
                    table.add_row(f["record_id"], f["role"], f["storage_key"], f["problem"])
                console.print(table)
                console.print("Văn bản liên quan đã được đánh dấu [red]hư hỏng[/]; khôi phục tệp từ bản sao lưu "
                              "rồi chạy lại `luutru fixity run`.")
            else:
                console.print("[green]Mọi tệp đã kiểm tra đều đúng mã băm SHA-256.[/]")
            if report.restored:
                console.print(f"[green]Đã khôi phục:[/] {len(report.restored)} văn bản trở lại bình thường.")
            if report.unreadable_locks:
                console.print(f"[yellow]Khóa lưu giữ bị hỏng:[/] {len(report.unreadable_locks)} tệp (nội dung vẫn "
                              "đúng; tệp được giữ nguyên, không xóa được) — khôi phục tệp .lock từ bản sao lưu:")
                for key in report.unreadable_locks:
                    console.print(f"  {key}")
            if not report.complete and report.kind == "full":
                console.print("[yellow]Chưa xong:[/] chạy lại `luutru fixity run` để kiểm tra nốt.")
        if report.failures or report.unreadable_locks:
            raise typer.Exit(1)

    @group.command("report")
    def report_(limit: int = typer.Option(50, "--limit", min=0, help="Số tệp liệt kê, cũ nhất trước (0: tất cả)."),
                as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Khi nào mỗi tệp được kiểm tra lần cuối, tệp nào hỏng hoặc mất."""
        with services_or_exit() as services:
            data = services.fixity.report(limit=limit)
            services.archive.audit_access(actor=actor(write=False), action="fixity.report",
                                          detail={"failures": len(data["failures"])})
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for line in summary_lines(data["summary"]):
            console.print(line)
        if data["failures"]:
            table = Table(title=f"[red]Tệp hỏng hoặc mất ({len(data['failures'])})[/]")
            for col in ("Văn bản", "Khóa lưu trữ", "Phát hiện lúc", "Kiểm tra lần cuối", "Vấn đề"):
                table.add_column(col)
            for f in data["failures"]:
                table.add_row(_records(f["records"]), f["storage_key"], vn_time(f.get("failed_at")),
                              vn_time(f.get("checked_at")), f.get("problem") or "")
            console.print(table)
        else:
            console.print("[green]Không có tệp hỏng hoặc mất.[/]")
        table = Table(title="Kiểm tra lần cuối, cũ nhất trước" + (f" ({limit} tệp đầu)" if limit else ""))
        for col in ("Văn bản", "Khóa lưu trữ", "Kích thước", "Kiểm tra lần cuối", "Kết quả", "Số lần"):
            table.add_column(col)
        for o in data["objects"]:
            table.add_row(_records(o["records"]), o["storage_key"][7:27] + "…", f"{o['size']:,}",
                          vn_time(o["checked_at"]), OUTCOMES.get(o["outcome"], o["outcome"]), str(o["checks"]))
        console.print(table)
