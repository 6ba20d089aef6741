"""``luutru ocr`` (OCR of records archived before, the low-confidence report) and ``luutru formats``
(the format policy, format identification)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    from api.cli import actor, console, err, fail, services_or_exit
    from api.cli.common import resolve

    @app.command()
    def ocr(record: str = typer.Option(None, "--record", help="Mã văn bản cần nhận dạng chữ (id, id rút gọn, "
                                                              "số ký hiệu)."),
            missing: bool = typer.Option(False, "--missing", help="Mọi văn bản chưa được nhận dạng chữ (chờ, lỗi, "
                                                                   "thiếu Tesseract)."),
            report: bool = typer.Option(False, "--report", help="Báo cáo các văn bản nhận dạng với độ tin cậy thấp."),
            force: bool = typer.Option(False, "--force", help="Nhận dạng lại cả văn bản đã nhận dạng."),
            as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        """Nhận dạng chữ (OCR, tiếng Việt) cho văn bản scan đã lưu; báo cáo độ tin cậy thấp."""
        from api.wiring import preservation_service
        from ingest.extract.base import ExtractionFailed
        from ingest.ocr.engine import OcrUnavailable
        from ingest.preservation import NothingToDo

        if sum(bool(x) for x in (record, missing, report)) != 1:
            fail("Chọn đúng một trong --record, --missing, --report", "give one of --record, --missing, --report",
                 code=2)
        with services_or_exit() as services:
            svc = preservation_service(services)
            if report:
                rows = svc.low_confidence()
                if as_json:
                    print(json.dumps(rows, ensure_ascii=False, indent=2))
                    return
                from rich.table import Table

                table = Table(title=f"Văn bản nhận dạng chữ với độ tin cậy thấp ({len(rows)})")
                for col in ("Mã", "Số ký hiệu", "Tệp", "Độ tin cậy TB", "Trang dưới ngưỡng"):
                    table.add_column(col)
                for r in rows:
                    table.add_row(r["record_id"][:8], r["so_ky_hieu"] or "", r["filename"] or "",
                                  f"{r['mean_confidence']}", ", ".join(map(str, r["pages"] or [])))
                console.print(table)
                return
            who = actor(scope="deposit")
            ids = [resolve(services, "record", record)] if record else svc.missing_ocr()
            results, failed = [], 0
            for rid in ids:
                try:
                    summary = svc.ocr_record(rid, actor=who, force=force)
                    row = {"record_id": rid, "outcome": "done", "pages": len(summary["pages"]),
                           "mean_confidence": summary["mean_confidence"], "low_confidence": summary["low_confidence"]}
                except OcrUnavailable as exc:
                    fail(f"Không nhận dạng chữ được: thiếu {exc}", f"OCR is not available: {exc}", code=3)
                except NothingToDo as exc:
                    row = {"record_id": rid, "outcome": "skipped", "reason": str(exc)}
                except ExtractionFailed as exc:
                    failed += 1
                    row = {"record_id": rid, "outcome": "failed", "reason": str(exc)}
                results.append(row)
                if as_json:
                    print(json.dumps(row, ensure_ascii=False))
                else:
                    console.print(_line(row))
            services.archive.run_pending_tasks()  # validation of the new searchable copies
            if not as_json:
                console.print(f"Đã xử lý {len(results)} văn bản ({failed} lỗi).")
            if failed:
                raise typer.Exit(1)

    formats = typer.Typer(help="Định dạng: nhận dạng (PRONOM) và chính sách định dạng.", no_args_is_help=True)
    app.add_typer(formats, name="formats")

    @formats.command("policy")
    def policy_show(as_json: bool = typer.Option(False, "--json", help="In chính sách dạng JSON (để sửa rồi nhập)."),
                    history: bool = typer.Option(False, "--history", help="Liệt kê các phiên bản.")) -> None:
        """Xem chính sách định dạng đang áp dụng: nhận dạng chữ, bản bảo quản, bản khai thác."""
        from ingest.policy import PolicyStore

        with services_or_exit() as services:
            store = PolicyStore(services.catalogue)
            if history:
                print(json.dumps(store.versions(), ensure_ascii=False, indent=2))
                return
            current = store.current()
            if as_json:
                print(json.dumps({"version": current.version, **current.content}, ensure_ascii=False, indent=2))
                return
            from rich.table import Table

            table = Table(title=f"Chính sách định dạng — phiên bản {current.version}"
                                + (" (mặc định)" if current.version == 0 else ""))
            for col in ("Quy tắc", "Áp dụng cho", "Nhận dạng chữ", "Bản bảo quản", "Bản khai thác"):
                table.add_column(col)
            for rule in current.content["formats"]:
                match = ", ".join(f"{k}={v}" for k, v in rule["match"].items()) or "mọi định dạng khác"
                table.add_row(rule["name"], match, rule["ocr"], rule["preservation"], rule["access"])
            console.print(table)

    @formats.command("import")
    def policy_import(path: Path = typer.Argument(..., help="Tệp JSON của chính sách (xem «luutru formats policy --json»)."),
                      note: str = typer.Option(None, "--note", help="Ghi chú cho phiên bản mới.")) -> None:
        """Nhập chính sách định dạng: tạo phiên bản mới nếu có thay đổi."""
        from ingest.policy import PolicyError, PolicyStore

        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            fail(f"Không đọc được tệp chính sách: {exc}", f"cannot read the policy file: {exc}", code=2)
        if isinstance(content, dict):
            content.pop("version", None)
        with services_or_exit() as services:
            try:
                version, created = PolicyStore(services.catalogue).save(content, actor=actor(scope="retention"),
                                                                        note=note)
            except PolicyError as exc:
                fail(exc.message_vi, str(exc), code=2)
            if created:
                console.print(f"Đã lưu chính sách định dạng phiên bản {version}.")
            else:
                console.print(f"Không có thay đổi: phiên bản {version} vẫn áp dụng.")

    @formats.command("identify")
    def identify(paths: list[Path] = typer.Argument(..., help="Tệp cần nhận dạng định dạng.")) -> None:
        """Nhận dạng định dạng (PUID PRONOM) của các tệp, như khi nộp lưu."""
        from api.wiring import format_identifier
        from ingest.identify import identify as media_type_of

        with services_or_exit() as services:
            found = [p for p in paths if p.is_file()]
            for p in set(paths) - set(found):
                err.print(f"[red]Không có tệp {p}[/]")
            types = [media_type_of(p).media_type for p in found]
            infos = format_identifier(services).identify(found, types) if found else []
            for p, info in zip(found, infos, strict=True):
                print(json.dumps({"path": str(p), **info.as_dict()}, ensure_ascii=False))
            if len(found) != len(paths):
                raise typer.Exit(1)


def _line(row: dict) -> str:
    if row["outcome"] == "done":
        low = " [yellow](độ tin cậy thấp)[/]" if row["low_confidence"] else ""
        return f"{row['record_id'][:8]}: đã nhận dạng {row['pages']} trang, độ tin cậy {row['mean_confidence']}{low}"
    if row["outcome"] == "skipped":
        return f"{row['record_id'][:8]}: bỏ qua — {row['reason']}"
    return f"[red]{row['record_id'][:8]}: lỗi — {row['reason']}[/]"
