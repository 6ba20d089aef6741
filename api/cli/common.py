"""Helpers shared by every ``luutru`` command module (consoles, errors, building services).

Command modules import from here, never from ``api.cli``, so they can be imported in any order.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.console import Console

from archive.errors import ArchiveError, DiskFull, SettingsError, is_disk_full

console = Console()
err = Console(stderr=True)


_context: dict = {"services": None, "identity": None}
"""The services of the running command and the identity resolved for it (``api.cli.identity``)."""


def identity(*, write: bool = True, scope: str | None = None):
    """Who this command acts as (``api.cli.identity``): a named account for a write — the command
    stops with exit code 2 and says how to log in otherwise — and, with ``scope``, an account that
    holds it (the same roles as over HTTP; exit code 1 otherwise). A read by the machine's operator
    (no account) is not limited by ``scope``: the operator can read the data folder anyway."""
    from api.accounts import AuthError
    from api.cli.identity import NeedAccount, resolve

    services = _context["services"]
    if services is None:
        raise RuntimeError("identity() is only known inside services_or_exit()")
    ident = _context["identity"]
    if ident is None or (write and ident.caller is None):
        try:
            ident = _context["identity"] = resolve(services, write=write)
        except NeedAccount:
            fail("Thao tác này phải do một người dùng của kho lưu trữ thực hiện: đăng nhập bằng "
                 "«luutru login TÊN_ĐĂNG_NHẬP», hoặc chạy «luutru --as TÊN_ĐĂNG_NHẬP …» (hoặc đặt LUUTRU_USER)",
                 "this command changes the archive: log in first (luutru login USER, --as USER or LUUTRU_USER)",
                 code=2)
        except AuthError as exc:
            fail(exc.message_vi, str(exc), code=2)
    if scope is not None and ident.caller is not None and not ident.caller.has(scope):
        fail(f"Tài khoản {ident.caller.name} không có quyền thực hiện thao tác này (cần quyền «{scope}»)",
             f"{ident.caller.name} lacks the {scope} scope", code=1)
    return ident


def actor(*, write: bool = True, scope: str | None = None) -> str:
    """The actor of this command as recorded in events and the audit log (see ``identity``)."""
    return identity(write=write, scope=scope).actor


def system_actor() -> str:
    """Maintenance the system does when the operator runs it (init, repair, reindex, renewal)."""
    from api.cli.identity import os_login

    return f"software:luutru (cli:{os_login()})"


def readable(services, ref: str, *, action: str) -> str:
    """The id of the record ``ref`` names (id, short id, số ký hiệu), if this command's reader may
    read it — trimmed for an account exactly as over HTTP (``api.http.deps.readable_record``: a record
    the account may not read is "not found", and the denial is audited)."""
    ident = identity(write=False)
    if ident.caller is None:
        return resolve(services, "record", ref)
    from api.http.deps import readable_record

    return readable_record(services, ident.caller, ref, action=action).id


def reader(services):
    """The search principal of a read: the account's, or every record for the machine's operator."""
    from archive.access import Principal

    ident = identity(write=False)
    return ident.caller.principal if ident.caller is not None else Principal.admin(ident.actor)


def fail(message_vi: str, message_en: str, code: int = 1) -> None:
    err.print(f"[bold red]Lỗi:[/] {message_vi}\n[dim]{message_en}[/]")
    raise typer.Exit(code)


def parse_when(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 moment given to ``option`` (a date alone is its midnight); without a zone, UTC.
    Not ISO 8601: the error and exit code 2, as for any malformed option."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"Thời điểm {option} không hợp lệ: {value!r} (dùng ISO 8601, ví dụ 2026-01-31 hoặc 2026-01-31T08:00+07:00)",
             f"invalid {option} {value!r}", code=2)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def resolve(services, kind: str, ref: str) -> str:
    """The id of the record, dossier, fonds or disposal batch ``ref`` names (its id, short id or
    code: ``archive.identifiers``); an unknown or ambiguous reference raises the domain error that
    ``services_or_exit`` prints."""
    from archive import identifiers

    with services.catalogue.session() as s:
        return identifiers.resolve_id(s, kind, ref)


@contextmanager
def services_or_exit(*, repair: bool = False):
    """Build the services, mapping settings and domain errors to clear messages and exit codes."""
    from api.wiring import build_services, get_settings

    try:
        settings = get_settings()
        services = build_services(settings)
    except SettingsError as exc:
        fail(exc.message_vi, str(exc), code=2)
    _context["services"], _context["identity"] = services, None
    try:
        if repair and settings.repair.on_start:
            report = services.archive.repair(actor="software:luutru start")
            if not report.clean:
                err.print(f"[yellow]Kiểm tra khi khởi động:[/] {json.dumps(report.as_dict(), ensure_ascii=False)}")
        yield services
    except ArchiveError as exc:
        fail(exc.message_vi, str(exc), code=3 if isinstance(exc, DiskFull) else 1)
    except Exception as exc:
        if is_disk_full(exc):  # the catalogue or the store could not write: say so, no traceback
            full = DiskFull()
            fail(full.message_vi, f"{full} ({type(exc).__name__}: {exc})", code=3)
        raise
    finally:
        _context["services"] = None
        services.close()


