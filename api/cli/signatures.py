"""``luutru verify`` and ``luutru timestamps renew``; the archive TSA is created by ``luutru init``.

The factories these commands share with the worker and the routes (trust anchors, the archive
timestamper, ``renew_all``) are the composition root's: ``api/signature_wiring.py``.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from api.signature_wiring import renew_all, trust_roots_for, tsa_roots_for

# api.cli is imported inside the functions below: api.cli registers this module's commands at
# import, so a top-level import would be circular.

STATUS_VI = {"VALID": "[green]hợp lệ[/]", "VALID_UNTRUSTED": "[yellow]hợp lệ, chưa tin cậy[/]",
             "INDETERMINATE": "[yellow]chưa xác định[/]", "INVALID": "[red]không hợp lệ[/]"}
MODIFICATION_VI = {"none": "không", "lta_updates": "dữ liệu kiểm tra dài hạn", "form_filling": "điền biểu mẫu",
                   "annotations": "chú thích", "not_allowed": "[red]thay đổi không được phép[/]"}


def _intact_vi(value) -> str:
    return {True: "có", False: "[red]không[/]"}.get(value, "")


def _modification_vi(sig: dict) -> str:
    level = sig.get("modification_level")
    text = MODIFICATION_VI.get(level, level) if level else ""
    return f"{text} [red](vượt quyền người ký)[/]" if sig.get("modifications_permitted") is False and \
        level != "not_allowed" else text


# --- commands ---------------------------------------------------------------------------------
def register(app: typer.Typer) -> None:
    from api.cli import actor, console, readable, services_or_exit, system_actor
    from api.cli.common import parse_when

    timestamps = typer.Typer(help="Dấu thời gian lưu trữ (RFC 3161) — archive timestamps.", no_args_is_help=True)
    app.add_typer(timestamps, name="timestamps")

    @app.command()
    def verify(record_id: str,
               at: str = typer.Option(None, "--at", help="Thời điểm kiểm tra (ISO 8601); mặc định: bây giờ."),
               as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Kiểm tra lại chữ ký số và dấu thời gian lưu trữ chỉ từ chứng cứ đã lưu (ngoại tuyến).
        Exit 1 if a signature is not VALID or the archive timestamp chain is broken."""
        from ingest.signatures.ltv import verify_record

        moment = parse_when(at, "--at")
        with services_or_exit() as services:
            record_id = readable(services, record_id, action="record.verify")
            s = services.settings
            result = verify_record(services.archive, record_id, trust_roots=trust_roots_for(s),
                                   tsa_roots=tsa_roots_for(s), at=moment,
                                   horizon_days=s.signatures.renewal_horizon_days, actor=actor(write=False))
            with services.catalogue.session() as session:
                from archive.catalogue.models import Record

                so_ky_hieu = session.get(Record, record_id).so_ky_hieu
        if as_json:
            print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        else:
            from api.corrections import local_time

            name = f"{so_ky_hieu} ({record_id[:8]})" if so_ky_hieu else record_id[:8]
            table = Table(title=f"Chữ ký số — văn bản {name}, kiểm tra lúc {local_time(str(result['at']))}")
            for col in ("Ô ký", "Người ký", "Cơ quan", "Thời điểm ký", "Dấu TG", "Toàn vẹn", "Thay đổi sau ký",
                        "Kết quả", "Lý do"):
                table.add_column(col)
            for sig in result["signatures"]:
                when = local_time(str(sig["signing_time"])) if sig["signing_time"] else ""
                table.add_row(sig["field"], sig["signer"] or "", sig["organisation"] or "", when,
                              "có" if sig["timestamped"] else "không", _intact_vi(sig.get("intact")),
                              _modification_vi(sig), STATUS_VI.get(sig["status"], sig["status"]), sig["reason"] or "")
            console.print(table)
            chain = result["archive_timestamp"]
            console.print(f"Dấu thời gian lưu trữ: {len(chain['tokens'])} token, "
                          + ("[green]chuỗi hợp lệ[/]" if chain["ok"] else f"[red]lỗi:[/] {chain['problem']}")
                          + (" — [yellow]cần gia hạn[/]" if chain["renewal_due"] else ""))
            console.print("Khớp kết quả khi nộp lưu." if result["matches_ingest"] else
                          "[yellow]Khác kết quả khi nộp lưu.[/]")
        bad = any(sig["status"] != "VALID" for sig in result["signatures"]) or not result["archive_timestamp"]["ok"]
        if bad:
            raise typer.Exit(1)

    @timestamps.command("renew")
    def renew(horizon_days: int = typer.Option(None, "--horizon-days", help="Gia hạn khi chứng thư TSA hết hạn "
                                               "trong số ngày này (mặc định theo cấu hình)."),
              as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Gia hạn dấu thời gian lưu trữ sắp hết hiệu lực (token mới phủ token cũ, RFC 4998) và
        cấp dấu thời gian cho bản gốc chưa có."""
        with services_or_exit() as services:
            report = renew_all(services, horizon_days=horizon_days, actor=system_actor())
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            console.print(f"Đã kiểm tra {report['checked']} văn bản: cấp mới {len(report['created'])}, "
                          f"gia hạn {len(report['renewed'])}, lỗi {len(report['failed'])}")
        if report["failed"]:
            raise typer.Exit(1)

