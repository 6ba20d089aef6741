"""``luutru demo``: a working archive for a newcomer in one command — two agencies' fonds, dossiers
per year with their mã hồ sơ, Vietnamese sample documents filed into them (some signed by a person
and the agency), public records for OAI-PMH, the agency's retention schedule applied, expired
dossiers in the «Xem xét hủy» list and a destruction list waiting for the council's votes
(``api.demo_archive``); demo accounts with names and titles; and what to try next, in Vietnamese."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.common import console, services_or_exit


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(count: int = typer.Option(16, help="Số văn bản mẫu khác (chưa lập hồ sơ), ngoài các hồ sơ mẫu."),
             seed: int = typer.Option(2026, help="Hạt giống sinh dữ liệu (cùng hạt giống, cùng tài liệu)."),
             folder: Path = typer.Option(None, help="Thư mục chứa tài liệu mẫu (mặc định: <data>/mau).")) -> None:
        """Tạo kho mẫu: phông, hồ sơ, văn bản (có ký số), thời hạn bảo quản, một đợt hủy chờ Hội đồng."""
        from api.demo_archive import build

        with services_or_exit(repair=True) as services:
            accounts = _demo_accounts(services)
            report = build(services, count=count, seed=seed, folder=folder or services.settings.data_dir / "mau",
                           log=console.print)
        _print_report(report, services.settings)
        _print_accounts(accounts, services.settings)


DEMO_PEOPLE = [
    # username, full name, role, title, what they may do
    ("canbo", "Nguyễn Văn An", "official", "Chuyên viên Văn phòng", "đọc văn bản công khai và nội bộ, tra cứu"),
    ("luutruvien", "Trần Thị Bình", "archivist", "Chuyên viên lưu trữ",
     "nộp lưu, lập hồ sơ, sửa siêu dữ liệu, thời hạn bảo quản, lập danh mục hủy"),
    ("chanhvanphong", "Đặng Văn Hùng", "archivist", "Chánh Văn phòng",
     "như người làm lưu trữ; quyết định hủy, thực hiện hủy (khác người đề nghị)"),
    ("hoidong1", "Lê Văn Cường", "council", "Phó Chánh Văn phòng, Chủ tịch Hội đồng",
     "thành viên Hội đồng xác định giá trị tài liệu"),
    ("hoidong2", "Phạm Thị Dung", "council", "Trưởng phòng Hành chính - Tổ chức, Thư ký Hội đồng",
     "thành viên Hội đồng xác định giá trị tài liệu"),
    ("hoidong3", "Hoàng Văn Em", "council", "Chuyên viên chính, thành viên Hội đồng",
     "thành viên Hội đồng xác định giá trị tài liệu"),
    ("quantri", "Vũ Thị Giang", "admin", "Quản trị hệ thống", "quản trị toàn bộ"),
]
DEMO_ACTOR = "software:luutru demo"


def _demo_accounts(services) -> list[dict]:
    """Demo people (random passwords, titles for the minutes) and two systems; existing ones are
    left as they are."""
    import secrets

    existing = {u["username"] for u in services.accounts.list_users()}
    out = []
    for username, full_name, role, title, what in DEMO_PEOPLE:
        if username in existing:
            out.append({"username": username, "role": role, "what": what, "password": None})
            continue
        password = secrets.token_urlsafe(9)
        services.accounts.create_user(username, full_name=full_name, title=title, role=role, password=password,
                                      actor=DEMO_ACTOR)
        out.append({"username": username, "role": role, "who": f"{full_name} ({title})", "what": what,
                    "password": password})
    clients = {c["name"] for c in services.accounts.list_clients()}
    for name, scopes, levels, what in (
            ("qlvb-demo", ["deposit", "read", "search"], ["public", "internal"],
             "hệ thống quản lý văn bản: nộp lưu, đọc, tra cứu"),
            ("oai-demo", ["oai"], ["public"], "máy thu thập OAI-PMH: văn bản công khai tại /oai")):
        if name not in clients:
            client = services.accounts.create_client(name, scopes=scopes, access_levels=levels,
                                                     description=what, actor=DEMO_ACTOR)
            out.append({"username": name, "role": "client", "who": "", "what": what, "password": client["token"]})
    return out


def _print_report(r, settings) -> None:
    c = r.counts
    console.print(f"\n[green]Kho mẫu đã sẵn sàng[/] tại {settings.data_dir}: {len(r.fonds)} phông "
                  f"({', '.join(r.fonds)}), {len(r.dossiers)} hồ sơ; lần này lưu {c.get('ingested', 0)} văn bản, "
                  f"trùng (đã có) {c.get('duplicate', 0)}, từ chối {c.get('rejected', 0)}"
                  + (f" (tệp bị từ chối, ví dụ văn bản mang dấu độ mật, nằm ở khu cách ly {settings.quarantine_dir} "
                     "kèm lý do)." if c.get("rejected") else "."))
    if r.due:
        console.print(f"Hồ sơ đã hết thời hạn bảo quản: {', '.join(r.due)}.")
    if r.batch_number and r.batch_waiting:
        console.print(f"Đợt hủy số [bold]{r.batch_number}[/] đang chờ ý kiến của Hội đồng xét hủy "
                      "(hoidong1, hoidong2, hoidong3).")
    elif r.batch_number:
        console.print(f"Đợt hủy số [bold]{r.batch_number}[/] của kho mẫu: {r.batch_state} "
                      f"(luutru retention show {r.batch_number}).")
    b = r.batch_number or "1/2026"
    first = r.dossiers[0]
    minutes, decision = r.procedure_numbers.get("minutes", "…"), r.procedure_numbers.get("decision", "…")
    lines = [
        ("Tra cứu (có dấu hoặc không dấu)", 'luutru search "uy ban nhan dan"'),
        ("Theo loại văn bản", 'luutru search "quyết định" --type "Quyết định"'),
        *([("Theo số ký hiệu", f'luutru search "{r.example}"')] if r.example else []),
        ("Các phông và hồ sơ", "luutru fonds list ; luutru dossiers list"),
        ("Một hồ sơ và các văn bản của nó", f"luutru dossiers show {first}"),
        *([("Chữ ký số (người ký và cơ quan)", f"luutru verify {r.signed[0]}")] if r.signed else []),
        ("Một văn bản: siêu dữ liệu, tệp, lịch sử", f"luutru show {r.signed[0] if r.signed else 'ID'}"),
        ("Văn bản chưa lập hồ sơ (việc cần làm)", "luutru retention report unfiled"),
        ("Hồ sơ đến hạn hủy", "luutru retention due"),
        ("Đợt hủy đang chờ Hội đồng", f"luutru retention show {b}"),
        ("Thành viên Hội đồng cho ý kiến", f"luutru login hoidong1 ; luutru retention vote {b} approve"),
        ("… hoặc từng hồ sơ, kèm ý kiến khác",
         f'luutru --as hoidong3 retention vote {b} reject --dossier {BATCH_SECOND} --opinion "Còn giá trị tham khảo"'),
        ("Kết thúc phiên xét (biên bản họp đã lưu)",
         f"luutru --as luutruvien ingest {r.procedure_files.get('minutes', '')} ; "
         f"luutru --as luutruvien retention review {b} --minutes {minutes}"),
        ("Quyết định hủy (người khác người đề nghị)",
         f"luutru --as chanhvanphong ingest {r.procedure_files.get('decision', '')} ; "
         f"luutru --as chanhvanphong retention approve {b} --decision {decision}"),
        ("Hủy, lập Biên bản hủy tài liệu có ký số",
         f"luutru --as chanhvanphong retention destroy {b} ; luutru retention show {b}"),
        ("Nhật ký: ai, khi nào, vì sao", "luutru audit list"),
        ("API và trang tra cứu", "luutru serve  →  http://127.0.0.1:8000"),
        ("OAI-PMH (văn bản công khai, không cần đăng nhập; khi tắt LUUTRU_API__OAI_PUBLIC: "
         "-H 'Authorization: Bearer <mã của oai-demo>')",
         "curl 'http://127.0.0.1:8000/oai?verb=ListRecords&metadataPrefix=oai_dc'"),
    ]
    console.print("\n[bold]Thử tiếp — try next[/] (hướng dẫn đầy đủ: docs/retention.md, «Hướng dẫn từng bước»):")
    for what, cmd in lines:
        console.print(f"  • {what}:\n      [cyan]{cmd}[/]", highlight=False, soft_wrap=True)


BATCH_SECOND = "000.00.00.H40.2013.02.VP"


def _print_accounts(accounts: list[dict], settings) -> None:
    from rich.table import Table

    fresh = [a for a in accounts if a["password"]]
    if not fresh:
        console.print("\nTài khoản mẫu đã có từ lần chạy trước (xem data/demo-accounts.txt; đặt lại mật khẩu: "
                      "luutru users passwd TÊN).")
        return
    table = Table("Tài khoản", "Người (chức vụ) — được làm", "Vai trò")
    table.add_column("Mật khẩu / mã truy cập", overflow="fold", min_width=16)
    for a in fresh:
        table.add_row(a["username"], f"{a['who']} — {a['what']}" if a["who"] else a["what"], a["role"], a["password"])
    console.print("\nTài khoản mẫu (chỉ hiện một lần; cũng lưu ở tệp dưới đây) — demo accounts:")
    console.print(table)
    path = settings.data_dir / "demo-accounts.txt"
    path.write_text("".join(f"{a['username']}\t{a['role']}\t{a['password']}\n" for a in fresh), encoding="utf-8")
    path.chmod(0o600)
    console.print(f"Đã ghi vào {path}. Chạy API: [bold]luutru serve[/], rồi mở http://127.0.0.1:8000 "
                  "(đăng nhập bằng một tài khoản ở trên).")
