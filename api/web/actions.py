"""What the web pages share: the scope check (:func:`need`, the 404 page, to read; :func:`allow`,
the 403 page, to act), a page to read (:func:`show`) and a form sent (:func:`posted`), running an API
route function and keeping its Vietnamese refusal for the page (:func:`attempt`), form fields, a
list as a CSV or XLSX download (:func:`list_download`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.accounts import Caller
from api.http.problems import ApiProblem
from api.web.pages import ForbiddenPage, NotFoundPage
from api.web.render import SECURITY_HEADERS
from archive.errors import ArchiveError, RecordNotFound


def need(caller: Caller, scope: str) -> None:
    """The scope the API route needs, to see a page: without it, the one 404 page."""
    if not caller.has(scope):
        raise NotFoundPage()


async def show(request: Request, caller: Caller, scope: str, template: str, build: Callable[..., dict],
               *args) -> Response:
    """A page to read: the scope check (:func:`need`), then ``build(services, caller, *args)`` run off
    the event loop (it reads the catalogue) and rendered into ``template``."""
    from starlette.concurrency import run_in_threadpool

    from api.web.render import render

    need(caller, scope)
    return render(request, template, await run_in_threadpool(build, request.app.state.services, caller, *args))


def allow(caller: Caller, scope: str) -> None:
    """The scope the API route needs, to send a form: without it the 403 page, before anything runs
    (the page did not offer the form; a request made anyway is refused)."""
    if not caller.has(scope):
        raise ForbiddenPage()


async def posted(request: Request, caller: Caller, scope: str) -> tuple[Any, FormData]:
    """A form sent to a page: the scope check (:func:`allow`), then the services and the form."""
    allow(caller, scope)
    return request.app.state.services, await request.form()


def attempt(fn: Callable[..., Any], *args, **kw) -> tuple[Any, str | None, int]:
    """Run an API route function: (its answer, None, 200), or (None, the Vietnamese message, status)
    of the problem that refused it — the API's own message (``detail_vi`` / ``message_vi``)."""
    from api.http.problems import STATUS_BY_CODE

    try:
        return fn(*args, **kw), None, 200
    except ApiProblem as exc:
        return None, exc.detail_vi, exc.status
    except RecordNotFound as exc:
        return None, exc.message_vi, 404
    except ArchiveError as exc:  # the workflow's refusals (two-person rule, state…): 409 as over HTTP
        return None, exc.message_vi, STATUS_BY_CODE.get(exc.code, 409)
    except ValidationError as exc:
        return None, "Dữ liệu không hợp lệ: " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]), 422


Listing = tuple[Sequence[tuple[str, str]], Mapping[str, float], list[dict], list[str], str, str]
"""What a list download is made of: columns, column widths, rows, the XLSX heading lines, the
sheet's title and the file's name (without its extension)."""


async def list_download(fmt: str, build: Callable[[], Listing]) -> Response:
    """A list as CSV (UTF-8 with a BOM) or XLSX (``archive.tabular``); ``build`` runs in a thread
    (it reads the catalogue and audits); another format is the one 404."""
    from archive import tabular

    if fmt not in ("csv", "xlsx"):
        raise NotFoundPage()

    def make() -> tuple[bytes, str, str]:
        columns, widths, items, heading, title, name = build()
        if fmt == "csv":
            return tabular.to_csv(columns, items), "text/csv; charset=utf-8", name
        buf = io.BytesIO()
        tabular.write_xlsx(columns, items, buf, title=title, widths=widths, heading=heading)
        return buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name

    data, mime, name = await run_in_threadpool(make)
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", name)  # a header is ASCII: a code's other letters as "-"
    return Response(data, media_type=mime, headers={**SECURITY_HEADERS,
                                                    "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def form_text(form, name: str, limit: int = 2000) -> str:
    return str(form.get(name) or "").strip()[:limit]


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy (as people write it) or yyyy-mm-dd; None if neither."""
    text = text.strip()
    try:
        if "/" in text:
            d, m, y = (int(p) for p in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        return None
