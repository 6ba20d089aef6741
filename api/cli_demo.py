"""``luutru demo``: a working archive for a newcomer in one command — realistic Vietnamese sample
documents (the corpus generator) ingested on the embedded default, with searches to try."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from api.cli_common import console, services_or_exit, system_actor


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(count: int = typer.Option(40, help="Số văn bản mẫu."),
             seed: int = typer.Option(2026, help="Hạt giống sinh dữ liệu (cùng hạt giống, cùng tài liệu)."),
             folder: Path = typer.Option(None, help="Thư mục chứa tài liệu mẫu (mặc định: <data>/mau).")) -> None:
        """Tạo kho mẫu: sinh văn bản hành chính mẫu, nộp lưu và gợi ý cách tra cứu."""
        from api.wiring import build_ingest
        from ingest.corpus import generate
        from ingest.pipeline import SourceFile

        with services_or_exit(repair=True) as services:
            target = folder or services.settings.data_dir / "mau"
            console.print(f"Sinh {count} văn bản mẫu vào {target} …")
            truth = generate(target, seed=seed, count=count)
            sources = [SourceFile(path=(target / t["file"]).resolve(), submitter=system_actor(), source="demo")
                       for t in truth]
            counts: Counter[str] = Counter()
            for _, outcome in build_ingest(services).run_many(sources):
                counts[outcome.outcome] += 1
            services.archive.run_pending_tasks()
            console.print(f"[green]Đã lưu {counts['ingested']}[/] văn bản, trùng {counts['duplicate']}, "
                          f"từ chối {counts['rejected']}.")
            if counts["rejected"]:
                console.print(f"Tài liệu bị từ chối (ví dụ mang dấu độ mật) nằm trong khu cách ly "
                              f"{services.settings.quarantine_dir} kèm lý do.")
            example = next((t["metadata"] for t in truth if t["expected_outcome"] == "ingested"
                            and t["metadata"].get("so_ky_hieu")), None)
            console.print("\nThử tra cứu — try:")
            console.print('  luutru search "uy ban nhan dan"        (không dấu)')
            console.print('  luutru search "quyết định" --type "Quyết định"')
            if example:
                console.print(f'  luutru search "{example["so_ky_hieu"]}"  (số ký hiệu)')
            console.print("  luutru status")
            accounts = _demo_accounts(services)
        _print_accounts(accounts, services.settings)


DEMO_PEOPLE = [
    ("canbo", "Nguyễn Văn An", "official", "đọc văn bản công khai và nội bộ, tra cứu"),
    ("luutruvien", "Trần Thị Bình", "archivist", "nộp lưu, thời hạn bảo quản, hủy tài liệu, nhật ký"),
    ("hoidong1", "Lê Văn Cường", "council", "thành viên Hội đồng xác định giá trị tài liệu"),
    ("hoidong2", "Phạm Thị Dung", "council", "thành viên Hội đồng xác định giá trị tài liệu"),
    ("hoidong3", "Hoàng Văn Em", "council", "thành viên Hội đồng xác định giá trị tài liệu"),
    ("quantri", "Vũ Thị Giang", "admin", "quản trị toàn bộ"),
]


def _demo_accounts(services) -> list[dict]:
    """Demo people (random passwords) and one system client; existing ones are left as they are."""
    import secrets

    existing = {u["username"] for u in services.accounts.list_users()}
    out = []
    for username, full_name, role, what in DEMO_PEOPLE:
        if username in existing:
            out.append({"username": username, "role": role, "what": what, "password": None})
            continue
        password = secrets.token_urlsafe(9)
        services.accounts.create_user(username, full_name=full_name, role=role, password=password,
                                      actor="software:luutru demo")
        out.append({"username": username, "role": role, "what": what, "password": password})
    if "qlvb-demo" not in {c["name"] for c in services.accounts.list_clients()}:
        client = services.accounts.create_client("qlvb-demo", scopes=["deposit", "read", "search"],
                                                 access_levels=["public", "internal"],
                                                 description="Hệ thống quản lý văn bản (mẫu)", actor="software:luutru demo")
        out.append({"username": "qlvb-demo", "role": "client", "what": "hệ thống kết nối: nộp lưu, đọc, tra cứu",
                    "password": client["token"]})
    return out


def _print_accounts(accounts: list[dict], settings) -> None:
    from rich.table import Table

    fresh = [a for a in accounts if a["password"]]
    if not fresh:
        console.print("\nTài khoản mẫu đã có từ lần chạy trước (đặt lại mật khẩu: luutru users passwd TÊN).")
        return
    table = Table("Tài khoản", "Vai trò", "Được làm", "Mật khẩu / mã truy cập")
    for a in fresh:
        table.add_row(a["username"], a["role"], a["what"], a["password"])
    console.print("\nTài khoản mẫu (chỉ hiện một lần; cũng lưu ở tệp dưới đây) — demo accounts:")
    console.print(table)
    path = settings.data_dir / "demo-accounts.txt"
    path.write_text("".join(f"{a['username']}\t{a['role']}\t{a['password']}\n" for a in fresh), encoding="utf-8")
    path.chmod(0o600)
    console.print(f"Đã ghi vào {path}. Chạy API: [bold]luutru serve[/], rồi mở http://127.0.0.1:8000 "
                  "(đăng nhập bằng một tài khoản ở trên).")
