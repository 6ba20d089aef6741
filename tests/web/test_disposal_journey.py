"""The disposal procedure in a real browser (Debian's Chromium, headless, Selenium) against a real
``luutru serve`` on the embedded default: the official finds a record; the archivist runs the
sweep and proposes a list to a council chosen by name; a council member votes per dossier (one
dissent, with a comment); the review is closed; another person approves with the decision's số ký
hiệu; an archivist who did not propose runs the dry run, then destroys; the destroyed record is gone
from the official's search at once. Every new page: axe-core with no serious or critical violation,
no horizontal scroll at 360 px, screenshots in ``docs/screenshots/``.
"""

from __future__ import annotations

import httpx
import pytest
from apienv import PASSWORD
from browserkit import SHOTS, check_page, chromium, needs_chromium
from disposalenv import prepare, token
from served import serve

PEOPLE = {"luutruvien": ("archivist", "Nguyễn Thị Lan", "Chuyên viên lưu trữ"),
          "vanthu": ("archivist", "Vũ Văn Hùng", "Văn thư cơ quan"),
          "chanhvanphong": ("admin", "Trần Văn Bình", "Chánh Văn phòng"),
          "hoidong1": ("council", "Lê Văn Cường", "Phó Giám đốc, Chủ tịch Hội đồng"),
          "hoidong2": ("council", "Phạm Thị Dung", "Thư ký Hội đồng"),
          "hoidong3": ("council", "Hoàng Văn Em", "Chuyên viên chính"),
          "canbo": ("official", "Đặng Thu Hà", "Chuyên viên")}

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running ``luutru serve`` with the people of the procedure and two dossiers due (built over HTTP)."""
    from api.wiring import build_services
    from archive.settings import load_settings

    data = tmp_path_factory.mktemp("disposal") / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_WEB__COOKIE_SECURE": "never",
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    services = build_services(load_settings(env))
    try:
        for name, (role, full, title) in PEOPLE.items():
            services.accounts.create_user(name, full_name=full, title=title, role=role, password=PASSWORD,
                                          actor="test:setup")
    finally:
        services.close()
    with serve(env, tmp_path_factory.mktemp("log") / "serve.log") as srv, \
            httpx.Client(base_url=srv.base, timeout=120) as http:
        ctx = prepare(http, token(http, "luutruvien", PASSWORD), token(http, "chanhvanphong", PASSWORD))
        yield srv.base, http, ctx


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _wait(driver, predicate, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(Exception,)).until(lambda d: predicate(d))


def _settled(driver):
    _wait(driver, lambda d: d.execute_script(
        "return document.readyState === 'complete' && !document.querySelector('.htmx-request')"))


def _css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def _has(driver, selector: str) -> bool:
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, selector))


def _login(driver, base: str, who: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    _css(driver, "#username").send_keys(who)
    _css(driver, "#password").send_keys(PASSWORD)
    _css(driver, "#login-form button").click()
    _wait(driver, lambda d: d.current_url.startswith(base + "/search") and _has(d, "#who"))


def _go(driver, url: str, ready: str) -> None:
    driver.get(url)
    _wait(driver, lambda d: _has(d, ready))
    _settled(driver)


def _submit(driver, form: str, then: str) -> None:
    _css(driver, f"{form} button[type=submit]").click()
    _wait(driver, lambda d: _has(d, then))
    _settled(driver)


def _search_hits(driver, base: str, q: str) -> list[str]:
    from selenium.webdriver.common.by import By

    driver.get(base + "/search")
    _wait(driver, lambda d: _has(d, "#q"))
    box = _css(driver, "#q")
    box.clear()
    box.send_keys(q)
    _css(driver, "#search-form button[type=submit]").click()
    _wait(driver, lambda d: "q=" in d.current_url and _has(d, "#summary"))
    _settled(driver)
    return [a.get_attribute("data-id") for a in driver.find_elements(By.CSS_SELECTOR, "#hits a[data-id]")]


def test_the_disposal_journey(site, browser):
    base, http, ctx = site
    d = browser
    a1 = ctx["ids"]["a1"]

    # the official finds the record
    _login(d, base, "canbo")
    assert a1 in _search_hits(d, base, ctx["skh"]["a1"])
    d.save_screenshot(str(SHOTS / "disposal-search-before.png"))

    # the archivist: sweep, then the list to a council chosen by name
    _login(d, base, "luutruvien")
    _css(d, "#nav-retention").click()
    _wait(d, lambda dr: _has(dr, "#sweep-form"))
    _submit(d, "#sweep-form", "#swept")
    assert ctx["A"] in _css(d, "#candidates").text and ctx["B"] in _css(d, "#candidates").text
    check_page(d, "retention-due")
    _css(d, "#p-title").send_keys("Hủy tài liệu hết giá trị năm 2026")
    _css(d, "#p-explanation").send_keys("Các hồ sơ năm 2012–2013 đã hết thời hạn bảo quản")
    for member in ("hoidong1", "hoidong2", "hoidong3"):
        label = _css(d, f"label[for=m-{member}]").text
        assert PEOPLE[member][1] in label  # chosen by name, not by account
        _css(d, f"#m-{member}").click()
    _submit(d, "#propose-form", "#batch")
    slug = d.current_url.rsplit("/", 1)[1]
    assert slug.endswith("-2026") or slug[0].isdigit(), d.current_url
    assert _css(d, "#batch").get_attribute("data-state") == "listed"
    check_page(d, "disposal-batch")
    for url, ready, name in (("/disposals", "#batches", "disposals"), ("/retention/holds", "#hold-form", "holds"),
                             ("/retention/schedules", "#schedules", "schedules"),
                             ("/retention/schedules/ubnd-ha-nam", "#schedule-items", "schedule")):
        _go(d, base + url, ready)
        check_page(d, name)

    # a council member: their pending ballot, one dossier approved, the other not, with a comment
    _login(d, base, "hoidong1")
    _css(d, "#nav-ballots").click()
    _wait(d, lambda dr: _has(dr, "#ballots"))
    check_page(d, "ballots")
    _css(d, f'#ballots a[href="/ballots/{slug}"]').click()
    _wait(d, lambda dr: _has(dr, "#ballot-items"))
    check_page(d, "ballot")
    for code, vote, comment in ((ctx["A"], "approve", ""), (ctx["B"], "reject", "Cần giữ để đối chiếu")):
        item = f'#ballot-items li[data-dossier="{code}"]'
        _css(d, f"{item} input[value={vote}]").click()
        if comment:
            _css(d, f"{item} textarea").send_keys(comment)
        _css(d, f"{item} button[type=submit]").click()
        _wait(d, lambda dr, item=item, vote=vote: _has(dr, "#voted") and (
            ("Không đồng ý" if vote == "reject" else "Đồng ý hủy") in _css(dr, f"{item} .mine").text))
        _settled(d)
    # the two other members vote on the whole list over the API
    for member in ("hoidong2", "hoidong3"):
        r = http.post(f"/api/v1/retention/disposals/{slug}/votes", headers=token(http, member, PASSWORD),
                      json={"vote": "approve"})
        assert r.status_code == 201, r.text

    # the archivist closes the review with the council's minutes
    _login(d, base, "luutruvien")
    _go(d, f"{base}/disposals/{slug}", "#review-form")
    assert "Cần giữ để đối chiếu" in _css(d, "#batch-items").text
    _css(d, "#minutes").send_keys(ctx["minutes"])
    _submit(d, "#review-form", "#batch[data-state=council_reviewed]")
    assert not _has(d, "#approve-form") and _has(d, "#two-person")

    # the approver decides
    _login(d, base, "chanhvanphong")
    _go(d, f"{base}/disposals/{slug}", "#approve-form")
    _css(d, "#decision").send_keys(ctx["decision"])
    _submit(d, "#approve-form", "#batch[data-state=approved]")

    # another archivist: the dry run, then the destruction
    _login(d, base, "vanthu")
    _go(d, f"{base}/disposals/{slug}", "#dry-run")
    _css(d, "#dry-run").click()
    _wait(d, lambda dr: _has(dr, "#plan-records"))
    _settled(d)
    planned = {e.get_attribute("data-id") for e in d.find_elements("css selector", "#plan-records tr[data-id]")}
    assert planned == set(ctx["ids"].values())
    check_page(d, "disposal-destroy")
    _submit(d, "#destroy-form", "#destroyed")
    assert _css(d, "#batch").get_attribute("data-state") == "destroyed"
    assert _has(d, "#minutes-download") and _has(d, "#register-csv")
    check_page(d, "disposal-destroyed")

    # the official's search, at once
    _login(d, base, "canbo")
    assert a1 not in _search_hits(d, base, ctx["skh"]["a1"])
    d.save_screenshot(str(SHOTS / "disposal-search-after.png"))
