"""The archivist's day in a real browser (Debian's Chromium, headless, Selenium) against a real
``luutru serve``: create a new dossier, deposit three files into it by drag and drop (a real
``drop`` event carrying a ``DataTransfer`` of files), watch each file's progress reach its outcome,
file an unfiled record, correct a field and see the history. Each new page: axe-core without a
serious or critical violation, no horizontal scroll at 360 px, and a screenshot in docs/screenshots/.
"""

from __future__ import annotations

import base64

import httpx
import pytest
from apienv import PASSWORD, generated_pdfs
from browserkit import check_page, chromium, needs_chromium
from served import serve

pytestmark = needs_chromium

DROP = """
const [selector, files] = arguments;
const dt = new DataTransfer();
for (const [name, b64] of files) {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  dt.items.add(new File([bytes], name, {type: 'application/pdf'}));
}
const zone = document.querySelector(selector);
for (const type of ['dragenter', 'dragover', 'drop']) {
  zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt}));
}
return dt.files.length;
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running ``luutru serve`` with an archivist and an administrator, one fonds and one
    unfiled record (deposited over HTTP)."""
    from api.wiring import build_services
    from archive.settings import load_settings

    data = tmp_path_factory.mktemp("web") / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_WEB__COOKIE_SECURE": "never",
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    services = build_services(load_settings(env))
    try:
        for name, role in (("luutruvien", "archivist"), ("quantri", "admin")):
            services.accounts.create_user(name, full_name=f"Trần Thị {name.title()}", title="Chuyên viên",
                                          role=role, password=PASSWORD, access_levels=None, actor="test:setup")
    finally:
        services.close()
    pdfs = [pdf for _spec, pdf in generated_pdfs(2031, 5)]
    with serve(env, tmp_path_factory.mktemp("log") / "serve.log") as srv:
        token = httpx.post(srv.base + "/api/v1/auth/login",
                           json={"username": "quantri", "password": PASSWORD}).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        fonds = httpx.post(srv.base + "/api/v1/fonds", headers=admin,
                           json={"organ_id": "000.00.00.H26", "name": "Ủy ban nhân dân tỉnh Hà Nam"})
        assert fonds.status_code == 201, fonds.text
        r = httpx.post(srv.base + "/api/v1/records", headers=admin, timeout=120,
                       files={"file": ("chưa lập hồ sơ.pdf", pdfs[0], "application/pdf")},
                       data={"access_level": "internal"})
        assert r.status_code == 201, r.text
        yield srv.base, admin, r.json()["record_id"], pdfs[1:]


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


def test_the_archivist_creates_a_dossier_drops_three_files_files_and_corrects(site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, admin, unfiled, pdfs = site
    d = browser
    d.get(base + "/login")
    d.find_element(By.ID, "username").send_keys("luutruvien")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "#login-form button").click()
    _wait(d, lambda d: d.current_url.startswith(base + "/search"))

    # a new dossier, from the holdings page
    d.get(base + "/holdings")
    d.find_element(By.ID, "new-dossier").click()
    _wait(d, lambda d: d.find_elements(By.ID, "dossier-form"))
    _settled(d)
    d.find_element(By.ID, "d-year").send_keys("2026")
    d.find_element(By.ID, "d-notation").send_keys("05.vp")  # typed lower case: the mã hồ sơ is upper case
    d.find_element(By.ID, "d-title").send_keys("Hồ sơ hội nghị cán bộ, công chức năm 2026")
    Select(d.find_element(By.ID, "d-access_regime")).select_by_value("internal")
    d.find_element(By.ID, "d-creator").send_keys("Trần Thị Lan")
    check_page(d, "dossier-new")
    d.find_element(By.CSS_SELECTOR, "#dossier-form button[type=submit]").click()
    _wait(d, lambda d: d.find_elements(By.ID, "dossier-done"))
    code = "000.00.00.H26.2026.05.VP"
    assert code in d.find_element(By.ID, "dossier").text
    dossier_id = d.find_element(By.ID, "dossier").get_attribute("data-id")

    # three files dropped on the deposit page's own drop zone, into that dossier
    d.get(base + "/deposit")
    _wait(d, lambda d: d.find_element(By.ID, "deposit-form").get_attribute("data-ready") == "1")
    d.find_element(By.ID, "dossier").send_keys(code)
    names = ["biên bản hội nghị.pdf", "báo cáo tổng kết.pdf", "danh sách đại biểu.pdf"]
    files = [[n, base64.b64encode(p).decode()] for n, p in zip(names, pdfs[:3], strict=True)]
    assert d.execute_script(DROP, "#dropzone", files) == 3
    shown = [li.get_attribute("data-filename") for li in d.find_elements(By.CSS_SELECTOR, "#file-list li")]
    assert shown == names
    d.find_element(By.CSS_SELECTOR, "#deposit-form button.primary").click()
    _wait(d, lambda d: d.find_element(By.ID, "deposit-form").get_attribute("data-done") == "1", timeout=240)
    items = d.find_elements(By.CSS_SELECTOR, "#file-list li")
    assert [li.get_attribute("data-outcome") for li in items] == ["ingested"] * 3, [li.text for li in items]
    assert [int(p.get_attribute("value")) for p in d.find_elements(By.CSS_SELECTOR, "#file-list progress")] == [100] * 3
    assert all("Đã lưu" in li.text or "đã lưu" in li.text for li in items)
    d.execute_script("document.getElementById('dropzone').scrollIntoView()")
    check_page(d, "deposit-progress")
    inside = httpx.get(f"{base}/api/v1/dossiers/{dossier_id}/records", headers=admin).json()
    assert inside["total"] == 3

    # the unfiled record, filed into the new dossier
    d.get(f"{base}/dossiers/{dossier_id}")
    _wait(d, lambda d: d.find_elements(By.ID, "filing-form"))
    check_page(d, "dossier-actions")
    d.find_element(By.ID, f"u-{unfiled}").click()
    d.find_element(By.ID, "reason").send_keys("Bổ sung văn bản vào hồ sơ hội nghị")
    d.find_element(By.CSS_SELECTOR, "#filing-form button").click()
    _wait(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#dossier-records a")) == 4)
    assert httpx.get(f"{base}/api/v1/records/{unfiled}", headers=admin).json()["dossier_code"] == code

    # correct a field of it and see the history
    d.get(f"{base}/records/{unfiled}/edit")
    _wait(d, lambda d: d.find_elements(By.ID, "edit-form"))
    subject = d.find_element(By.ID, "e-subject")
    subject.clear()
    subject.send_keys("Về việc tổ chức hội nghị cán bộ, công chức năm 2026")
    d.find_element(By.ID, "reason").send_keys("Trích yếu ghi sai")
    d.find_element(By.CSS_SELECTOR, "#edit-form button").click()
    _wait(d, lambda d: "/edit" not in d.current_url and d.find_elements(By.ID, "corrections"))
    history = d.find_element(By.XPATH, "//*[@id='corrections']/..").text
    assert "Về việc tổ chức hội nghị cán bộ, công chức năm 2026" in history and "Trích yếu ghi sai" in history

    # the deposit page's own "new dossier": a bad number is refused next to its field, then it is
    # created on the way and the dropped file lands in it
    d.get(base + "/deposit")
    _wait(d, lambda d: d.find_element(By.ID, "deposit-form").get_attribute("data-ready") == "1")
    assert not d.find_element(By.ID, "new-dossier-fields").is_displayed()
    d.find_element(By.ID, "new_dossier").click()
    d.find_element(By.ID, "n-year").send_keys("2026")
    d.find_element(By.ID, "n-notation").send_keys("06/VP")
    d.find_element(By.ID, "n-title").send_keys("Hồ sơ tiếp nhận văn bản đến")
    d.execute_script(DROP, "#dropzone", [["công văn đến.pdf", base64.b64encode(pdfs[3]).decode()]])
    d.find_element(By.CSS_SELECTOR, "#deposit-form button.primary").click()
    _wait(d, lambda d: d.find_elements(By.ID, "err-js-notation"))
    assert "01.TCCB" in d.find_element(By.ID, "err-js-notation").text
    assert d.find_element(By.CSS_SELECTOR, "#file-list li").get_attribute("data-outcome") is None
    notation = d.find_element(By.ID, "n-notation")
    notation.clear()
    notation.send_keys("06.VP")
    d.find_element(By.CSS_SELECTOR, "#deposit-form button.primary").click()
    _wait(d, lambda d: d.find_element(By.CSS_SELECTOR, "#file-list li").get_attribute("data-outcome") == "ingested",
          timeout=120)
    assert d.find_element(By.ID, "dossier").get_attribute("value") == "000.00.00.H26.2026.06.VP"
    made = httpx.get(f"{base}/api/v1/dossiers", headers=admin, params={"q": "tiếp nhận"}).json()["items"]
    assert [m["code"] for m in made] == ["000.00.00.H26.2026.06.VP"] and made[0]["doc_total"] == 1

    # edit form of the dossier, and closing it
    d.get(f"{base}/dossiers/{dossier_id}/edit")
    _wait(d, lambda d: d.find_elements(By.ID, "dossier-form"))
    check_page(d, "dossier-edit")
    d.get(f"{base}/dossiers/{dossier_id}")
    d.find_element(By.CSS_SELECTOR, "#close-form button").click()
    _wait(d, lambda d: d.find_elements(By.ID, "reopen-form"))
    assert httpx.get(f"{base}/api/v1/dossiers/{dossier_id}", headers=admin).json()["status"] == "closed"
    d.get(base + "/collections/fonds/new")
    _wait(d, lambda d: d.find_elements(By.ID, "fonds-form"))
    check_page(d, "fonds-new")
