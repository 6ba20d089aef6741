"""``luutru audit verify | anchor | list``: the tamper-evident audit log from the command line.

``verify`` recomputes the hash chain and checks every RFC 3161 anchor (exit 1 on any problem);
``anchor`` timestamps the head now (the Celery beat does it hourly, the repair pass on the embedded
default); ``list`` shows entries with filters. ``verify`` runs ``api.signature_wiring.verify_log``, as the
HTTP route does.
"""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.table import Table

from api.cli.common import actor, console, parse_when, services_or_exit
from api.signature_wiring import verify_log  # also imported from here by api.cli.backup


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Nhật ký hệ thống (chuỗi băm, dấu thời gian RFC 3161) — the audit log.",
                        no_args_is_help=True)
    app.add_typer(group, name="audit")

    @group.command("verify")
    def verify(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Kiểm tra toàn vẹn nhật ký: chuỗi băm và các mốc dấu thời gian. Exit 1 on any problem."""
        with services_or_exit() as services:
            who = actor(write=False, scope="audit")
            report = verify_log(services)
            services.archive.audit_access(actor=who, action="audit.verify",
                                          outcome="success" if report["ok"] else "failure",
                                          detail={"entries": report["entries"], "anchors": report["anchors"],
                                                  "problems": len(report["problems"])})
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            console.print(f"Nhật ký: {report['entries']} mục, {report['anchors']} mốc dấu thời gian (RFC 3161), "
                          f"{report['published']} mốc đã công bố trong kho tệp")
            if report["unpublished"]:
                console.print(f"[yellow]Mốc chưa công bố (lần kiểm tra nhất quán sau sẽ công bố):[/] "
                              f"{', '.join(map(str, report['unpublished']))}")
            if report["unsegmented"]:
                console.print(f"[yellow]Mốc chưa công bố các mục nhật ký mà mốc bao phủ (lần kiểm tra nhất quán "
                              f"sau sẽ công bố):[/] {', '.join(map(str, report['unsegmented']))}")
            last = report["last_anchor"]
            if last:
                console.print(f"Mốc mới nhất: mục {last['last_id']} lúc {last['gen_time']} "
                              f"(TSA {last['tsa']}, SHA-256 token {last['token_sha256']})")
            if report["ok"]:
                console.print("[green]Nhật ký toàn vẹn: chuỗi băm và mọi mốc dấu thời gian đều hợp lệ.[/]")
            else:
                console.print(f"[red]Nhật ký có dấu hiệu bị sửa hoặc xóa — {len(report['problems'])} vấn đề:[/]")
                for p in report["problems"]:
                    console.print(f"  [red]•[/] {p}")
        if not report["ok"]:
            raise typer.Exit(1)

    @group.command("anchor")
    def anchor(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Đóng dấu thời gian (RFC 3161) cho đầu chuỗi nhật ký ngay bây giờ, nếu có mục mới."""
        with services_or_exit() as services:
            result = services.archive.anchor_audit()
        if as_json:
            print(json.dumps({"anchored": result is not None, "anchor": result}, ensure_ascii=False, indent=2))
        elif result is None:
            console.print("Không có mục mới kể từ mốc trước: không cần đóng dấu thời gian.")
        else:
            console.print(f"[green]Đã đóng dấu thời gian[/] cho mục {result['last_id']} "
                          f"(băm {result['last_hash'][:16]}…, TSA {result['tsa']})")

    @group.command("list")
    def list_(actor_: str = typer.Option(None, "--actor", help="Tác nhân: tài khoản (luutruvien hoặc user:luutruvien)"),
              action: str = typer.Option(None, "--action", help="Thao tác, hoặc tiền tố kết thúc bằng '.' (record.)"),
              target: str = typer.Option(None, "--target", help="Đối tượng: id, hoặc mã hồ sơ, số ký hiệu văn bản, "
                                                                 "số đợt hủy (1/2026), mã phông"),
              since: str = typer.Option(None, "--since", help="Từ thời điểm (ISO 8601)"),
              limit: int = typer.Option(50, "--limit", min=1, max=10000, help="Số mục tối đa"),
              as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Xem nhật ký hệ thống, mới nhất trước: người thực hiện theo họ tên và chức vụ, đối tượng theo
        mã (mã hồ sơ, số ký hiệu, số đợt hủy). Reading the log is itself audited."""
        from archive import audit
        from archive.audit_labels import label

        at = parse_when(since, "--since")
        if actor_ and ":" not in actor_:
            actor_ = f"user:{actor_}"
        with services_or_exit() as services:
            who = actor(write=False, scope="audit")
            with services.catalogue.session() as s:
                target_id = _target_id(s, target) if target else None
                items = label(s, audit.query(s, actor=actor_, action=action, target_id=target_id, since=at,
                                             limit=limit))
            services.archive.audit_access(actor=who, action="audit.read",
                                          detail={k: v for k, v in {"actor": actor_, "action": action, "target": target,
                                                                    "since": since}.items() if v} or None)
        if as_json:
            print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
            return
        table = Table(title=f"Nhật ký hệ thống ({len(items)} mục; giờ Việt Nam)")
        for col in ("Số", "Thời điểm", "Người thực hiện", "Thao tác", "Đối tượng", "Kết quả"):
            table.add_column(col)
        for e in items:
            table.add_row(str(e["id"]), _local(e["occurred_at"]), e["actor_name"], e["action"],
                          e["target_label"] or "", e["outcome"])
        console.print(table)


def _local(iso: str) -> str:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M:%S")


def _target_id(s, ref: str) -> str:
    """The id behind a code people use (an id is taken as it is): a batch number, a mã hồ sơ, a
    số ký hiệu or a fonds' agency code; an ambiguous code is the error listing its candidates."""
    from archive import identifiers
    from archive.identifiers import ReferenceNotFound

    for kind in ("batch", "dossier", "record", "fonds"):
        try:
            return identifiers.resolve_id(s, kind, ref)
        except ReferenceNotFound:
            continue
    return ref
