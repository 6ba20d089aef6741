"""The administration pages and "Tài khoản của tôi" through the TestClient on the real app (SQLite,
the real account service, login guard, webhook service and audit log): who gets them (403 for
every non-administrator, no link in their menu), CSRF on every form, secrets shown once, the
same rules and audit entries as the CLI and the API."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import sqlalchemy as sa
from apienv import PASSWORD

from api.totp import totp_code
from archive.catalogue.access_tables import User
from archive.catalogue.models import AuditEntry

ADMIN_PAGES = ["/admin/users", "/admin/users/canbo", "/admin/clients", "/admin/webhooks", "/admin/audit",
               "/admin/audit.csv", "/admin/audit/verify", "/admin/status"]
ADMIN_POSTS = ["/admin/users", "/admin/users/canbo", "/admin/users/canbo/password", "/admin/users/canbo/unlock",
               "/admin/users/canbo/totp", "/admin/clients", "/admin/clients/x/revoke", "/admin/clients/x/rotate",
               "/admin/webhooks", "/admin/webhooks/abc/delete"]


def _audit(services, action: str, **where) -> list[AuditEntry]:
    with services.catalogue.session() as s:
        q = sa.select(AuditEntry).where(AuditEntry.action == action)
        for k, v in where.items():
            q = q.where(getattr(AuditEntry, k) == v)
        rows = s.execute(q.order_by(AuditEntry.id)).scalars().all()
        s.expunge_all()
        return rows


def _secret(html: str) -> str:
    m = re.search(r'id="secret">([^<]+)<', html)
    assert m, "no secret on the page"
    return m.group(1)


@pytest.mark.parametrize("who", ["canbo", "luutruvien", "hoidong1"])
def test_non_administrators_get_403_and_no_link(web, login, csrf_of, who):
    """GIVEN an official, an archivist and a council member WHEN they open any administration page
    or post to one with a valid CSRF token THEN 403, nothing changes, the refusal is audited, and
    their menu has no link to the administration (but has their own account page)."""
    services, _client = web
    browser = login(who)
    search = browser.get("/search")
    assert 'href="/admin' not in search.text and 'href="/account"' in search.text
    for path in ADMIN_PAGES:
        r = browser.get(path)
        assert r.status_code == 403, path
        assert 'id="admin-only"' in r.text
    token = csrf_of(search.text)
    for path in ADMIN_POSTS:
        r = browser.post(path, data={"csrf_token": token, "username": "x1", "full_name": "X", "role": "admin",
                                     "password_mode": "set", "password": "mot-mat-khau-dai"})
        assert r.status_code == 403, path
    with services.catalogue.session() as s:
        assert s.execute(sa.select(User).where(User.username == "x1")).first() is None
    denied = _audit(services, "admin.page", actor=f"user:{who}", outcome="denied")
    assert len(denied) == len(ADMIN_PAGES) + len(ADMIN_POSTS)


def test_admin_menu_link_and_without_session_login(web, login):
    _services, client = web
    assert 'href="/admin/users"' in login("quantri").get("/search").text
    r = client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fadmin%2Fusers")


@pytest.mark.parametrize("path", [*ADMIN_POSTS, "/account/totp", "/account/totp/confirm"])
def test_posts_without_csrf_are_refused(web, login, path):
    """GIVEN the administrator's session WHEN a form is posted without (or with a forged) CSRF
    token THEN 403 before anything runs."""
    services, _client = web
    admin = login("quantri")
    for data in ({"username": "x2", "full_name": "X", "role": "admin"},
                 {"username": "x2", "full_name": "X", "role": "admin", "csrf_token": "0" * 64}):
        r = admin.post(path, data=data)
        assert r.status_code == 403
        assert 'id="admin-only"' not in r.text
    with services.catalogue.session() as s:
        assert s.execute(sa.select(User).where(User.username == "x2")).first() is None


def test_users_list_shows_roles_in_words_and_fonds_limits(web, login, dossier):
    services, _client = web
    fonds_id = dossier["fonds_id"]
    services.accounts.update_user("canbo", actor="test", fonds_ids=[fonds_id], title="Chuyên viên")
    page = login("quantri").get("/admin/users")
    assert page.status_code == 200
    row = re.search(r'<tr data-user="canbo">(.*?)</tr>', page.text, re.S).group(1)
    assert "Nguyễn Văn Canbo" in row and "Cán bộ tra cứu" in row and "Chuyên viên" in row
    assert "Ủy ban nhân dân tỉnh Hà Nam" in row and "Công khai, Nội bộ" in row
    assert "official" not in row
    assert _audit(services, "admin.view", actor="user:quantri")


def test_create_user_generated_password_shown_once_and_works(web, login, csrf_of):
    """GIVEN the administrator WHEN they create a user with a generated password THEN the answer
    shows it once (no later page has it), the person logs in with it, and ``user.create`` is
    audited with the administrator as actor."""
    services, _client = web
    admin = login("quantri")
    form = admin.get("/admin/users")
    r = admin.post("/admin/users", data={"csrf_token": csrf_of(form.text), "username": "ChuyenVien1",
                                         "full_name": "Trần Thị Hồng", "title": "Văn thư", "role": "archivist",
                                         "levels": ["public", "internal"], "password_mode": "generate"})
    assert r.status_code == 200
    password = _secret(r.text)
    assert len(password) >= 12
    for page in ("/admin/users", "/admin/users/chuyenvien1"):
        assert password not in admin.get(page).text
    user = services.accounts.get_user("chuyenvien1")
    assert user["role"] == "archivist" and user["access_levels"] == ["public", "internal"] and user["title"] == "Văn thư"
    created = _audit(services, "user.create", actor="user:quantri")
    assert created and created[-1].detail["username"] == "chuyenvien1"
    assert login("chuyenvien1", password).get("/search").status_code == 200


def test_create_user_errors_keep_the_form(web, login, csrf_of):
    services, _client = web
    admin = login("quantri")
    token = csrf_of(admin.get("/admin/users").text)
    r = admin.post("/admin/users", data={"csrf_token": token, "username": "canbo", "full_name": "Trùng tên",
                                         "role": "official", "password_mode": "generate"})
    assert r.status_code == 422 and "đã tồn tại" in r.text and "Trùng tên" in r.text
    r = admin.post("/admin/users", data={"csrf_token": token, "username": "ngan", "full_name": "Mật khẩu ngắn",
                                         "role": "official", "password_mode": "set", "password": "short"})
    assert r.status_code == 422 and "ít nhất 10 ký tự" in r.text
    r = admin.post("/admin/users", data={"csrf_token": token, "username": "vai", "full_name": "Vai trò lạ",
                                         "role": "root", "password_mode": "generate"})
    assert r.status_code == 422
    assert [u["username"] for u in services.accounts.list_users() if u["username"] in ("ngan", "vai")] == []


def test_change_role_levels_fonds_and_disable_ends_sessions(web, login, csrf_of, dossier):
    services, _client = web
    person = login("canbo")
    admin = login("quantri")
    page = admin.get("/admin/users/canbo")
    assert page.status_code == 200
    r = admin.post("/admin/users/canbo", data={"csrf_token": csrf_of(page.text), "role": "archivist",
                                               "title": "Trưởng phòng", "levels": ["public", "restricted"],
                                               "fonds": [dossier["fonds_id"], "not-a-fonds"]})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users/canbo?done=saved"
    user = services.accounts.get_user("canbo")
    assert (user["role"], user["title"], user["access_levels"], user["fonds_ids"], user["active"]) == \
        ("archivist", "Trưởng phòng", ["public", "restricted"], [dossier["fonds_id"]], False)
    assert person.get("/search").status_code == 303  # the unticked "active" disabled the account: sessions end
    update = _audit(services, "user.update", actor="user:quantri")[-1]
    assert update.detail["role"] == "archivist" and update.detail["active"] is False


def test_reset_password_ends_sessions_and_unlock_is_audited(web, login, csrf_of):
    services, _client = web
    person = login("canbo")
    admin = login("quantri")
    token = csrf_of(admin.get("/admin/users/canbo").text)
    r = admin.post("/admin/users/canbo/password", data={"csrf_token": token, "password_mode": "set",
                                                        "password": "mat-khau-moi-123"})
    assert r.status_code == 200 and 'id="secret"' not in r.text
    assert person.get("/search").status_code == 303
    login("canbo", "mat-khau-moi-123")
    r = admin.post("/admin/users/canbo/unlock", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("done=unlocked")
    unlock = _audit(services, "auth.unlock", actor="user:quantri")
    assert unlock and unlock[-1].detail["username"] == "canbo"
    assert admin.post("/admin/users/khongco/unlock", data={"csrf_token": token}).status_code == 404


def test_reset_totp_removes_the_factor_and_ends_sessions(web, login, csrf_of):
    services, _client = web
    services.accounts.enroll_totp("canbo", actor="test")
    admin = login("quantri")
    page = admin.get("/admin/users/canbo")
    assert 'id="totp-reset-form"' in page.text
    r = admin.post("/admin/users/canbo/totp", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert services.accounts.get_user("canbo")["totp"] is False
    assert _audit(services, "user.totp_disable", actor="user:quantri")
    login("canbo")  # password alone again


def _code(secret: str) -> str:
    return totp_code(secret, int(time.time() // 30))


def test_my_account_totp_enrolment_needs_password_and_confirmation(web, login, csrf_of):
    """GIVEN an official WHEN they enrol TOTP on "Tài khoản của tôi" THEN a wrong password is
    refused (403, audited), the key and a QR image (data: PNG) are shown, nothing changes before a
    code of the new key confirms it, a wrong code keeps the page, and after confirmation a login
    needs the code; a second enrolment needs the current code."""
    services, _client = web
    me = login("canbo")
    page = me.get("/account")
    assert page.status_code == 200 and 'id="my-totp"' in page.text
    token = csrf_of(page.text)
    r = me.post("/account/totp", data={"csrf_token": token, "password": "sai-mat-khau"})
    assert r.status_code == 403 and 'id="totp-error"' in r.text
    assert _audit(services, "user.totp_enroll", actor="user:canbo", outcome="failure")
    r = me.post("/account/totp", data={"csrf_token": token, "password": PASSWORD})
    assert r.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', r.text)
    assert "otpauth://totp/" in r.text and f"secret={secret}" in r.text
    pending = re.search(r'name="pending" value="([^"]+)"', r.text).group(1)
    assert services.accounts.get_user("canbo")["totp"] is False
    wrong = str((int(_code(secret)) + 1) % 1_000_000).zfill(6)
    r = me.post("/account/totp/confirm", data={"csrf_token": token, "pending": pending, "totp": wrong})
    assert r.status_code == 422 and secret in r.text
    assert services.accounts.get_user("canbo")["totp"] is False
    r = me.post("/account/totp/confirm", data={"csrf_token": token, "pending": pending, "totp": _code(secret)})
    assert r.status_code == 303 and r.headers["location"] == "/account?done=totp"
    assert services.accounts.get_user("canbo")["totp"] is True
    assert me.get("/search").status_code == 200  # this session stays
    enrolled = _audit(services, "user.totp_enroll", actor="user:canbo", outcome="success")
    assert enrolled and enrolled[-1].detail["by"] == "self"
    # a login now needs the code
    _s, client = web
    assert client.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 401
    # a stolen session alone cannot replace the factor: the current code is required
    page = me.get("/account")
    assert 'id="t-code"' in page.text
    r = me.post("/account/totp", data={"csrf_token": token, "password": PASSWORD})
    assert r.status_code == 403


def test_pending_enrolment_of_another_person_is_refused(web, login, csrf_of):
    services, _client = web
    one, two = login("canbo"), login("luutruvien")
    t1 = csrf_of(one.get("/account").text)
    r = one.post("/account/totp", data={"csrf_token": t1, "password": PASSWORD})
    pending = re.search(r'name="pending" value="([^"]+)"', r.text).group(1)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    t2 = csrf_of(two.get("/account").text)
    r = two.post("/account/totp/confirm", data={"csrf_token": t2, "pending": pending, "totp": _code(secret)})
    assert r.status_code == 422 and secret not in r.text
    assert services.accounts.get_user("luutruvien")["totp"] is False
    assert services.accounts.get_user("canbo")["totp"] is False


def test_api_client_token_shown_once_works_and_revoke(web, login, csrf_of):
    services, client = web
    admin = login("quantri")
    page = admin.get("/admin/clients")
    token = csrf_of(page.text)
    r = admin.post("/admin/clients", data={"csrf_token": token, "name": "qlvb-so", "description": "QLVB Sở Nội vụ",
                                           "scopes": ["search", "read"], "levels": ["public"], "days": "30"})
    assert r.status_code == 200
    api_token = _secret(r.text)
    assert api_token.startswith("ltc_")
    listing = admin.get("/admin/clients").text
    assert api_token not in listing and api_token[:10] in listing and "QLVB Sở Nội vụ" in listing
    headers = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert _audit(services, "client.create", actor="user:quantri")
    r = admin.post("/admin/clients", data={"csrf_token": token, "name": "khong-quyen"})
    assert r.status_code == 422 and "Phạm vi quyền không hợp lệ" in r.text
    r = admin.post("/admin/clients/qlvb-so/revoke", data={"csrf_token": token})
    assert r.status_code == 303
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert _audit(services, "client.revoke", actor="user:quantri")
    r = admin.post("/admin/clients/qlvb-so/rotate", data={"csrf_token": token})
    new = _secret(r.text)
    assert new != api_token and client.get("/api/v1/auth/me",
                                           headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert admin.post("/admin/clients/khong-co/revoke", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "https://10.1.2.3/x", "http://[::1]/h",
                                 "https://localhost/h", "ftp://example.org/x"])
def test_webhook_private_addresses_are_refused_like_the_api(web, login, csrf_of, url):
    services, _client = web
    services.accounts.create_client("nhan-tin", scopes=["webhooks"], actor="test")
    admin = login("quantri")
    token = csrf_of(admin.get("/admin/webhooks").text)
    r = admin.post("/admin/webhooks", data={"csrf_token": token, "client": "nhan-tin", "url": url,
                                            "events": ["*"]})
    assert r.status_code == 422 and 'id="admin-error"' in r.text
    assert services.webhooks.list_subscriptions() == []


def test_webhook_create_secret_once_deliveries_and_delete(web, login, csrf_of):
    services, _client = web
    services.accounts.create_client("nhan-tin", scopes=["webhooks"], actor="test")
    services.webhooks.resolve = lambda host, port: ["93.184.215.14"]  # no DNS in tests: a public address
    admin = login("quantri")
    token = csrf_of(admin.get("/admin/webhooks").text)
    r = admin.post("/admin/webhooks", data={"csrf_token": token, "client": "nhan-tin",
                                            "url": "https://qlvb.example.vn/hook", "events": ["*"]})
    assert r.status_code == 200, r.text
    secret = _secret(r.text)
    assert secret.startswith("whsec_")
    subs = services.webhooks.list_subscriptions()
    assert len(subs) == 1 and subs[0]["client"] == "nhan-tin"
    listing = admin.get("/admin/webhooks").text
    assert "https://qlvb.example.vn/hook" in listing and secret not in listing
    page = admin.get(f"/admin/webhooks/{subs[0]['id']}")
    assert page.status_code == 200 and 'id="deliveries"' not in page.text  # nothing sent yet
    assert admin.get("/admin/webhooks/00000000-0000-0000-0000-000000000000").status_code == 404
    r = admin.post(f"/admin/webhooks/{subs[0]['id']}/delete", data={"csrf_token": token})
    assert r.status_code == 303
    assert services.webhooks.list_subscriptions()[0]["active"] is False
    assert _audit(services, "webhook.subscribe", actor="user:quantri")
    assert _audit(services, "webhook.unsubscribe", actor="user:quantri")


def test_audit_viewer_filters_pages_names_and_csv(web, login):
    """GIVEN logins of several people WHEN the administrator filters by person and date THEN only
    their entries, with names, paged by the API's cursor; the CSV has exactly the filtered entries;
    each read is audited as ``audit.read``."""
    services, client = web
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"username": "luutruvien", "password": PASSWORD})
    admin = login("quantri")
    r = admin.get("/admin/audit", params={"who": "user:luutruvien", "action": "auth.login"})
    assert r.status_code == 200
    rows = re.findall(r'<tr data-entry="(\d+)">(.*?)</tr>', r.text, re.S)
    assert len(rows) == 3 and all("Nguyễn Văn Luutruvien" in body for _id, body in rows)
    r = admin.get("/admin/audit", params={"who": "user:luutruvien", "since": "2000-01-01", "until": "2000-12-31"})
    assert 'data-entry="' not in r.text
    r = admin.get("/admin/audit", params={"since": "31/12/2026", "outcome": "xyz"})
    assert 'id="audit-ignored"' in r.text and r.status_code == 200
    # paging: 50 per page, the next page by the API's cursor
    for _ in range(55):
        services.archive.audit_access(actor="software:test", action="test.filler")
    first = admin.get("/admin/audit", params={"action": "test.filler"})
    ids = re.findall(r'data-entry="(\d+)"', first.text)
    assert len(ids) == 50
    older = re.search(r'href="(/admin/audit\?[^"]+)" id="audit-older"', first.text).group(1).replace("&amp;", "&")
    second = re.findall(r'data-entry="(\d+)"', admin.get(older).text)
    assert len(second) == 5 and max(map(int, second)) < min(map(int, ids))
    exported = admin.get("/admin/audit.csv", params={"who": "user:luutruvien", "action": "auth.login"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(table) == 4 and all(row[2].startswith("Nguyễn Văn Luutruvien") for row in table[1:])
    reads = _audit(services, "audit.read", actor="user:quantri")
    assert any((e.detail or {}).get("format") == "csv" for e in reads)


def test_audit_csv_neutralises_formulas(web, login):
    services, _client = web
    services.archive.audit_access(actor="=HYPERLINK(\"http://x\")", action="test.formula")
    exported = login("quantri").get("/admin/audit.csv", params={"action": "test.formula"}).text
    row = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))[1]
    assert row[3].startswith("'=")


def test_audit_verification_and_status(web, login):
    services, _client = web
    admin = login("quantri")
    r = admin.get("/admin/audit/verify")
    assert r.status_code == 200 and 'data-ok="true"' in r.text
    assert _audit(services, "audit.verify", actor="user:quantri")
    r = admin.get("/admin/status")
    assert r.status_code == 200
    for name in ("catalogue", "objects", "search", "extraction", "tasks"):
        assert f'data-check="{name}"' in r.text
    assert 'id="fixity"' in r.text and 'id="queue"' in r.text and "sqlite" in r.text


def test_audit_verification_reports_a_tampered_log(web, login):
    """GIVEN an audit entry altered in the database (its trigger dropped first, as an intruder
    would) WHEN the administrator verifies THEN the page says the log fails."""
    services, _client = web
    with services.catalogue.session() as s:
        for (name,) in s.execute(sa.text("SELECT name FROM sqlite_master WHERE type='trigger'")).all():
            s.execute(sa.text(f'DROP TRIGGER "{name}"'))
        first = s.execute(sa.select(sa.func.min(AuditEntry.id))).scalar_one()
        s.execute(sa.update(AuditEntry).where(AuditEntry.id == first).values(actor="user:ke-gian"))
    r = login("quantri").get("/admin/audit/verify")
    assert 'data-ok="false"' in r.text and 'id="verify-problems"' in r.text


def test_every_admin_page_has_the_csp_and_no_inline_code(web, login, csrf_of):
    """GIVEN every new page (and the pages answering a POST: a secret shown once, the TOTP key with
    its QR image) WHEN served THEN the strict CSP and no inline script, style or event handler."""
    services, _client = web
    services.accounts.create_client("nhan-tin", scopes=["webhooks"], actor="test")
    admin = login("quantri")
    token = csrf_of(admin.get("/account").text)
    pages = [admin.get(p) for p in ADMIN_PAGES if not p.endswith(".csv")]
    pages += [admin.get("/account"), admin.post("/account/totp", data={"csrf_token": token, "password": PASSWORD}),
              admin.post("/admin/clients", data={"csrf_token": token, "name": "mot-he-thong", "scopes": ["read"]}),
              login("canbo").get("/admin/users")]
    for r in pages:
        assert r.status_code in (200, 403), r.url
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "img-src 'self' data:" in csp
        html = r.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), r.url
        assert not re.search(r"<style[\s>]", html) and not re.search(r"\sstyle\s*=", html), r.url
        assert not re.search(r"\son[a-z]+\s*=", html), r.url
