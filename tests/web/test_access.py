"""Who gets which page: the web pages' authorization matrix, sessions in cookies, CSRF, and the
one 404 for a record the person may not read — all through the FastAPI TestClient on the real app
(SQLite, Tantivy, the real account service)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from apienv import PASSWORD
from fastapi.testclient import TestClient

from api.web.session import PRE_COOKIE, SESSION_COOKIE

DUMMY = "00000000-0000-4000-8000-000000000000"
WEB_PUBLIC = {("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("POST", "/language"),
              ("GET", "/docs")}
"""Pages without a session: the login form and what leads to it, the language, /docs (the API
description carries no archive data). Every other page depends on ``page_caller``."""


def _web_routes(app):
    from fastapi.routing import iter_route_contexts

    for route in iter_route_contexts(app.routes):
        original = getattr(route, "original_route", route)
        if getattr(original, "luutru_web", False):
            yield route


def _deps(dependant) -> set[str]:
    names, stack = set(), list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        names.add(getattr(dep.call, "__name__", ""))
        stack.extend(dep.dependencies)
    return names


def test_every_page_needs_a_session_and_every_post_a_csrf_token(web):
    """GIVEN the app's web routes WHEN their dependencies are walked THEN each page outside the
    public list depends on the session check, and each POST on the CSRF check."""
    _services, client = web
    routes = list(_web_routes(client.app))
    assert len(routes) >= 9
    for route in routes:
        names = _deps(route.dependant)
        for method in route.methods:
            if (method, route.path) not in WEB_PUBLIC and method != "HEAD":
                assert "page_caller" in names, f"{method} {route.path} shows data without a session"
            if method == "POST":
                assert "check_csrf" in names, f"POST {route.path} has no CSRF check"


@pytest.mark.parametrize("path", ["/search", "/search?q=quyet+dinh&type=Quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh",
                                  f"/records/{DUMMY}", f"/records/{DUMMY}/pages/1.png", f"/records/{DUMMY}/download"])
def test_without_a_session_every_page_sends_to_the_login_and_back(web, path):
    _services, client = web
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=%2F")
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_the_session_cookie_is_httponly_strict_and_secure_over_tls(web, login, csrf_of):
    services, client = web
    page = client.get("/login")
    pre = page.headers["set-cookie"]
    assert f"{PRE_COOKIE}=" in pre and "HttpOnly" in pre and "samesite=strict" in pre.lower()
    browser = TestClient(client.app, follow_redirects=False)
    browser.portal = client.portal
    form = browser.get("/login")
    r = browser.post("/login", data={"username": "canbo", "password": PASSWORD, "csrf_token": csrf_of(form.text)})
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # web.cookie_secure=never in this test app (plain HTTP)
    assert 0 < int(cookie.split("Max-Age=")[1].split(";")[0]) <= services.settings.api.session_hours * 3600
    # over TLS with the default ("auto") the cookie is Secure
    services.settings.web.__dict__["cookie_secure"] = "auto"
    tls = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    tls.portal = client.portal
    form = tls.get("/login")
    r = tls.post("/login", data={"username": "canbo", "password": PASSWORD, "csrf_token": csrf_of(form.text)})
    assert "Secure" in next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    # the page never hands the token to scripts
    assert "sessionStorage" not in tls.get("/search").text and "localStorage" not in tls.get("/search").text


def test_a_wrong_password_is_refused_in_vietnamese_and_no_session_is_set(web, csrf_of):
    _services, client = web
    browser = TestClient(client.app, follow_redirects=False)
    browser.portal = client.portal
    form = browser.get("/login")
    r = browser.post("/login", data={"username": "canbo", "password": "sai", "csrf_token": csrf_of(form.text)})
    assert r.status_code == 401
    assert "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("target,expected", [("/records/abc", "/records/abc"), ("//evil.example/x", "/search"),
                                             ("https://evil.example/", "/search"), ("/\\evil.example", "/search")])
def test_after_login_the_person_goes_back_only_to_a_page_of_this_site(web, target, expected, csrf_of):
    _services, client = web
    browser = TestClient(client.app, follow_redirects=False)
    browser.portal = client.portal
    form = browser.get("/login")
    r = browser.post("/login", data={"username": "canbo", "password": PASSWORD, "next": target,
                                     "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303 and r.headers["location"] == expected


def test_a_post_without_a_valid_csrf_token_is_refused(web, login, csrf_of):
    """GIVEN a logged-in person WHEN a form is posted without its token, with a forged one, or with
    the token of another person's session THEN 403 and nothing happens (the session still works)."""
    services, client = web
    lan = login("canbo")
    other = login("luutruvien")
    other_token = csrf_of(other.get("/search").text)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}, {"csrf_token": other_token}):
        r = lan.post("/logout", data=data)
        assert r.status_code == 403, data
        assert "Yêu cầu bị từ chối" in r.text
    assert lan.get("/search").status_code == 200  # not logged out
    # the login form too: a cross-site page cannot log the browser into another account
    fresh = TestClient(client.app, follow_redirects=False)
    fresh.portal = client.portal
    fresh.get("/login")
    assert fresh.post("/login", data={"username": "canbo", "password": PASSWORD}).status_code == 403
    assert fresh.post("/language", data={"locale": "en"}).status_code == 403
    # with the token, logging out works and ends the session on the server
    cookie = lan.cookies.get(SESSION_COOKIE)
    r = lan.post("/logout", data={"csrf_token": csrf_of(lan.get("/search").text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with pytest.raises(Exception, match="invalid or expired"):
        services.accounts.authenticate(cookie)


def _stolen(client, cookie: str) -> TestClient:
    thief = TestClient(client.app, follow_redirects=False, cookies={SESSION_COOKIE: cookie})
    thief.portal = client.portal
    return thief


def test_a_stolen_session_cookie_stops_working_at_logout_expiry_or_deactivation(web, login, records, csrf_of):
    services, client = web
    from archive.catalogue.access_tables import ApiSession

    page = f"/records/{records['public']}"
    lan = login("canbo")
    stolen = lan.cookies.get(SESSION_COOKIE)
    assert _stolen(client, stolen).get(page).status_code == 200  # a copied cookie is the session…
    lan.post("/logout", data={"csrf_token": csrf_of(lan.get("/search").text)})
    assert _stolen(client, stolen).get(page).status_code == 303  # …until the person logs out

    lan = login("canbo")
    stolen = lan.cookies.get(SESSION_COOKIE)
    with services.catalogue.session() as s:  # the session's end has passed
        s.execute(sa.update(ApiSession).where(ApiSession.token_hash == services.accounts.digest(stolen))
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = _stolen(client, stolen).get(page)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")

    lan = login("canbo")
    stolen = lan.cookies.get(SESSION_COOKIE)
    services.accounts.update_user("canbo", active=False, actor="test")
    assert _stolen(client, stolen).get(page).status_code == 303
    # a system client's token or a made-up value is no session either
    token = services.accounts.create_client("qlvb", scopes=["read", "search"], actor="test")["token"]
    for value in (token, "lts_" + "A" * 43, "x" * 5000):
        assert _stolen(client, value).get(page).status_code == 303


def test_a_record_one_may_not_read_is_the_same_404_as_a_missing_one(web, login, records):
    """GIVEN a reader of public records only WHEN they open the restricted and the secret record,
    their preview page and their download, by id and by a prefix THEN each answer is exactly the
    answer for a record that does not exist."""
    _services, _client = web
    reader = login("canbo_congkhai")
    for suffix in ("", "/pages/1.png", "/download"):
        missing = reader.get(f"/records/{DUMMY}{suffix}")
        assert missing.status_code == 404
        for level in ("internal", "restricted", "secret"):
            for ref in (records[level], records[level][:8]):
                hidden = reader.get(f"/records/{ref}{suffix}")
                # the page echoes the address asked for (the language form's way back), nothing else
                assert (hidden.status_code, hidden.text.replace(ref, "REF")) == \
                    (missing.status_code, missing.text.replace(DUMMY, "REF")), (level, suffix)
        assert reader.get(f"/records/{records['public']}{suffix}").status_code == 200


def test_every_page_has_a_strict_content_security_policy_and_no_inline_code(web, login, records):
    """GIVEN every page WHEN it is served THEN its CSP allows scripts and styles from the site only
    (no 'unsafe-inline'), and the HTML has no inline script, style element, style attribute or
    event-handler attribute that such a policy would block."""
    import re

    _services, client = web
    lan = login("luutruvien")
    pages = [client.get("/login"), lan.get("/search"), lan.get("/search?q=quyet+dinh&access_level=public"),
             lan.get(f"/records/{records['restricted']}"), lan.get(f"/records/{DUMMY}"), client.get("/docs")]
    for r in pages:
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        html = r.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), r.url
        assert not re.search(r"<style[\s>]", html) and not re.search(r"\sstyle\s*=", html), r.url
        assert not re.search(r"\son[a-z]+\s*=", html), r.url
        assert "cdn" not in html.lower() and "https://" not in re.sub(r'placeholder="[^"]*"', "", html)


def test_a_person_with_a_second_factor_logs_in_with_the_code_in_the_same_form(web, csrf_of):
    """GIVEN an account enrolled in TOTP WHEN the login form is sent without the code, with a wrong
    one, then with the right one THEN the first two are the same refusal and no session; the third
    opens one — the account service's own rule (the code is never accepted twice)."""
    import time

    from api.totp import totp_code

    services, client = web
    secret = services.accounts.enroll_totp("canbo", actor="test")
    browser = TestClient(client.app, follow_redirects=False)
    browser.portal = client.portal
    token = csrf_of(browser.get("/login").text)
    code = totp_code(secret, int(time.time()) // 30)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for totp in ("", wrong):
        r = browser.post("/login", data={"username": "canbo", "password": PASSWORD, "totp": totp, "csrf_token": token})
        assert r.status_code == 401 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    r = browser.post("/login", data={"username": "canbo", "password": PASSWORD, "totp": code, "csrf_token": token})
    assert r.status_code == 303 and SESSION_COOKIE in r.headers.get("set-cookie", "")
