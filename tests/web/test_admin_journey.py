"""The administrator's journey in a real browser: Debian's Chromium, headless, through Selenium,
against a real ``luutru serve`` process on the embedded default.

The administrator creates a user (a temporary password shown once), the new person logs in with
it and enrols TOTP on "Tài khoản của tôi" — the code computed from the key shown on the page, as
their phone would — then logs in again with password and code. On the way every new page is
checked with axe-core (no serious or critical violation) and at 360 px (no horizontal scroll),
and screenshots go to ``docs/screenshots/`` (linked from docs/web.md).
"""

from __future__ import annotations

import time

import pytest
from apienv import PASSWORD
from browserkit import check_page, chromium, needs_chromium
from served import serve

from api.totp import totp_code

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running ``luutru serve`` with one administrator and one API client."""
    from api.wiring import build_services
    from archive.settings import load_settings

    data = tmp_path_factory.mktemp("admin") / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_WEB__COOKIE_SECURE": "never",
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    services = build_services(load_settings(env))
    try:
        services.accounts.create_user("quantri", full_name="Lê Văn Quản", title="Trưởng phòng Lưu trữ", role="admin",
                                      password=PASSWORD, actor="test:setup")
        services.accounts.create_client("qlvb-so-noi-vu", scopes=["read", "webhooks"], actor="test:setup")
    finally:
        services.close()
    with serve(env, tmp_path_factory.mktemp("log") / "serve.log") as srv:
        yield srv.base


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _wait(driver, predicate, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(Exception,)).until(lambda d: predicate(d))


def _settled(driver):
    _wait(driver, lambda d: d.execute_script(
        "return document.readyState === 'complete' && !document.querySelector('.htmx-request')"))


def _by_id(driver, element_id: str, timeout: float = 30):
    from selenium.webdriver.common.by import By

    return _wait(driver, lambda d: d.find_elements(By.ID, element_id) and d.find_element(By.ID, element_id), timeout)


def _open(driver, url: str, marker: str) -> None:
    driver.get(url)
    _by_id(driver, marker)
    _settled(driver)


def _login(driver, base: str, who: str, password: str, code: str | None = None) -> None:
    driver.delete_all_cookies()
    _open(driver, base + "/login", "login-form")
    _by_id(driver, "username").send_keys(who)
    _by_id(driver, "password").send_keys(password)
    if code is not None:
        _by_id(driver, "totp").send_keys(code)
    _by_id(driver, "login-form").submit()
    _wait(driver, lambda d: d.current_url.startswith(base + "/search") and d.find_elements("id", "who"))
    _settled(driver)


def _next_step_code(secret: str, used: int) -> str:
    """A code of a later 30-second step than ``used`` (a code is accepted once), as a phone shows it."""
    while int(time.time() // 30) <= used:
        time.sleep(0.5)
    return totp_code(secret, int(time.time() // 30))


def test_administrator_creates_a_user_who_enrols_totp_and_logs_in_with_it(site, browser):
    """GIVEN an administrator in the browser WHEN they create a user with a temporary password
    THEN the password is shown once; the new person logs in with it, opens "Tài khoản của tôi",
    confirms their password, scans the key (computed here from the key on the page), confirms a
    code; after logging out, the password alone no longer opens a session and password + code do.
    Every page on the way passes axe-core and the 360 px check."""
    from selenium.webdriver.support.ui import Select

    base, driver = site, browser
    _login(driver, base, "quantri", PASSWORD)
    assert driver.find_element("css selector", 'nav a[href="/admin/users"]')
    _open(driver, base + "/admin/users", "user-form")
    check_page(driver, "admin-users")
    _by_id(driver, "u-username").send_keys("tranthihong")
    _by_id(driver, "u-full_name").send_keys("Trần Thị Hồng")
    _by_id(driver, "u-title").send_keys("Chuyên viên")
    Select(_by_id(driver, "u-role")).select_by_value("official")
    _by_id(driver, "user-form").submit()
    temporary = _by_id(driver, "secret").text.strip()
    assert len(temporary) >= 12
    _settled(driver)
    check_page(driver, "admin-user-created")
    _open(driver, base + "/admin/users/tranthihong", "edit-user-form")
    assert temporary not in driver.page_source
    check_page(driver, "admin-user")
    for path, marker, shot in (("/admin/clients", "client-form", "admin-clients"),
                               ("/admin/webhooks", "webhook-form", "admin-webhooks"),
                               ("/admin/audit", "audit-filters", "admin-audit"),
                               ("/admin/audit/verify", "verify-result", "admin-verify"),
                               ("/admin/status", "checks", "admin-status")):
        _open(driver, base + path, marker)
        check_page(driver, shot)
    _open(driver, base + "/admin/audit?who=user%3Aquantri&action=user.create", "audit")
    assert "Lê Văn Quản" in _by_id(driver, "audit").text

    # the new person: temporary password, no administration, their own account page
    _login(driver, base, "tranthihong", temporary)
    assert not driver.find_elements("css selector", 'a[href^="/admin"]')
    driver.get(base + "/admin/users")
    _by_id(driver, "admin-only")
    check_page(driver, "admin-forbidden")
    _open(driver, base + "/search", "who")
    _by_id(driver, "who").click()
    _wait(driver, lambda d: d.current_url == base + "/account" and d.find_elements("id", "totp-begin"))
    _settled(driver)
    assert "Cán bộ tra cứu" in driver.page_source
    check_page(driver, "account")
    _by_id(driver, "t-password").send_keys(temporary)
    _by_id(driver, "totp-begin").submit()
    secret = _by_id(driver, "totp-secret").text.strip()
    qr = _by_id(driver, "totp-qr")
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 100", qr)
    _settled(driver)
    check_page(driver, "account-totp")
    shown_at = int(time.time() // 30)
    _by_id(driver, "c-code").send_keys(totp_code(secret, shown_at))
    _by_id(driver, "totp-confirm").submit()
    _by_id(driver, "totp-done")
    assert _by_id(driver, "my-totp").text.strip() in ("bật", "on")

    # log out; the password alone is refused, password + a fresh code opens a session
    _by_id(driver, "logout").click()
    _wait(driver, lambda d: "/login" in d.current_url and d.find_elements("id", "login-form"))
    _settled(driver)
    _by_id(driver, "username").send_keys("tranthihong")
    _by_id(driver, "password").send_keys(temporary)
    _by_id(driver, "login-form").submit()
    _by_id(driver, "login-error")  # a 401 page is swapped in like any other (htmx-config responseHandling)
    _login(driver, base, "tranthihong", temporary, code=_next_step_code(secret, shown_at))
    assert "tranthihong" in _by_id(driver, "who").text
