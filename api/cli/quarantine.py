"""``luutru quarantine list|show|release|discard``: the files the ingest rejected, on this machine.

The same service as ``/api/v1/quarantine`` and the ``/quarantine`` page (``ingest.quarantine_service``).
Listing and showing are reads (the machine's operator may, as for every read; an account is
trimmed to the ``deposit`` scope); releasing and discarding are done by a named account with the
``deposit`` scope (``--as``, ``luutru login``), audited under that name.
"""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import console, fail, identity, services_or_exit

JSON = typer.Option(False, "--json", help="In kết quả dạng JSON.")


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _when(at: str | None) -> str:
    from ingest.quarantine import VN_TZ

    if not at:
        return ""
    from datetime import datetime

    return datetime.fromisoformat(at).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def _who(e: dict) -> str | None:
    """The submitter as people know them, then the account (``Nguyễn Thị Lan (Chuyên viên lưu trữ) —
    tài khoản user:lan``); the account alone when the catalogue does not know it."""
    name, actor = e.get("submitter_name"), e.get("submitter")
    return f"{name} — tài khoản {actor}" if name and actor and name != actor else actor


def _reader(scope: str = "deposit"):
    ident = identity(write=False)
    if ident.caller is not None and not ident.caller.has(scope):
        fail(f"Tài khoản {ident.caller.name} không có quyền xem khu cách ly (cần quyền «{scope}»)",
             f"{ident.caller.name} lacks the {scope} scope", code=1)
    return ident


def _audit(services, ident, action: str, target: str | None, outcome: str = "success", **detail) -> None:
    services.archive.audit_access(actor=ident.actor, action=action, target_type="quarantine", target_id=target,
                                  outcome=outcome, detail={k: v for k, v in detail.items() if v is not None} or None)


def _refused(code: str, message_vi: str, message_en: str, as_json: bool) -> None:
    """A release refused before anything is tried (a bad ``--set``, an unknown dossier…): exit 2,
    the entry unchanged; the message of ``luutru ingest --set`` and the HTTP deposit for the same
    value (``ingest.declared``), and with ``--json`` the same ``{"outcome": "refused", …}`` line."""
    if as_json:
        print(json.dumps({"outcome": "refused", "code": code, "message_vi": message_vi, "message_en": message_en},
                         ensure_ascii=False), flush=True)
    fail(f"{message_vi}. Mục cách ly giữ nguyên.", f"{message_en}; the entry is unchanged", code=2)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Khu cách ly: tệp bị từ chối khi nộp lưu, kèm lý do — giải phóng sau khi sửa, "
                             "hoặc hủy có lý do.", no_args_is_help=True)
    app.add_typer(group, name="quarantine")

    @group.command("list")
    def list_(code: str = typer.Option(None, "--code", help="Mã lý do (empty_file, corrupt, invalid_metadata…)."),
              day: str = typer.Option(None, "--date", help="Ngày bị từ chối (dd/mm/yyyy)."),
              since: str = typer.Option(None, "--from", help="Từ ngày (dd/mm/yyyy)."),
              until: str = typer.Option(None, "--to", help="Đến ngày (dd/mm/yyyy)."),
              submitter: str = typer.Option(None, "--submitter", help="Người nộp (một phần tên)."),
              as_json: bool = JSON) -> None:
        """Liệt kê các tệp trong khu cách ly, mới nhất trước."""
        from api.quarantine import quarantine_service
        from ingest.quarantine import QuarantineFilter

        with services_or_exit() as services:
            ident = _reader()
            flt = QuarantineFilter.parse(code=code, day=day, since=since, until=until, submitter=submitter)
            entries = quarantine_service(services).list(flt)
            _audit(services, ident, "quarantine.list", None, count=len(entries), code=flt.code,
                   submitter=flt.submitter)
        if as_json:
            _print_json(entries)
            return
        if not entries:
            console.print("Khu cách ly không có tệp nào" + (" khớp bộ lọc." if any(vars(flt).values()) else "."))
            return
        table = Table(title=f"Khu cách ly ({len(entries)} tệp)")
        for col in ("Mã", "Thời điểm", "Tệp", "Người nộp", "Lý do"):
            table.add_column(col)
        for e in entries:
            table.add_row(e["id"][:8], _when(e["at"]), *(escape(v or "") for v in (  # names are not markup
                e["name"], e.get("submitter_name") or e["submitter"], e["message_vi"])))
        console.print(table)

    @group.command("show")
    def show(entry: str = typer.Argument(..., help="Mã mục cách ly (hoặc 6 chữ số đầu trở lên)."),
             as_json: bool = JSON) -> None:
        """Xem một mục trong khu cách ly: tệp, lý do, siêu dữ liệu đã khai báo, các lần từ chối trước."""
        from api.quarantine import quarantine_service
        from ingest.quarantine import EntryNotFound

        with services_or_exit() as services:
            ident = _reader()
            try:
                e = quarantine_service(services).show(entry)
            except EntryNotFound:
                _audit(services, ident, "quarantine.show", entry[:64], "not_found")
                raise
            _audit(services, ident, "quarantine.show", e["id"])
        if as_json:
            _print_json(e)
            return
        console.print(f"[bold]Mục cách ly {e['id']}[/]")
        rows = [("Tệp", e["name"]), ("Cỡ", f"{e['size']} byte" if e["size"] is not None else "không giữ được tệp"),
                ("SHA-256", e["sha256"]), ("Bị từ chối lúc", _when(e["at"])), ("Lý do", e["message_vi"]),
                ("Mã lý do", e["code"]), ("Người nộp", _who(e)), ("Kênh nộp", e["source"]),
                ("Hồ sơ", e["dossier_code"]),
                ("Siêu dữ liệu khai báo", ", ".join(f"{k}={v}" for k, v in e["declared"].items()) or None)]
        for label, value in rows:
            if value:
                console.print(f"  {label}: {escape(str(value))}")  # a file name is not markup
        for past in e["history"]:
            console.print(f"  Lần trước ({_when(past.get('at'))}): {past.get('message_vi')}")

    @group.command("release")
    def release(entry: str = typer.Argument(..., help="Mã mục cách ly (hoặc 6 chữ số đầu trở lên)."),
                set_: list[str] = typer.Option([], "--set", help="Sửa siêu dữ liệu khai báo: TRƯỜNG=GIÁ_TRỊ "
                                               "(lặp lại được; GIÁ_TRỊ rỗng để bỏ), ví dụ --set access_level=internal."),
                dossier: str = typer.Option(None, "--dossier", help="Hồ sơ đích (mã hoặc id; \"\" để không đưa "
                                                                    "vào hồ sơ nào)."),
                as_json: bool = JSON) -> None:
        """Giải phóng: nộp lại tệp qua quy trình nộp lưu với siêu dữ liệu đã sửa. Tệp rời khu cách ly khi
        đã vào kho (hoặc trùng một văn bản đã có); bị từ chối lại thì vẫn ở đó với lý do mới (exit 1)."""
        from api.http.problems import ApiProblem
        from api.http.routes.quarantine import release_entry
        from ingest.declared import InvalidDeclared, assignments

        try:
            declared = assignments(set_)  # the FIELD=VALUE of luutru ingest --set ("FIELD=" removes one)
        except InvalidDeclared as exc:
            _refused(exc.code, exc.message_vi, exc.message_en, as_json)
        with services_or_exit() as services:
            caller = identity(scope="deposit").caller
            try:
                result = release_entry(services, caller, entry, declared, dossier)
            except ApiProblem as exc:
                _refused(exc.code, exc.detail_vi, exc.detail, as_json)
        if as_json:
            _print_json(result)
        elif result["released"]:
            what = "đã vào kho" if result["outcome"] == "ingested" else "trùng một văn bản đã có trong kho"
            console.print(f"[green]Đã giải phóng[/] mục {result['entry_id'][:8]}: {what} "
                          f"(văn bản {result['record_id']}).")
        else:
            console.print(f"[yellow]Vẫn bị từ chối[/], tệp ở lại khu cách ly: {result['message_vi']}")
        if not result["released"]:
            raise typer.Exit(1)

    @group.command("discard")
    def discard(entry: str = typer.Argument(..., help="Mã mục cách ly (hoặc 6 chữ số đầu trở lên)."),
                reason: str = typer.Option(..., "--reason", help="Lý do hủy (bắt buộc, được lưu vĩnh viễn)."),
                as_json: bool = JSON) -> None:
        """Hủy tệp trong khu cách ly. Tệp bị xóa; dấu vết (tệp gì, SHA-256, ai, khi nào, vì sao) được giữ
        vĩnh viễn trong nhật ký hệ thống và trong khu cách ly (_log/discarded)."""
        from api.quarantine import quarantine_service

        with services_or_exit() as services:
            ident = identity(scope="deposit")
            trace = quarantine_service(services).discard(entry, actor=ident.actor, reason=reason)
        if as_json:
            _print_json(trace)
        else:
            console.print(f"[green]Đã hủy[/] tệp {trace['name']} (mục {trace['id'][:8]}, SHA-256 {trace['sha256']}).")
