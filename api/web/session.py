"""Sessions of people in the browser, and CSRF tokens.

The session is the account service's own (``AccountService.login`` / ``authenticate`` /
``logout``, the same sessions as ``POST /api/v1/auth/login``: password + TOTP, throttled by the
login guard, expiry ``api.session_hours``, revoked with the account). The browser holds the session
token only in a cookie that scripts cannot read (``HttpOnly``), that no other site's page can make
the browser send (``SameSite=Strict``) and, over TLS, ``Secure`` (``web.cookie_secure``). Nothing
is kept in ``sessionStorage`` or ``localStorage``. The HTTP API never accepts the cookie: it reads
bearer tokens only, so it needs no CSRF defence; the pages do.

CSRF: every form carries a token, ``HMAC(key, "csrf" | session token)`` — or, before login, of a
random pre-session cookie — compared in constant time; a POST without it, or with another
session's, is refused with 403 before anything else runs (``check_csrf``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from fastapi import Request

from api.accounts import AuthError, Caller

SESSION_COOKIE = "luutru_session"
PRE_COOKIE = "luutru_pre"
LANG_COOKIE = "luutru_lang"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login page (GET) or 401."""


class CsrfRefused(Exception):
    """A POST without a valid CSRF token (403)."""


def _key(request: Request) -> bytes:
    return b"luutru-web-csrf" + request.app.state.services.accounts.pepper


def csrf_token(request: Request) -> str:
    """The token forms of this page carry: bound to the session, else to the pre-session cookie."""
    basis = request.cookies.get(SESSION_COOKIE) or _pre_session(request)
    return hmac.new(_key(request), b"csrf|" + basis.encode(), hashlib.sha256).hexdigest()


def _pre_session(request: Request) -> str:
    value = request.cookies.get(PRE_COOKIE) or getattr(request.state, "pre_session", None)
    if not value or len(value) > 100:
        value = request.state.pre_session = secrets.token_urlsafe(24)
    return value


async def check_csrf(request: Request) -> None:
    """Refuses a POST whose form lacks this session's token (``CsrfRefused``, 403)."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    basis = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_COOKIE)
    if not isinstance(given, str) or not basis:
        raise CsrfRefused()
    expected = hmac.new(_key(request), b"csrf|" + basis.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRefused()


def secure_cookie(request: Request) -> bool:
    mode = request.app.state.services.settings.web.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def set_session(request: Request, response, token: str, expires_at: str) -> None:
    max_age = max(0, int((datetime.fromisoformat(expires_at) - datetime.now(datetime.fromisoformat(expires_at).tzinfo))
                         .total_seconds()))
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure_cookie(request), path="/")
    response.delete_cookie(PRE_COOKIE, path="/")


def clear_session(request: Request, response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookie(request))


def remember_pre_session(request: Request, response) -> None:
    """Sets the pre-session cookie a login form's token was made from, when it is new."""
    value = getattr(request.state, "pre_session", None)
    if value and not request.cookies.get(SESSION_COOKIE):
        response.set_cookie(PRE_COOKIE, value, httponly=True, samesite="strict", secure=secure_cookie(request),
                            path="/")


def current_caller(request: Request) -> Caller | None:
    """The person whose session cookie this request carries, or None (no cookie, expired, revoked,
    disabled account: the account service decides, as for a bearer token)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not token.startswith("lts_"):
        return None  # a system client's token is not a person's session
    services = request.app.state.services
    address = request.client.host if request.client else None
    try:
        caller = services.accounts.authenticate(token, address=address)
    except AuthError:
        request.app.state.auth_failures.record("auth.web_session", address,
                                               detail={"path": request.url.path, "method": request.method},
                                               tally={"path": request.url.path[:200]})
        return None
    request.state.caller = caller
    return caller


def page_caller(request: Request) -> Caller:
    """A dependency of every page that shows archive data: the signed-in person, else
    ``LoginRequired`` (redirect to the login page, with the page to come back to)."""
    caller = current_caller(request)
    if caller is None:
        raise LoginRequired()
    return caller
