"""The ``luutru`` command line (Typer + Rich). Messages to people are in Vietnamese first.

Every command builds its services from the settings alone, so the same commands work on the
embedded default and on the scale-out services.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.table import Table

from archive.errors import ArchiveError, SettingsError

app = typer.Typer(
    name="luutru",
    help="Lưu Trữ — hệ thống lưu trữ và tra cứu tài liệu điện tử (electronic archive and search).",
    no_args_is_help=True,
    add_completion=False,
)

from api.cli.common import (  # noqa: E402  (re-exported)
    actor,
    console,
    err,
    fail,
    readable,
    resolve,
    services_or_exit,
    system_actor,
)

__all__ = ["actor", "app", "console", "err", "fail", "main", "readable", "resolve", "services_or_exit", "system_actor"]


@app.callback()
def _as(as_user: str = typer.Option(None, "--as", metavar="TÊN_ĐĂNG_NHẬP",
                                    help="Thực hiện với tài khoản này (hỏi mật khẩu, hoặc LUUTRU_PASSWORD); "
                                         "mặc định: LUUTRU_USER, LUUTRU_TOKEN hoặc phiên của «luutru login».")) -> None:
    """Lưu Trữ — hệ thống lưu trữ và tra cứu tài liệu điện tử (electronic archive and search)."""
    from api.cli.identity import request_user

    request_user(as_user)


@app.command()
def login(username: str = typer.Argument(..., help="Tên đăng nhập.")) -> None:
    """Đăng nhập: các lệnh sau thực hiện với tài khoản này (phiên lưu cho kho này, hết hạn như trên web)."""
    from api.cli.identity import login as do_login
    from api.cli.identity import save_session

    with services_or_exit() as services:
        try:
            result = do_login(services, username)
        except ArchiveError as exc:
            fail(exc.message_vi, str(exc), code=2)
        path = save_session(services, result["user"]["username"], result["access_token"], result["expires_at"])
        user = result["user"]
    console.print(f"[green]Đã đăng nhập[/] {user['full_name']} ({user['username']}, {user.get('role_vi') or user['role']}); "
                  f"phiên lưu tại {path}")


@app.command()
def logout() -> None:
    """Đăng xuất: thu hồi phiên đã lưu của kho này."""
    from api.cli.identity import forget_session

    with services_or_exit() as services:
        token = forget_session(services)
        if token:
            try:
                services.accounts.logout(services.accounts.authenticate(token, address="cli"))
            except ArchiveError:
                pass  # expired or revoked already
    console.print("Đã đăng xuất." if token else "Không có phiên đăng nhập nào cho kho này.")


@app.command()
def whoami(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Lệnh đang thực hiện với tài khoản nào."""
    from api.cli.common import identity

    with services_or_exit() as services:
        ident = identity(write=False)
        out = {"actor": ident.actor, "full_name": ident.full_name,
               "role": ident.caller.role if ident.caller else None,
               "account": ident.caller is not None}
        del services
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
    elif out["account"]:
        console.print(f"{out['full_name'] or out['actor']} ({out['actor']}, vai trò {out['role']})")
    else:
        console.print(f"Chưa đăng nhập: người vận hành máy ({out['actor']}) — chỉ được xem, không được thay đổi kho.")


@app.command()
def init() -> None:
    """Khởi tạo kho: thư mục dữ liệu, cơ sở dữ liệu danh mục (idempotent). Create the data folder and catalogue."""
    with services_or_exit() as services:
        report = services.archive.repair(actor=system_actor())
        current, head = services.catalogue.revision()
        console.print(f"[green]Đã khởi tạo kho lưu trữ[/] tại {services.settings.data_dir.resolve()}")
        console.print(f"  Cơ sở dữ liệu: {services.catalogue.dialect}, lược đồ {current} (mới nhất {head})")
        console.print(f"  Kho tệp: {services.store.health()}")
        settings = services.settings
        if not settings.signatures.tsa_url:  # the archive's own TSA (embedded default)
            from archive.timestamping import ensure_archive_tsa

            files = ensure_archive_tsa(settings.keys_dir)
            console.print(f"  Khóa TSA lưu trữ: {files.folder} (chứng thư hết hạn "
                          f"{files.tsa_cert().not_valid_after:%Y-%m-%d})")
        from archive.keys import ensure_archive_identity

        identity = ensure_archive_identity(settings.keys_dir)  # signs the documents the archive issues
        console.print(f"  Chứng thư ký văn bản của kho: {identity.signing_cert} (gốc tin cậy {identity.ca_cert})")
        settings.trust_dir.mkdir(parents=True, exist_ok=True)
        roots = [p for p in settings.trust_dir.iterdir() if p.is_file() and not p.name.startswith(".")]
        console.print(f"  Chứng thư gốc tin cậy (kiểm tra chữ ký số): {settings.trust_dir} ({len(roots)} tệp)")
        if not report.clean:
            console.print(f"  [yellow]Kiểm tra nhất quán:[/] {report.as_dict()}")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Tình trạng hệ thống: các thành phần đang dùng, số lượng, sức khỏe từng dịch vụ."""
    from api.cli.fixity import summary_lines
    from api.health import check_all, check_tools

    with services_or_exit() as services:
        checks = check_all(services)
        counts = services.archive.counts()
        fixity = services.fixity.summary()
        tools = check_tools(services)
        if as_json:
            print(json.dumps({"checks": checks, "counts": counts, "fixity": fixity, "tools": tools},
                             ensure_ascii=False, indent=2))
        else:
            labels = {"catalogue": "Cơ sở dữ liệu danh mục", "objects": "Kho tệp", "search": "Chỉ mục tìm kiếm",
                      "extraction": "Trích xuất văn bản", "tasks": "Hàng đợi tác vụ"}
            table = Table(title="Lưu Trữ — tình trạng hệ thống")
            for col in ("Thành phần", "Backend", "Trạng thái", "Chi tiết"):
                table.add_column(col)
            for name, c in checks.items():
                table.add_row(labels[name], c["backend"], "[green]tốt[/]" if c["ok"] else "[red]lỗi[/]", c["detail"])
            console.print(table)
            tool_labels = {"ocr": "Nhận dạng chữ (OCR)", "format_identification": "Nhận dạng định dạng (PRONOM)",
                           "pdfa_validation": "Kiểm tra PDF/A", "office_conversion": "Chuyển đổi văn bản văn phòng"}
            tool_table = Table(title="Công cụ bảo quản (thiếu: kho vẫn hoạt động, tính năng tương ứng tắt)")
            for col in ("Công cụ", "Trạng thái", "Chi tiết"):
                tool_table.add_column(col)
            for name, c in tools.items():
                tool_table.add_row(tool_labels[name], "[green]có[/]" if c["ok"] else "[yellow]THIẾU[/]", c["detail"])
            console.print(tool_table)
            console.print(
                f"Phông: {counts['fonds']}  Hồ sơ: {counts['dossiers']}  Văn bản: {counts['records']}  "
                f"Tệp: {counts['components']} ({counts['bytes'] / 1024**2:.1f} MiB)  "
                f"Việc chờ sau ghi: {counts['pending_post_commit']}")
            for line in summary_lines(fixity):
                console.print(line)
        if not all(c["ok"] for c in checks.values()) or fixity["failing"] or fixity["missing"]:
            raise typer.Exit(1)


FIELD_LABELS = [
    ("so_ky_hieu", "Số, ký hiệu"), ("issued_date", "Ngày văn bản"), ("type_name", "Tên loại"),
    ("subject", "Trích yếu"), ("organ_name", "Cơ quan ban hành"), ("signer_position", "Chức vụ người ký"),
    ("signer_name", "Người ký"), ("security_level", "Độ mật"), ("urgency", "Độ khẩn"),
    ("page_amount", "Số trang"), ("dossier_code", "Mã hồ sơ"), ("access_level", "Mức độ tiếp cận"),
    ("original_filename", "Tên tệp gốc"), ("status", "Trạng thái"), ("created_at", "Thời điểm lưu"),
]


LABELS_VI = {
    "access_level": {"public": "Công khai", "internal": "Nội bộ", "restricted": "Hạn chế", "secret": "Mật"},
    "status": {"active": "Đang lưu giữ", "damaged": "Hư hỏng (thiếu tệp hoặc tệp sai mã băm)", "disposing": "Đang hủy",
               "disposed": "Đã hủy"},
    # a record's files (components)
    "role": {"original": "Bản gốc", "text": "Văn bản trích xuất", "metadata": "Siêu dữ liệu",
             "signature_report": "Kết quả kiểm tra chữ ký", "timestamp": "Dấu thời gian lưu trữ",
             "ltv_copy": "Bản kèm chứng cứ kiểm tra chữ ký (LTV)", "ocr_copy": "Bản nhận dạng chữ (OCR)",
             "preservation_copy": "Bản bảo quản (PDF/A)", "rendition": "Bản hiển thị",
             "edxml_message": "Thông điệp edXML nhận được", "attachment": "Tệp đính kèm",
             "edxml_status": "Thông điệp trạng thái edXML"},
    "component_status": {"present": "Có", "missing": "Thiếu", "damaged": "Sai mã băm", "destroyed": "Đã hủy"},
    # PREMIS event types (id.loc.gov/vocabulary/preservation/eventType) and outcomes
    "event_type": {"ingestion": "Nộp lưu", "message digest calculation": "Tính mã băm",
                   "format identification": "Nhận dạng định dạng", "metadata extraction": "Trích xuất siêu dữ liệu",
                   "digital signature validation": "Kiểm tra chữ ký số", "timestamping": "Đóng dấu thời gian",
                   "migration": "Chuyển đổi", "normalization": "Chuẩn hóa", "character conversion": "Nhận dạng chữ (OCR)",
                   "fixity check": "Kiểm tra toàn vẹn", "metadata modification": "Sửa siêu dữ liệu",
                   "deletion": "Hủy", "validation": "Kiểm tra định dạng",
                   "transfer": "Chuyển qua trục liên thông", "edXML receipt": "Tiếp nhận thông điệp edXML",
                   "edXML status": "Trạng thái xử lý (edXML)"},
    "outcome": {"success": "thành công", "failure": "thất bại", "warning": "cảnh báo"},
}


def display_value(key: str, value) -> str:
    """How a record field is shown to officials: Vietnamese labels, dates as dd/mm/yyyy."""
    if key in LABELS_VI:
        return LABELS_VI[key].get(str(value), str(value))
    text = str(value)
    if key.endswith("_date") and len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    if key == "created_at" and "T" in text:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        at = datetime.fromisoformat(text).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        return at.strftime("%H:%M:%S %d/%m/%Y (giờ Việt Nam)")
    return text


@app.command()
def show(record_id: str = typer.Argument(..., help="Mã văn bản: id, id rút gọn hoặc số ký hiệu."),
         as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Xem thông tin một văn bản: siêu dữ liệu, các tệp, lịch sử xử lý."""
    with services_or_exit() as services:
        record_id = readable(services, record_id, action="record.view")
        data = services.archive.get_record(record_id, actor=actor(write=False))
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            return
        name = f"{data['so_ky_hieu']} ({record_id[:8]})" if data.get("so_ky_hieu") else record_id
        table = Table(title=f"Văn bản {name}", show_header=False)
        table.add_column("Trường", style="bold")
        table.add_column("Giá trị")
        for key, label in FIELD_LABELS:
            if data.get(key) not in (None, ""):
                table.add_row(label, display_value(key, data[key]))
        console.print(table)
        comps = Table(title="Tệp")
        for col in ("Vai trò", "Định dạng", "Kích thước", "SHA-256", "Trạng thái"):
            comps.add_column(col)
        for c in data["components"]:
            comps.add_row(display_value("role", c["role"]), c["media_type"], f"{c['size']:,}".replace(",", "."),
                          c["sha256"], display_value("component_status", c["status"]))
        console.print(comps)
        events = Table(title="Lịch sử (PREMIS)")
        for col in ("Thời điểm", "Sự kiện", "Tác nhân", "Kết quả", "Chi tiết"):
            events.add_column(col)
        with services.catalogue.session() as s:
            from archive.audit_labels import label as audit_label

            agents = {e["actor"]: e["actor_name"] for e in audit_label(s, [{"actor": e["agent"]} for e in data["events"]])}
        for e in data["events"]:
            events.add_row(display_value("created_at", e["at"]), display_value("event_type", e["type"]),
                           agents.get(e["agent"], e["agent"]), display_value("outcome", e["outcome"]),
                           e["detail"] or "")
        console.print(events)


@app.command()
def get(record_id: str = typer.Argument(..., help="Mã văn bản: id, id rút gọn hoặc số ký hiệu."),
        output: Path = typer.Option(..., "-o", "--output", help="Tệp đích."),
        role: str = typer.Option("original", help="Tệp cần lấy: original, text, …"),
        force: bool = typer.Option(False, "--force", help="Ghi đè tệp đích nếu đã có.")) -> None:
    """Lấy tệp của văn bản ra đĩa; kiểm tra SHA-256 trước khi hoàn tất. Bytes identical to the original."""
    if output.exists() and not force:
        fail(f"Tệp {output} đã tồn tại (dùng --force để ghi đè)", f"{output} exists (use --force)")
    with services_or_exit() as services:
        record_id = readable(services, record_id, action="record.download")
        fixity = services.fixity
        info = fixity.component(record_id, role)
        part = output.with_name(output.name + ".part")
        try:
            # Verified as a download is (archive.fixity): a block that fails in every copy raises
            # before the file is complete, and the partial file is removed: never a corrupt file.
            with fixity.open(info, actor=actor(write=False)) as content, open(part, "wb") as out:
                for chunk in content:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, output)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        copy = " — từ bản sao dự phòng (bản trong kho bị hỏng)" if content.source != "primary" else ""
        console.print(f"[green]Đã ghi[/] {output} ({info['size']:,} byte, SHA-256 {info['sha256']} đã kiểm tra){copy}")


@app.command()
def repair(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Kiểm tra và sửa tính nhất quán giữa kho tệp và danh mục. Find and resolve inconsistencies."""
    with services_or_exit() as services:
        report = services.archive.repair(actor=system_actor())
        data = report.as_dict()
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            console.print(f"Việc sau ghi đã chạy lại: {data['outbox_done']} (lỗi: {data['outbox_failed']})")
            console.print(f"Tệp mồ côi đã xóa: {len(data['orphans_removed'])}; giữ lại: {len(data['orphans_kept'])}")
            console.print(f"Tệp bị thiếu: {len(data['missing'])}; tìm lại được: {len(data['restored'])}")
            for m in data["missing"]:
                console.print(f"  [red]thiếu[/] văn bản {m['record_id']} ({m['role']}): {m['storage_key']}")
            _print_quarantine_repair(data.get("quarantine") or {})
            console.print("[green]Kho nhất quán.[/]" if report.clean else "[yellow]Cần xem xét các mục trên.[/]")
        if data["missing"]:
            raise typer.Exit(1)


def _print_quarantine_repair(q: dict) -> None:
    """The quarantine's part of ``luutru repair`` (``ingest.quarantine_service.QuarantineService.repair``)."""
    if q.get("error"):
        console.print(f"[red]Khu cách ly: không sửa được[/] ({q['error']})")
        return
    console.print(f"Khu cách ly: hoàn tất {q.get('finished', 0)} lần giải phóng, hoàn tác {q.get('undone', 0)}, "
                  f"hoàn tất {q.get('discarded', 0)} lần hủy bị gián đoạn; {q.get('published', 0)} tệp cách ly "
                  f"dở được ghi nhận, {q.get('abandoned', 0)} bản sao dở được bỏ (tệp gốc vẫn ở nơi nộp)")
    for entry_id in q.get("review") or []:
        console.print(f"  [yellow]cần kiểm tra[/] mục cách ly {entry_id}: lưu vào khu cách ly bị gián đoạn, tệp có "
                      f"thể không đầy đủ (luutru quarantine show {entry_id[:8]})")


@app.command()
def openapi(output: Path = typer.Option(None, "-o", "--output", help="Ghi ra tệp (mặc định: màn hình).")) -> None:
    """In mô tả OpenAPI của API. Print the API's OpenAPI description (docs/openapi.json)."""
    from api.http.app import create_app
    from api.wiring import get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:
        fail(exc.message_vi, str(exc), code=2)
    text = openapi_text(create_app(settings))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def openapi_text(fastapi_app) -> str:
    """The description as kept in ``docs/openapi.json``: sorted keys, UTF-8, a final newline."""
    return json.dumps(fastapi_app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@app.command()
def serve(host: str = typer.Option(None, help="Địa chỉ lắng nghe (mặc định theo cấu hình)."),
          port: int = typer.Option(None, help="Cổng (mặc định 8000).")) -> None:
    """Chạy API HTTP. Start the HTTP API."""
    import uvicorn

    from api.wiring import get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:
        fail(exc.message_vi, str(exc), code=2)
    host = host or settings.api.host
    if host not in ("127.0.0.1", "localhost", "::1") and settings.api.secret_key is None:
        fail("Cần đặt LUUTRU_API__SECRET_KEY khi mở API ra ngoài máy (địa chỉ khác 127.0.0.1)",
             "LUUTRU_API__SECRET_KEY is required when the API listens on a non-loopback address", code=2)
    # The app's lifespan builds the services and runs the start-up repair pass.
    uvicorn.run("api.http.app:create_app", factory=True, host=host, port=port or settings.api.port, log_level="info",
                timeout_keep_alive=5, timeout_graceful_shutdown=30, server_header=False)


@app.command()
def worker(concurrency: int = typer.Option(None, help="Số tiến trình (mặc định: số lõi CPU).")) -> None:
    """Chạy Celery worker (triển khai mở rộng). Start a Celery worker."""
    from api.deposits import requeue_stale
    from api.worker import create_celery

    with services_or_exit(repair=True) as services:
        settings = services.settings
        requeue_stale(services)  # deposits whose task was lost (a worker killed, the broker emptied)
    celery = create_celery(settings)
    argv = ["worker", "--loglevel=INFO"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    celery.worker_main(argv)


@app.command()
def beat() -> None:
    """Chạy Celery beat: các việc định kỳ (kiểm tra nhất quán, thời hạn bảo quản…)."""
    from api.worker import create_celery

    with services_or_exit() as services:
        settings = services.settings
    create_celery(settings).start(["beat", "--loglevel=INFO"])


COMMAND_MODULES = ["ingest", "search", "signatures", "retention", "demo", "accounts", "audit",
                   "collections", "records", "fixity", "ocr", "imports", "packages",
                   "backup", "quarantine"]
"""Modules under ``api/cli/`` that add commands through their ``register(app)``."""


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"api.cli.{name}").register(app)

_register_commands()


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # raised outside a command (e.g. while wiring)
        err.print(f"[bold red]Lỗi cấu hình:[/] {exc.message_vi}")
        sys.exit(2)


if __name__ == "__main__":
    main()
