"""``luutru backup create | verify | restore``: backups of the embedded default (``archive.backup``).

``create`` runs while ``luutru serve`` serves (SQLite online backup, objects copied incrementally
by digest); ``verify`` reads every byte back against the manifest; ``restore`` verifies, lays the
backup out as a data folder, migrates it to this version's schema, records the restore in the
audit log and checks the log's chain. Scale-out deployments are refused with a pointer to
``docs/operations.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from api.cli.common import console, err, fail, services_or_exit, system_actor
from archive.errors import SettingsError


def _settings():
    from api.wiring import get_settings

    try:
        return get_settings()
    except SettingsError as exc:
        fail(exc.message_vi, str(exc), code=2)


def _refuse_scale_out(settings) -> None:
    from archive.backup import BackupError, check_embedded

    try:
        check_embedded(settings)
    except BackupError as exc:
        fail(exc.message_vi, str(exc), code=2)


def _size(n: int) -> str:
    return f"{n / 1024**2:,.1f} MiB" if n >= 1024**2 else f"{n:,} byte"


NOT_IN_STORAGE: tuple[tuple[str, str], ...] = (
    ("users", "tài khoản người dùng (tạo lại: luutru users add …)"),
    ("api_clients", "hệ thống kết nối và mã truy cập của chúng (cấp lại mã: luutru clients …)"),
    ("webhooks", "đăng ký webhook"),
    ("audit_log", "các mục nhật ký hệ thống ghi sau mốc dấu thời gian cuối cùng đã công bố (mốc được lập mỗi giờ "
                  "và ở mỗi lần kiểm tra nhất quán; nhật ký đến mốc đó thì được khôi phục)"),
    ("retention_rules", "quy tắc xác định thời hạn bảo quản (các quyết định đã áp dụng vẫn còn)"),
    ("disposal_items_votes", "danh sách hồ sơ đề xuất và ý kiến của hội đồng trong các đợt hủy (danh mục tài liệu "
                             "đã hủy thì còn)"),
    ("registers", "số đã cấp của sổ đăng ký văn bản do kho ban hành: số cuối được tính lại từ các biên bản hủy "
                  "đã dựng lại và từ nhật ký hệ thống đã khôi phục, nhưng một số cấp sau mốc dấu thời gian cuối cùng "
                  "cho đợt hủy chưa hủy được văn bản nào thì không biết — đối chiếu với bản sao lưu trước khi ban "
                  "hành văn bản mới, để không trùng số"),
    ("record_changes", "giá trị cũ trong lịch sử sửa siêu dữ liệu (sự kiện «ai sửa trường nào, lý do» và giá trị "
                       "hiện tại thì còn)"),
)
"""What ``luutru rebuild --from-storage`` cannot bring back (``archive.sidecars.TABLES`` is what it
does): ``(key of the JSON output, what the operator reads)``; docs/operations.md says the same."""


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Sao lưu và khôi phục kho (triển khai nhúng) — backup and restore.",
                        no_args_is_help=True)
    app.add_typer(group, name="backup")

    @group.command("create")
    def create(folder: Path = typer.Argument(..., help="Thư mục sao lưu (mới, hoặc chứa bản sao lưu trước: "
                                                         "chỉ chép tệp mới)."),
               with_index: bool = typer.Option(False, "--with-index",
                                               help="Chép cả chỉ mục tìm kiếm (mặc định: dựng lại bằng "
                                                    "«luutru reindex» sau khi khôi phục)."),
               as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Sao lưu nhất quán khi kho đang chạy: danh mục (SQLite online backup), khóa, cấu hình, tệp (theo mã băm)."""
        from archive.backup import BackupError, create_backup, sqlite_path

        settings = _settings()
        _refuse_scale_out(settings)
        if with_index and settings.search.backend != "embedded":
            fail("--with-index chỉ dùng với chỉ mục nhúng; OpenSearch sao lưu bằng snapshot (docs/operations.md)",
                 "--with-index needs the embedded index; snapshot OpenSearch instead", code=2)
        with services_or_exit() as services:
            try:
                report = create_backup(folder, database=sqlite_path(settings.database_url), store=services.store,
                                       keys_dir=settings.keys_dir, trust_dir=settings.trust_dir,
                                       settings_doc=settings.model_dump(mode="json"),
                                       index_path=settings.index_path if with_index else None)
            except BackupError as exc:
                fail(exc.message_vi, str(exc), code=1)
            services.archive.audit_access(actor=system_actor(), action="archive.backup",
                                          outcome="success" if not report.missing else "warning",
                                          detail={"folder": report.folder, "records": report.records,
                                                  "objects_copied": report.objects_copied,
                                                  "missing": len(report.missing)})
        data = report.as_dict()
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            console.print(f"[green]Đã sao lưu[/] {report.records} văn bản vào {report.folder}")
            console.print(f"  Tệp: {report.objects} ({report.objects_copied} chép mới, {_size(report.bytes_copied)}; "
                          f"{report.objects_skipped} đã có; {report.objects_pruned} không còn cần, đã xóa khỏi bản sao lưu)")
            console.print(f"  Đối tượng có tên (mốc nhật ký…): {report.named} ({report.named_copied} chép mới)")
            console.print("  Chỉ mục tìm kiếm: " + ("đã chép" if report.with_index else
                                                     "không chép (sau khi khôi phục: luutru reindex)"))
            for key in report.missing:
                console.print(f"  [red]thiếu hoặc hỏng trong kho, không sao lưu được:[/] {key}")
        if report.missing:
            raise typer.Exit(1)

    @group.command("verify")
    def verify(folder: Path = typer.Argument(..., help="Thư mục sao lưu."),
               as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Kiểm tra bản sao lưu: mọi tệp đúng SHA-256 trong bản kê, danh mục mở được và nguyên vẹn. Exit 1 on any problem."""
        from archive.backup import BackupError, verify_backup

        try:
            report = verify_backup(folder)
        except BackupError as exc:
            fail(exc.message_vi, str(exc), code=1)
        if as_json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            console.print(f"Bản sao lưu {report.folder} (lập lúc {report.created_at}): {report.records} văn bản, "
                          f"{report.objects} tệp, {report.named} đối tượng có tên, {report.files} tệp khác, "
                          f"{_size(report.bytes)} đã đọc lại")
            if report.ok:
                console.print("[green]Bản sao lưu toàn vẹn.[/]")
            else:
                console.print(f"[red]Bản sao lưu có {len(report.problems)} vấn đề:[/]")
                for p in report.problems:
                    console.print(f"  [red]•[/] {p}")
        if not report.ok:
            raise typer.Exit(1)

    @group.command("restore")
    def restore(folder: Path = typer.Argument(..., help="Thư mục sao lưu."),
                to: Path = typer.Option(..., "--to", help="Thư mục dữ liệu đích (LUUTRU_DATA_DIR của kho khôi phục)."),
                force: bool = typer.Option(False, "--force", help="Ghi đè thư mục dữ liệu không trống."),
                as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Khôi phục bản sao lưu thành thư mục dữ liệu (kiểm tra trước; từ chối thư mục không trống nếu không có --force)."""
        from api.cli.audit import verify_log
        from api.wiring import build_services
        from archive.backup import BackupError, restore_backup
        from archive.settings import load_settings

        settings = _settings()
        _refuse_scale_out(settings)
        try:
            target = load_settings(data_dir=to)
        except SettingsError as exc:
            fail(exc.message_vi, str(exc), code=2)
        _refuse_scale_out(target)
        try:
            report = restore_backup(folder, to, force=force)
        except BackupError as exc:
            for p in exc.problems:
                err.print(f"  [red]•[/] {p}")
            fail(exc.message_vi, str(exc), code=1)
        services = build_services(target)  # migrates a backup of an older version to this schema
        try:
            services.archive.audit_access(actor=system_actor(), action="archive.restore",
                                          detail={"from": report.folder, "backup_created_at": report.created_at,
                                                  "records": report.records})
            chain = verify_log(services)
        finally:
            services.close()
        out = {**report.as_dict(), "data_dir": str(to.resolve()), "audit": chain,
               "index_restored": (to / "index" / "meta.json").exists()}
        if as_json:
            print(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            console.print(f"[green]Đã khôi phục[/] {report.records} văn bản, {report.objects} tệp vào {to.resolve()}")
            console.print("  Nhật ký hệ thống: " + (f"[green]nguyên vẹn[/] ({chain['entries']} mục, {chain['anchors']} mốc)"
                                                   if chain["ok"] else f"[red]{len(chain['problems'])} vấn đề[/]"))
            for p in chain["problems"]:
                console.print(f"  [red]•[/] {p}")
            if not out["index_restored"]:
                console.print(f"  Tiếp theo: LUUTRU_DATA_DIR={to} luutru reindex (dựng lại chỉ mục tìm kiếm)")
        if not chain["ok"]:
            raise typer.Exit(1)

    @app.command("rebuild")
    def rebuild(from_storage: bool = typer.Option(False, "--from-storage",
                                                  help="Dựng lại từ các bản kê siêu dữ liệu trong kho tệp."),
                as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Dựng lại danh mục chỉ từ kho tệp, vào cơ sở dữ liệu trống.

        Phông, hồ sơ, văn bản, tệp, sự kiện, quyết định thời hạn, văn bản đã hủy, lệnh phong tỏa, nhật ký
        hệ thống đến mốc dấu thời gian cuối cùng đã công bố."""
        from archive.sidecars import RebuildError
        from archive.sidecars import rebuild as do_rebuild

        if not from_storage:
            fail("Cần chỉ rõ nguồn: luutru rebuild --from-storage", "say where from: --from-storage", code=2)
        with services_or_exit() as services:
            problems: list[str] = []
            try:
                counts = do_rebuild(services.catalogue, services.store, problems=problems)
            except RebuildError as exc:
                fail(exc.message_vi, str(exc), code=1)
            services.archive.audit_access(actor=system_actor(), action="archive.rebuild",
                                          detail={"source": services.store.name, **counts,
                                                  "audit_not_restored": problems})
        if as_json:
            print(json.dumps({**counts, "audit_not_restored": problems,
                              "not_in_storage": [key for key, _vi in NOT_IN_STORAGE]}, ensure_ascii=False, indent=2))
        else:
            console.print(f"[green]Đã dựng lại danh mục từ kho tệp:[/] {counts['records']} văn bản, "
                          f"{counts['components']} tệp, {counts['events']} sự kiện, {counts['dossiers']} hồ sơ, "
                          f"{counts['fonds']} phông, {counts['retention_assignments']} quyết định thời hạn, "
                          f"{counts['destruction_log']} văn bản đã hủy (danh mục tài liệu đã hủy, kèm đợt hủy), "
                          f"{counts['retention_holds']} lệnh phong tỏa, {counts['audit_log']} mục nhật ký hệ thống "
                          f"({counts['audit_anchors']} mốc dấu thời gian)")
            for problem in problems:
                console.print(f"  [yellow]Nhật ký hệ thống chưa khôi phục được:[/] {problem}")
            console.print("  Tiếp theo: luutru reindex (dựng lại chỉ mục tìm kiếm).")
            console.print("  [yellow]Không nằm trong kho tệp, không dựng lại được[/] — lấy từ bản sao lưu cơ sở dữ "
                          "liệu gần nhất (luutru backup restore, docs/operations.md) hoặc lập lại:")
            for _key, vi in NOT_IN_STORAGE:
                console.print(f"  • {vi}")

    @app.command("backfill-sidecars")
    def backfill_sidecars(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Ghi bản kê siêu dữ liệu cho văn bản chưa có (kho lập trước khi có tính năng này)."""
        from archive.sidecars import missing, missing_holds

        with services_or_exit() as services:
            todo = list(missing(services.catalogue, services.store))
            written = 0
            for i in range(0, len(todo), 200):
                written += services.archive.sidecars.write(todo[i:i + 200])
            holds = missing_holds(services.catalogue, services.store)
            holds_written = services.archive.sidecars.write_holds(holds)
            services.archive.audit_access(actor=system_actor(), action="archive.backfill_sidecars",
                                          detail={"records": len(todo), "written": written,
                                                  "holds": len(holds), "holds_written": holds_written})
        if as_json:
            print(json.dumps({"records": len(todo), "written": written, "holds": len(holds),
                              "holds_written": holds_written}))
        else:
            console.print(f"Đã ghi bản kê siêu dữ liệu cho {written} văn bản (thiếu: {len(todo)}) "
                          f"và {holds_written} lệnh phong tỏa (thiếu: {len(holds)}).")
