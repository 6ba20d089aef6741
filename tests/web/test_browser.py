"""The web application in a real browser: Debian's Chromium, headless, through Selenium, against a
real ``luutru serve`` process (``tests/served.py``) on the embedded default.

* The official's journey: log in, search without diacritics, combine two facets, open a record,
  see its preview, go Back to the same results, open a record by its URL.
* Every page at 360 px wide has no horizontal scroll (measured in the browser).
* axe-core (vendored from npm, ``tests/web/vendor/axe-core``) finds no serious or critical
  violation on any page.
* Screenshots of the main pages go to ``docs/screenshots/`` (linked from docs/web.md).
"""

from __future__ import annotations

import unicodedata

import httpx
import pytest
from apienv import PASSWORD, generated_pdfs
from browserkit import check_page, chromium, needs_chromium
from served import serve

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running ``luutru serve`` with two officials, an administrator and six deposited records (
    in turn public, internal and secret), deposited over HTTP."""
    from api.wiring import build_services
    from archive.settings import load_settings

    data = tmp_path_factory.mktemp("web") / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_WEB__COOKIE_SECURE": "never",
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    services = build_services(load_settings(env))
    try:
        for name, role, levels in (("canbo", "official", None), ("canbo_congkhai", "official", ["public"]),
                                   ("quantri", "admin", None)):
            services.accounts.create_user(name, full_name=f"Nguyễn Thị {name.title()}", title="Chuyên viên",
                                          role=role, password=PASSWORD, access_levels=levels, actor="test:setup")
    finally:
        services.close()
    with serve(env, tmp_path_factory.mktemp("log") / "serve.log") as srv:
        token = httpx.post(srv.base + "/api/v1/auth/login",
                           json={"username": "quantri", "password": PASSWORD}).json()["access_token"]
        records = []
        for i, (_spec, pdf) in enumerate(generated_pdfs(2027, 6)):
            r = httpx.post(srv.base + "/api/v1/records", headers={"Authorization": f"Bearer {token}"},
                           files={"file": (f"văn bản {i}.pdf", pdf, "application/pdf")},
                           data={"access_level": ("public", "internal", "secret")[i % 3]}, timeout=120)
            assert r.status_code == 201, r.text
            records.append(r.json()["record_id"])
        yield srv.base, records, token


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _wait(driver, predicate, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(Exception,)).until(lambda d: predicate(d))


def _ids(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [a.get_attribute("data-id") for a in driver.find_elements(By.CSS_SELECTOR, "#hits a[data-id]")]


def _settled(driver):
    """Wait until htmx has no request in flight and the document is complete."""
    _wait(driver, lambda d: d.execute_script(
        "return document.readyState === 'complete' && !document.querySelector('.htmx-request')"))


def _login(driver, base: str, who: str = "canbo") -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/search")
    _wait(driver, lambda d: "/login" in d.current_url)
    driver.find_element(By.ID, "username").send_keys(who)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    _wait(driver, lambda d: d.current_url.startswith(base + "/search") and d.find_elements(By.ID, "summary"))


def _api(base: str, token: str, path: str, **params) -> dict:
    return httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, params=params, timeout=60).json()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def test_the_officials_journey(site, browser):
    """GIVEN a running archive WHEN an official logs in, searches without diacritics, combines two
    facets, opens a hit, sees its preview and goes Back THEN every step shows what the API gives
    the official, the preview images are loaded, and Back returns to the same results."""
    from selenium.webdriver.common.by import By

    base, records, admin = site
    _login(browser, base)
    check_page(browser, "search")
    readable = {h["record_id"] for h in _api(base, admin, "/api/v1/search", size=50)["hits"]}
    shown = set(_ids(browser))
    assert shown and shown < readable  # the secret records are not the official's

    # without diacritics: the subject of an internal record, folded
    target = next(r for r in records[1::3])
    subject = _api(base, admin, f"/api/v1/records/{target}")["subject"]
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(_fold(" ".join(subject.split()[:6])))
    browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
    _wait(browser, lambda d: "q=" in d.current_url and target in _ids(d))
    assert set(_ids(browser)) <= shown

    # two facets: the target's type, then its year — both stay in the URL
    browser.get(base + "/search")
    record = _api(base, admin, f"/api/v1/records/{target}")
    type_link = browser.find_element(By.CSS_SELECTOR, f"#facets a[data-facet='type'][data-value='{record['type_name']}']")
    type_link.click()
    _wait(browser, lambda d: "type=" in d.current_url and d.find_elements(By.CSS_SELECTOR, "#chosen a[data-facet='type']"))
    _settled(browser)
    year = record["issued_date"][:4]
    browser.find_element(By.CSS_SELECTOR, f"#facets a[data-facet='year'][data-value='{year}']").click()
    _wait(browser, lambda d: f"year={year}" in d.current_url and "type=" in d.current_url)
    _settled(browser)
    results_url, results = browser.current_url, _ids(browser)
    assert target in results
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chosen a")) == 2

    # open the hit: its page, with the preview rendered by the server
    browser.find_element(By.CSS_SELECTOR, f"#hits a[data-id='{target}']").click()
    _wait(browser, lambda d: d.current_url == f"{base}/records/{target}")
    _wait(browser, lambda d: d.execute_script(
        "const i = [...document.querySelectorAll('#preview img')];"
        "return i.length > 0 && i[0].complete && i[0].naturalWidth > 0"), timeout=60)
    text = browser.find_element(By.ID, "record").text
    assert record["so_ky_hieu"] in text and "Nội bộ" in text and "Bản gốc" in text
    check_page(browser, "record")

    # Back: the same results, same order
    browser.back()
    _wait(browser, lambda d: d.current_url == results_url and d.find_elements(By.ID, "hits"))
    _settled(browser)
    assert _ids(browser) == results
    browser.forward()
    _wait(browser, lambda d: d.current_url == f"{base}/records/{target}" and d.find_elements(By.ID, "record"))

    # a record by its URL, typed or bookmarked
    browser.get(f"{base}/records/{target}")
    assert browser.find_element(By.ID, "record").get_attribute("data-id") == target


def test_the_other_pages_are_accessible_and_fit_a_phone(site, browser):
    from selenium.webdriver.common.by import By

    base, records, _admin = site
    browser.delete_all_cookies()
    browser.get(base + "/login")
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))
    check_page(browser, "login")
    _login(browser, base, "canbo_congkhai")
    browser.get(f"{base}/records/{records[2]}")  # a secret record: the reader gets the one 404
    _wait(browser, lambda d: "Không tìm thấy" in d.find_element(By.TAG_NAME, "h1").text)
    check_page(browser, "not-found")
    browser.get(base + "/docs")  # Swagger UI from the package, offline, under the CSP
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"), timeout=60)
    assert not [e for e in browser.get_log("browser") if "Content Security Policy" in e.get("message", "")]


def test_the_archivist_deposits_three_files(site, browser, tmp_path):
    """GIVEN an administrator (who may deposit) WHEN three files are chosen in the deposit form —
    through the file input, as a drop would fill it — with a shared access level THEN each file's
    outcome is shown in Vietnamese and the page passes axe-core and fits 360 px."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, _records, _admin = site
    browser.delete_all_cookies()
    _login(browser, base, "quantri")
    browser.find_element(By.CSS_SELECTOR, "nav a[href='/deposit']").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "deposit-form"))
    _settled(browser)
    check_page(browser, "deposit")
    paths = []
    for i, (_spec, pdf) in enumerate(generated_pdfs(2033, 3)):
        path = tmp_path / f"tờ trình {i}.pdf"
        path.write_bytes(pdf)
        paths.append(path)
    browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in paths))
    Select(browser.find_element(By.ID, "f-access_level")).select_by_value("public")
    browser.find_element(By.CSS_SELECTOR, "#deposit-form button[type=submit]").click()
    # deposit.js (loaded on a boosted navigation too): one request per file, outcomes in the list
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#file-list li[data-outcome]")) == 3, timeout=120)
    items = browser.find_elements(By.CSS_SELECTOR, "#file-list li")
    assert {li.get_attribute("data-outcome") for li in items} == {"ingested"}
    assert all("đã lưu" in li.text for li in items)
    check_page(browser, "deposit-outcome")


def test_the_archivist_files_unfiled_records_from_the_dossier_browser(site, browser):
    """GIVEN a fonds with an open dossier and unfiled records WHEN the administrator walks fonds →
    year → dossier in the browser and files two records with a reason THEN the dossier lists them;
    each level passes axe-core and fits 360 px."""
    from selenium.webdriver.common.by import By

    base, _records, admin = site
    bearer = {"Authorization": f"Bearer {admin}"}
    fonds = httpx.post(base + "/api/v1/fonds", headers=bearer, json={"organ_id": "000.00.00.H40",
                                                                     "name": "Sở Nội vụ tỉnh Hà Nam"}).json()
    dossier = httpx.post(base + "/api/v1/dossiers", headers=bearer, json={
        "fonds_id": fonds["id"], "year": 2026, "notation": "02.TCCB", "title": "Hồ sơ tổ chức cán bộ năm 2026",
        "access_regime": "public"}).json()
    browser.delete_all_cookies()
    _login(browser, base, "quantri")
    browser.find_element(By.CSS_SELECTOR, "nav a[href='/holdings']").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#fonds a[data-id='{fonds['id']}']"))
    _settled(browser)
    check_page(browser, "holdings")
    browser.find_element(By.CSS_SELECTOR, f"#fonds a[data-id='{fonds['id']}']").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#dossiers a[data-id='{dossier['id']}']"))
    _settled(browser)
    check_page(browser, "fonds")
    browser.find_element(By.CSS_SELECTOR, f"#dossiers a[data-id='{dossier['id']}']").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "filing-form"))
    _settled(browser)
    check_page(browser, "dossier")
    boxes = browser.find_elements(By.CSS_SELECTOR, "#filing-form input[name='records']")
    chosen = [b.get_attribute("value") for b in boxes[:2]]
    for box in boxes[:2]:
        box.click()
    browser.find_element(By.ID, "reason").send_keys("Sắp xếp hồ sơ năm 2026")
    browser.find_element(By.CSS_SELECTOR, "#filing-form button[type=submit]").click()
    _wait(browser, lambda d: {a.get_attribute("data-id") for a in d.find_elements(
        By.CSS_SELECTOR, "#dossier-records a[data-id]")} == set(chosen))


def test_the_archivist_corrects_a_field_and_sees_the_history(site, browser):
    from selenium.webdriver.common.by import By

    base, records, _admin = site
    browser.delete_all_cookies()
    _login(browser, base, "quantri")
    browser.get(f"{base}/records/{records[0]}")
    browser.find_element(By.ID, "edit-link").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "edit-form"))
    _settled(browser)
    check_page(browser, "edit")
    subject = browser.find_element(By.ID, "e-subject")
    subject.clear()
    subject.send_keys("Về việc nghiệm thu dự án chuyển đổi số")
    browser.find_element(By.ID, "reason").send_keys("Sửa theo bản gốc giấy")
    browser.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "correction-history"))
    history = browser.find_element(By.ID, "correction-history").text
    assert "Về việc nghiệm thu dự án chuyển đổi số" in history and "Sửa theo bản gốc giấy" in history
    assert browser.find_element(By.CSS_SELECTOR, "#record h1").text == "Về việc nghiệm thu dự án chuyển đổi số"
