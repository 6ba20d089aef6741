"""The web page for officials at ``/``: log in, search, read, download — all through the API.

The page itself is static and carries no archive data (every data request it makes carries the
user's bearer token), so it is served without authentication, like the OpenAPI description at
``/openapi.json`` and ``/docs``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@lru_cache(maxsize=1)
def _page() -> str:
    return (Path(__file__).resolve().parents[1] / "static" / "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return HTMLResponse(_page(), headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                                          "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})
