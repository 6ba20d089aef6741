"""Helpers shared by every ``luutru`` command module (consoles, errors, building services).

Command modules import from here, never from ``api.cli``, so they can be imported in any order.
"""

from __future__ import annotations

import getpass
import json
import os
from contextlib import contextmanager

import typer
from rich.console import Console

from archive.errors import ArchiveError, SettingsError

console = Console()
err = Console(stderr=True)


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return f"cli:uid{os.getuid()}"


def fail(message_vi: str, message_en: str, code: int = 1) -> None:
    err.print(f"[bold red]Lỗi:[/] {message_vi}\n[dim]{message_en}[/]")
    raise typer.Exit(code)


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
    try:
        if repair and settings.repair.on_start:
            report = services.archive.repair(actor="software:luutru start")
            if not report.clean:
                err.print(f"[yellow]Kiểm tra khi khởi động:[/] {json.dumps(report.as_dict(), ensure_ascii=False)}")
        yield services
    except ArchiveError as exc:
        fail(exc.message_vi, str(exc))
    finally:
        services.close()


