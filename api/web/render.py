"""Templates, security headers and error pages of the web application.

Every page is rendered by Jinja2 (autoescaped) in the person's language and sent with a
Content-Security-Policy that allows scripts, styles, images and requests from this site only —
no ``'unsafe-inline'``: the templates contain no inline script, style attribute or event handler,
so an injected one would not run.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from markupsafe import Markup, escape

from api.web import i18n

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
                    "Cache-Control": "no-store"}
"""``no-store``: a page of archive data is not kept in the browser's cache after logout."""


class WebRoute(APIRoute):
    """A page: it reads its query string itself (the search page keeps unknown parameters out of
    its links instead of refusing them), so ``api.http.deps.reject_unknown_query`` leaves it alone."""

    luutru_own_query = True
    luutru_web = True


@cache
def environment(locale: str):
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    env.filters["date"] = i18n.fmt_date
    env.filters["datetime"] = i18n.fmt_datetime
    env.filters["size"] = lambda n: i18n.fmt_size(n, locale)
    env.filters["number"] = lambda n: i18n.fmt_number(n, locale)
    env.filters["snippet"] = snippet
    env.globals["label"] = lambda kind, value: i18n.label(kind, value, locale)
    env.globals["locale"] = locale
    return env


_MARK = re.compile(r"(</?b>)")


def snippet(text: str | None) -> Markup:
    """A search snippet with its ``<b>`` marks kept and everything else escaped: the text between
    the marks is unescaped first, so neither an HTML-escaped snippet nor a raw one can inject markup."""
    out = []
    for part in _MARK.split(text or ""):
        out.append(Markup(part) if part in ("<b>", "</b>") else escape(html.unescape(part)))
    opened = sum(p == "<b>" for p in out) - sum(p == "</b>" for p in out)
    return Markup("").join(out) + Markup("</b>") * max(0, opened)


def locale_of(request: Request) -> str:
    from api.web.session import LANG_COOKIE

    return i18n.pick_locale(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def render(request: Request, name: str, context: dict, *, status: int = 200, headers: dict | None = None) -> Response:
    from api.web.session import CSRF_FIELD, csrf_token, remember_pre_session

    env = environment(locale_of(request))
    caller = getattr(request.state, "caller", None)
    html = env.get_template(name).render(request=request, user=caller, csrf=csrf_token(request),
                                         csrf_field=CSRF_FIELD, path=request.url.path,
                                         here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                                         **context)
    response = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
    remember_pre_session(request, response)
    return response


def install(app) -> None:
    """The pages, their static files and their error pages."""
    from fastapi.staticfiles import StaticFiles

    from api.web import admin, collections, corrections, deposit, docs, holdings, pages, quarantine
    from api.web import retention as retention_pages
    from api.web.session import CsrfRefused, LoginRequired

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        if request.method == "GET":
            return pages.login_redirect(request)
        return render(request, "error.html", {"status": 401, "message": None}, status=401)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused):
        return render(request, "error.html", {"status": 403, "message": None}, status=403)

    @app.exception_handler(pages.NotFoundPage)
    async def _not_found(request: Request, exc: pages.NotFoundPage):
        return render(request, "error.html", {"status": 404, "message": None}, status=404)

    @app.exception_handler(pages.ForbiddenPage)
    async def _forbidden(request: Request, exc: pages.ForbiddenPage):
        return render(request, "error.html", {"status": 403, "message": None, "forbidden": True}, status=403)

    app.include_router(pages.router)
    app.include_router(deposit.router)
    app.include_router(holdings.router)
    app.include_router(corrections.router)
    app.include_router(docs.router)
    app.include_router(collections.router)
    app.include_router(retention_pages.router)
    app.include_router(quarantine.router)
    admin.install(app)  # its routers and its 403 page
