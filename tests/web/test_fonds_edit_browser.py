"""The fonds edit page and the schedule import form in a real browser (Debian's Chromium, headless,
Selenium) against a real ``luutru serve``: the archivist opens the fonds, follows "Sửa phông",
changes the place and sees it saved; on the schedules page a bad CSV is refused with each line's
problem, then a good JSON file becomes a new schedule. Each page: axe-core without a serious or
critical violation, no horizontal scroll at 360 px, a screenshot in docs/screenshots/."""

from __future__ import annotations

import json

import httpx
import pytest
from apienv import PASSWORD
from browserkit import check_page, chromium, needs_chromium
from served import serve

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from api.wiring import build_services
    from archive.settings import load_settings

    data = tmp_path_factory.mktemp("web") / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_WEB__COOKIE_SECURE": "never"}
    services = build_services(load_settings(env))
    try:
        services.accounts.create_user("luutruvien", full_name="Trần Thị Lan", title="Chuyên viên", role="archivist",
                                      password=PASSWORD, access_levels=None, actor="test:setup")
    finally:
        services.close()
    with serve(env, tmp_path_factory.mktemp("log") / "serve.log") as srv:
        token = httpx.post(srv.base + "/api/v1/auth/login",
                           json={"username": "luutruvien", "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        fonds = httpx.post(srv.base + "/api/v1/fonds", headers=auth,
                           json={"organ_id": "000.00.00.H26", "name": "Sở Nội vụ tỉnh Hà Nam"})
        assert fonds.status_code == 201, fonds.text
        yield srv.base, auth, fonds.json()["id"]


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def _wait(driver, predicate, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(Exception,)).until(lambda d: predicate(d))


def test_the_archivist_edits_a_fonds_and_imports_a_schedule(site, browser, tmp_path):
    from selenium.webdriver.common.by import By

    base, auth, fonds_id = site
    d = browser
    d.get(base + "/login")
    d.find_element(By.ID, "username").send_keys("luutruvien")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "#login-form button").click()
    _wait(d, lambda d: d.current_url.startswith(base + "/search"))

    d.get(f"{base}/holdings/{fonds_id}")
    d.find_element(By.ID, "edit-fonds").click()
    _wait(d, lambda d: d.find_elements(By.ID, "fonds-form"))
    check_page(d, "fonds-edit")
    place = d.find_element(By.ID, "c-place")
    place.clear()
    place.send_keys("Phủ Lý")
    d.find_element(By.ID, "c-reason").send_keys("Bổ sung địa danh")
    d.find_element(By.CSS_SELECTOR, "#fonds-form button").click()
    _wait(d, lambda d: d.find_elements(By.ID, "fonds-done"))
    assert "Phủ Lý" in d.find_element(By.TAG_NAME, "main").text
    assert httpx.get(f"{base}/api/v1/fonds/{fonds_id}", headers=auth).json()["place"] == "Phủ Lý"

    bad = tmp_path / "bang-sai.csv"
    bad.write_text("item_code,description,period\n1,Hồ sơ A,mười năm\n,Hồ sơ B,10\n", encoding="utf-8")
    d.get(base + "/retention/schedules")
    d.find_element(By.ID, "i-file").send_keys(str(bad))
    d.find_element(By.ID, "i-code").send_keys("BTH-SNV")
    d.find_element(By.CSS_SELECTOR, "#import-form button").click()
    _wait(d, lambda d: d.find_elements(By.ID, "import-problems"))
    problems = [li.text for li in d.find_elements(By.CSS_SELECTOR, "#import-problems li")]
    assert len(problems) == 2 and problems[0].startswith("Dòng 2") and problems[1].startswith("Dòng 3"), problems
    check_page(d, "retention-import-refused")
    good = tmp_path / "bang.json"
    good.write_text(json.dumps({"code": "BTH-SNV", "title": "Bảng thời hạn Sở Nội vụ", "items": [
        {"item_code": "1", "description": "Hồ sơ tổ chức", "period": "permanent"}]}, ensure_ascii=False),
        encoding="utf-8")
    d.find_element(By.ID, "i-file").send_keys(str(good))
    d.find_element(By.CSS_SELECTOR, "#import-form button").click()
    _wait(d, lambda d: d.find_elements(By.ID, "import-done"))
    assert "BTH-SNV" in d.find_element(By.ID, "schedules").text
    codes = [s["code"] for s in httpx.get(f"{base}/api/v1/retention/schedules", headers=auth).json()]
    assert "BTH-SNV" in codes
