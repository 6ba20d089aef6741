"""Metadata corrections as every entry point builds them (``luutru records edit|history`` and
``PATCH /api/v1/records/{id}``, ``GET …/history``), and how they are shown to people."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from archive.corrections import CorrectionService

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def correction_service(services) -> CorrectionService:
    """The ``CorrectionService`` of these services (cached in ``services.correction_service``). The retention
    hook (installed by ``build_services`` on the archive's catalogue; installed here too when the
    services were put together by hand) applies the rules again to a corrected record before its
    transaction commits (nothing else of retention is needed: the rules name their schedules,
    which exist already)."""
    svc = services.correction_service
    if svc is None:
        from retention import hooks

        hooks.install(services.catalogue)
        svc = services.correction_service = CorrectionService(services.archive)
    return svc


def local_time(iso: str) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam's time (Asia/Ho_Chi_Minh)."""
    return datetime.fromisoformat(iso).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def shown(value) -> str:
    """A field's value for people: dates as dd/mm/yyyy, lists of agencies by name, empty as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v.get("organ_name", v)) if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


def etag(version: int) -> str:
    """The strong ``ETag`` of a record's descriptive metadata (``If-Match`` on ``PATCH``)."""
    return f'"v{version}"'


def if_match_versions(header: str | None) -> set[int] | None:
    """The versions an ``If-Match`` header names (RFC 9110 §13.1.1: strong comparison, so a weak
    tag never matches); None without the header or with ``*``."""
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for tag in header.split(","):
        tag = tag.strip()
        m = re.fullmatch(r'"v([0-9]{1,12})"', tag)
        if m:
            versions.add(int(m[1]))
    return versions
