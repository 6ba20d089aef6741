"""``luutru users`` and ``luutru clients``: manage the people and systems that use the API.

Secrets are shown once: a generated password, a TOTP secret, a client token. The archive keeps
only their hashes. Every change is written to the audit log with the administrator's account as actor
(``luutru login`` / ``--as``); only the first administrator of a new archive is created by the
machine's operator.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from rich.table import Table

from api.cli.common import actor, console, fail, services_or_exit

users_app = typer.Typer(help="Quản lý người dùng (cán bộ, người làm lưu trữ, Hội đồng, quản trị). Manage users.",
                        no_args_is_help=True)
clients_app = typer.Typer(help="Quản lý hệ thống kết nối và mã truy cập. Manage API clients and their tokens.",
                          no_args_is_help=True)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _password(generate: bool, stdin: bool) -> tuple[str, bool]:
    if stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if generate:
        return secrets.token_urlsafe(12), True
    return typer.prompt("Mật khẩu (ít nhất 10 ký tự)", hide_input=True, confirmation_prompt=True), False


def _accounts(services):
    return services.accounts


def _list_command(app: typer.Typer, doc: str, rows: Callable[[Any], list[dict]], headers: tuple[str, ...],
                  cells: Callable[[dict], tuple[str, ...]]) -> None:
    """Register ``<app> list``: the rows as JSON with ``--json``, else a table of their cells (users and
    API clients differ only in what they list and how a row reads)."""
    def list_command(as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
        with services_or_exit() as services:
            found = rows(_accounts(services))
        if as_json:
            console.print_json(json.dumps(found, ensure_ascii=False))
            return
        table = Table(*headers)
        for row in found:
            table.add_row(*cells(row))
        console.print(table)

    list_command.__doc__ = doc
    app.command("list")(list_command)


def _admin(services) -> str:
    """Managing accounts is an administrator's work, as over HTTP. The one exception is the first
    administrator of a new archive: while no active administrator exists, the machine's operator
    may create one (recorded as ``cli:<login>``)."""
    import sqlalchemy as sa

    from archive.catalogue.access_tables import User

    with services.catalogue.session() as s:
        has_admin = s.execute(sa.select(User.id).where(User.role == "admin", User.active.is_(True)).limit(1)).first()
    if has_admin is None:
        return actor(write=False)
    return actor(scope="admin")


@users_app.command("add")
def users_add(username: str = typer.Argument(..., help="Tên đăng nhập."),
              full_name: str = typer.Option(..., "--name", help="Họ và tên."),
              title: str = typer.Option(None, "--title", help="Chức vụ (in trong biên bản, quyết định)."),
              role: str = typer.Option("official", help="official | archivist | council | admin"),
              level: list[str] = typer.Option(None, "--level", help="Mức độ tiếp cận được đọc (lặp lại, hoặc a,b)."),
              fonds: list[str] = typer.Option(None, "--fonds", help="Chỉ các phông này (mã phông)."),
              email: str = typer.Option(None, help="Thư điện tử công vụ."),
              generate: bool = typer.Option(False, "--generate-password", help="Sinh mật khẩu và in ra một lần."),
              password_stdin: bool = typer.Option(False, "--password-stdin", help="Đọc mật khẩu từ stdin."),
              totp: bool = typer.Option(False, "--totp", help="Bật xác thực hai lớp (in khóa TOTP một lần)."),
              as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Thêm người dùng. Add a user."""
    from api.accounts import totp_uri

    password, generated = _password(generate, password_stdin)
    with services_or_exit() as services:
        who = _admin(services)
        user = _accounts(services).create_user(username, full_name=full_name, role=role, password=password,
                                               email=email, access_levels=_split(level), fonds_ids=_split(fonds),
                                               actor=who, title=title)
        out = {"user": user}
        if generated:
            out["password"] = password
        if totp:
            secret = _accounts(services).enroll_totp(user["username"], actor=who)
            out["totp_secret"], out["totp_uri"] = secret, totp_uri(secret, user["username"])
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    console.print(f"Đã thêm [bold]{user['username']}[/] — {user['role_vi']}, đọc: {', '.join(user['access_levels'])}")
    if generated:
        console.print(f"Mật khẩu (chỉ hiện một lần): [bold]{password}[/]")
    if totp:
        console.print(f"Khóa TOTP (chỉ hiện một lần): [bold]{out['totp_secret']}[/]\n{out['totp_uri']}")


_list_command(users_app, "Danh sách người dùng. List users.", lambda accounts: accounts.list_users(),
              ("Tên đăng nhập", "Họ và tên", "Vai trò", "Mức độ tiếp cận", "2FA", "Trạng thái"),
              lambda u: (u["username"], u["full_name"], u["role_vi"], ", ".join(u["access_levels"]),
                         "có" if u["totp"] else "—", "hoạt động" if u["active"] else "đã khóa"))


@users_app.command("set")
def users_set(username: str = typer.Argument(...),
              role: str = typer.Option(None, help="official | archivist | council | admin"),
              level: list[str] = typer.Option(None, "--level", help="Mức độ tiếp cận (thay toàn bộ)."),
              fonds: list[str] = typer.Option(None, "--fonds", help="Giới hạn phông (thay toàn bộ)."),
              all_fonds: bool = typer.Option(False, "--all-fonds", help="Bỏ giới hạn phông."),
              dossier: list[str] = typer.Option(None, "--dossier", help="Cấp quyền đọc hồ sơ (thay toàn bộ)."),
              active: bool = typer.Option(None, "--active/--disabled", help="Mở hoặc khóa tài khoản."),
              title: str = typer.Option(None, "--title", help="Chức vụ.")) -> None:
    """Đổi vai trò, chức vụ, quyền đọc hoặc trạng thái. Change a user's role, title, access or state."""
    changes: dict = {"role": role, "access_levels": _split(level), "dossier_ids": _split(dossier), "active": active,
                     "title": title}
    if all_fonds:
        changes["fonds_ids"] = None
    elif fonds:
        changes["fonds_ids"] = _split(fonds)
    with services_or_exit() as services:
        user = _accounts(services).update_user(username, actor=_admin(services), **changes)
    console.print(f"Đã cập nhật {user['username']}: {user['role_vi']}, đọc {', '.join(user['access_levels'])}, "
                  f"{'hoạt động' if user['active'] else 'đã khóa'}")


@users_app.command("passwd")
def users_passwd(username: str = typer.Argument(...),
                 generate: bool = typer.Option(False, "--generate-password", help="Sinh mật khẩu và in ra một lần."),
                 password_stdin: bool = typer.Option(False, "--password-stdin", help="Đọc mật khẩu từ stdin.")) -> None:
    """Đặt lại mật khẩu (đăng xuất mọi phiên). Reset a password (ends every session)."""
    password, generated = _password(generate, password_stdin)
    with services_or_exit() as services:
        _accounts(services).update_user(username, actor=_admin(services), password=password)
    console.print("Đã đổi mật khẩu." + (f" Mật khẩu mới (chỉ hiện một lần): [bold]{password}[/]" if generated else ""))


@users_app.command("totp")
def users_totp(username: str = typer.Argument(...),
               disable: bool = typer.Option(False, "--disable", help="Gỡ xác thực hai lớp (mất điện thoại).")) -> None:
    """Cấp khóa TOTP mới hoặc gỡ xác thực hai lớp; mọi phiên của người dùng kết thúc. Enrol a new
    TOTP secret or remove it (an administrator's reset); every session of the user ends."""
    from api.accounts import totp_uri

    with services_or_exit() as services:
        if disable:
            out = _accounts(services).disable_totp(username, actor=_admin(services))
            console.print(f"Đã gỡ xác thực hai lớp; {out['sessions_revoked']} phiên đăng nhập đã kết thúc. "
                          "Người dùng tự đăng ký lại bằng mật khẩu.")
            return
        secret = _accounts(services).enroll_totp(username, actor=_admin(services))
    console.print(f"Khóa TOTP (chỉ hiện một lần): [bold]{secret}[/]\n{totp_uri(secret, username)}")


@users_app.command("unlock")
def users_unlock(username: str = typer.Argument(None, help="Tên đăng nhập (mọi địa chỉ)."),
                 address: str = typer.Option(None, "--address", help="Địa chỉ IP bị chặn do đăng nhập sai nhiều lần."),
                 as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Mở khóa đăng nhập: xóa các lần sai của một tài khoản hoặc một địa chỉ. Forget failed logins
    of an account (from every address) and/or an address."""
    import ipaddress

    from api.http.login_guard import LoginGuard, MemoryCounterStore, build_store

    if not username and not address:
        fail("Cần chỉ rõ tên đăng nhập hoặc --address", "name a user or --address", code=2)
    if address:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            fail(f"Địa chỉ IP không hợp lệ: {address}", f"not an IP address: {address}", code=2)
    with services_or_exit() as services:
        detail = _accounts(services).record_unlock(actor=_admin(services), username=username, address=address)
        store = build_store(services.settings)
        shared = not isinstance(store, MemoryCounterStore)
        # Shared counters (Redis) are cleared here; a server counting in its own memory applies the
        # audited unlock itself within seconds.
        cleared = LoginGuard(store, services.settings.api).unlock(username=detail["username"], address=address) \
            if shared else None
    out = {**detail, "shared_counters": shared, "cleared": cleared}
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    who = " và ".join(x for x in (detail["username"], address) if x)
    console.print(f"Đã mở khóa đăng nhập cho {who}." + ("" if shared else " Máy chủ API đang chạy áp dụng trong vài giây."))


@clients_app.command("add")
def clients_add(name: str = typer.Argument(..., help="Tên hệ thống, ví dụ qlvb-so-noi-vu."),
                scope: list[str] = typer.Option(..., "--scope",
                                                help="read deposit search retention audit metrics admin oai webhooks."),
                level: list[str] = typer.Option(None, "--level", help="Mức độ tiếp cận được đọc (mặc định: public)."),
                fonds: list[str] = typer.Option(None, "--fonds", help="Chỉ các phông này."),
                description: str = typer.Option(None, help="Mô tả."),
                rate_limit: int = typer.Option(None, "--rate-limit", help="Số yêu cầu mỗi phút."),
                days: int = typer.Option(None, "--days", help="Mã hết hạn sau số ngày này."),
                as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON.")) -> None:
    """Thêm hệ thống kết nối; in mã truy cập một lần. Add an API client; prints its token once."""
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    with services_or_exit() as services:
        out = _accounts(services).create_client(name, scopes=_split(scope), access_levels=_split(level),
                                                fonds_ids=_split(fonds), description=description,
                                                rate_limit=rate_limit, expires_at=expires, actor=_admin(services))
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    console.print(f"Đã thêm hệ thống [bold]{out['name']}[/] — quyền {', '.join(out['scopes'])}, "
                  f"đọc {', '.join(out['access_levels'])}")
    console.print(f"Mã truy cập (chỉ hiện một lần, hãy lưu ngay): [bold]{out['token']}[/]")


_list_command(clients_app, "Danh sách hệ thống kết nối. List API clients.", lambda accounts: accounts.list_clients(),
              ("Tên", "Quyền", "Mức độ tiếp cận", "Mã", "Dùng lần cuối", "Trạng thái"),
              lambda c: (c["name"], ", ".join(c["scopes"]), ", ".join(c["access_levels"]), c["token_hint"] + "…",
                         c["last_used_at"] or "—", "hoạt động" if c["active"] else "đã thu hồi"))


@clients_app.command("set")
def clients_set(name: str = typer.Argument(...),
                scope: list[str] = typer.Option(None, "--scope", help="Phạm vi quyền (thay toàn bộ), ví dụ read,webhooks."),
                level: list[str] = typer.Option(None, "--level", help="Mức độ tiếp cận (thay toàn bộ).")) -> None:
    """Đổi phạm vi quyền hoặc mức độ tiếp cận (mã truy cập giữ nguyên). Change a client's scopes or levels."""
    with services_or_exit() as services:
        out = _accounts(services).update_client(name, scopes=_split(scope), access_levels=_split(level), actor=_admin(services))
    console.print(f"Đã cập nhật {out['name']}: quyền {', '.join(out['scopes'])}, đọc {', '.join(out['access_levels'])}")


@clients_app.command("revoke")
def clients_revoke(name: str = typer.Argument(...)) -> None:
    """Thu hồi mã truy cập. Revoke a client's token."""
    with services_or_exit() as services:
        _accounts(services).revoke_client(name, actor=_admin(services))
    console.print(f"Đã thu hồi mã truy cập của {name}.")


@clients_app.command("rotate")
def clients_rotate(name: str = typer.Argument(...)) -> None:
    """Cấp mã mới (mã cũ hết hiệu lực ngay). Issue a new token; the old one stops working."""
    with services_or_exit() as services:
        out = _accounts(services).rotate_client(name, actor=_admin(services))
    console.print(f"Mã truy cập mới (chỉ hiện một lần): [bold]{out['token']}[/]")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(clients_app, name="clients")

