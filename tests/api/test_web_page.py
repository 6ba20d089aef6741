"""The officials' web page at ``/`` in a real browser (Debian's Chromium, headless, through
Selenium): log in, search without diacritics, narrow by a facet, open a record — everything the
page does goes through the API with the official's own token, so they see only what they may read."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import unicodedata

import pytest
from apienv import LEVELS, PASSWORD

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and os.environ.get("CI") != "true",
    reason="Chromium and chromedriver are not installed (Debian: chromium chromium-driver); required in CI")


@pytest.fixture
def server(api):
    """The test app served by uvicorn on a free loopback port (the same services as ``api``)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(api.client.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _wait(driver, predicate, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: predicate(d))


def _attrs(driver, css, attr):
    """The attribute of every element matching ``css``, read again if the page re-renders the
    list while it is being read (a stale element is the page working, not the test failing)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for _ in range(50):
        try:
            return {e.get_attribute(attr) for e in driver.find_elements(By.CSS_SELECTOR, css)}
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError(f"{css} never stopped re-rendering")


def _stable(driver, css, attr, timeout=20):
    """``_attrs`` once two reads 0.3 s apart agree (the page has finished rendering the list)."""
    deadline = time.time() + timeout
    last = _attrs(driver, css, attr)
    while time.time() < deadline:
        time.sleep(0.3)
        now = _attrs(driver, css, attr)
        if now == last:
            return now
        last = now
    return last


def test_an_official_logs_in_searches_filters_and_opens_a_record(api, records, server, browser):
    """GIVEN records at every access level WHEN an official logs in on the page, searches with no
    diacritics, clicks a facet and opens a hit THEN the page shows only the records they may read,
    in Vietnamese, with the record's Decree 30 metadata; a wrong password shows a Vietnamese error."""
    from selenium.webdriver.common.by import By

    readable = {records[level] for level in LEVELS[:2]}  # canbo: public, internal
    browser.get(server + "/")
    assert "Lưu Trữ" in browser.title or "Lưu trữ" in browser.page_source
    browser.find_element(By.ID, "u").send_keys("canbo")
    browser.find_element(By.ID, "p").send_keys("sai mật khẩu")
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    _wait(browser, lambda d: d.find_element(By.ID, "login-error").text)
    assert "mật khẩu" in browser.find_element(By.ID, "login-error").text.lower() or \
        "đăng nhập" in browser.find_element(By.ID, "login-error").text.lower()

    browser.find_element(By.ID, "p").clear()
    browser.find_element(By.ID, "p").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    _wait(browser, lambda d: d.find_element(By.ID, "app").is_displayed())
    _wait(browser, lambda d: "văn bản" in d.find_element(By.ID, "summary").text)
    shown = _stable(browser, "#hits a[data-id]", "data-id")
    assert shown == readable, "the first page lists every record the official may read, and no other"
    assert browser.find_element(By.ID, "summary").text.startswith(f"{len(readable)} văn bản")

    # the internal record's subject typed without diacritics finds it (and nothing unreadable)
    record = api.get("canbo", f"/api/v1/records/{records['internal']}").json()
    words = " ".join(record["subject"].split()[:5])
    folded = "".join(c for c in unicodedata.normalize("NFD", words.replace("đ", "d").replace("Đ", "D"))
                     if not unicodedata.combining(c))
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(folded)
    browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#hits a[data-id='{records['internal']}']"))
    hits = _stable(browser, "#hits a[data-id]", "data-id")
    assert hits <= readable

    # narrow by the access-level facet: only that level's record remains
    browser.find_element(By.ID, "q").clear()
    browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#facets a[data-facet='access_level']"))
    levels = _stable(browser, "#facets a[data-facet='access_level']", "data-value")
    assert levels == {"public", "internal"}
    browser.find_element(By.CSS_SELECTOR, "#facets a[data-facet='access_level'][data-value='internal']").click()
    _wait(browser, lambda d: d.find_element(By.ID, "summary").text.startswith("1 văn bản"))
    assert _stable(browser, "#hits a[data-id]", "data-id") == {records["internal"]}
    only = browser.find_element(By.CSS_SELECTOR, "#hits a[data-id]")

    only.click()
    _wait(browser, lambda d: d.find_element(By.ID, "record").is_displayed())
    text = browser.find_element(By.ID, "record").text
    assert "Số và ký hiệu" in text and record["so_ky_hieu"] in text and "Nội bộ" in text
    assert browser.find_element(By.ID, "download").text == "Tải tệp gốc"
