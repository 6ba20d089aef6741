"""The quarantine pages: ``/quarantine`` and ``/quarantine/{id}`` with the release and discard forms.

Through the app (TestClient, logged in through the form): deposit scope only (the one 404 page
otherwise), CSRF on both forms, a release still refused stays with its new reason, a discard needs
a reason. In a real browser (Debian's Chromium through Selenium, against a ``luutru serve``
process): the archivist releases one file after correcting the dossier and discards another; both
pages pass axe-core (no serious or critical violation), fit 360 px and are photographed.
"""

from __future__ import annotations

from pathlib import Path

from apienv import generated_pdfs
from browserkit import check_page, chromium, needs_chromium


def _put(root: Path, data: bytes, name: str, code: str, tmp_path: Path, **kw) -> str:
    """An entry as the ingest leaves it (``Quarantine.put``: the layout is the contract)."""
    from ingest.pipeline import REASONS
    from ingest.quarantine import Quarantine

    src = tmp_path / name
    src.write_bytes(data)
    vi, en = REASONS[code]
    return Quarantine(root).put(src, name=name, code=code, message_vi=vi, message_en=en, sha256=None,
                                submitter="user:canbo", source="api", **kw).name


def test_pages_list_show_release_discard(web, login, csrf_of, sample_pdfs, tmp_path):
    services, _client = web
    root = services.settings.quarantine_dir
    fixable = _put(root, sample_pdfs[0][1], "tờ trình.pdf", "invalid_metadata", tmp_path, dossier_code="KHONG-CO")
    empty = _put(root, b"", "rỗng.pdf", "empty_file", tmp_path)
    archivist = login("luutruvien")

    page = archivist.get("/quarantine")
    assert page.status_code == 200
    assert "Tệp rỗng (0 byte)" in page.text and "tờ trình.pdf" in page.text and "Khu cách ly" in page.text
    assert archivist.get("/quarantine", params={"code": "empty_file"}).text.count("data-code=") == 1
    bad = archivist.get("/quarantine", params={"date": "32/13/2026"})
    assert bad.status_code == 422 and "Ngày không hợp lệ" in bad.text

    entry = archivist.get(f"/quarantine/{fixable[:8]}")
    assert entry.status_code == 200 and 'id="release-form"' in entry.text and 'value="KHONG-CO"' in entry.text
    token = csrf_of(entry.text)
    # no CSRF token: refused, nothing done
    r = archivist.post(f"/quarantine/{fixable}/release", data={"dossier": ""})
    assert r.status_code == 403
    r = archivist.post(f"/quarantine/{empty}/discard", data={"reason": "x"})
    assert r.status_code == 403
    # released unchanged: refused again, shown with the new reason, still there
    r = archivist.post(f"/quarantine/{fixable}/release", data={"csrf_token": token, "dossier": "KHONG-CO"})
    assert r.status_code in (404, 422)  # the dossier is unknown: checked before anything is tried
    assert "release-error" in r.text
    # released into no dossier: archived
    r = archivist.post(f"/quarantine/{fixable}/release", data={"csrf_token": token, "dossier": "",
                                                               "access_level": "internal"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/quarantine?released={fixable[:8]}")
    record_id = r.headers["location"].rsplit("record=", 1)[1]
    assert services.archive.get_record(record_id, actor="test", audit_access=False)["access_level"] == "internal"
    assert archivist.get(f"/quarantine/{fixable}").status_code == 404

    # a file still bad: stays, with the new reason and its history
    entry = archivist.get(f"/quarantine/{empty}")
    r = archivist.post(f"/quarantine/{empty}/release", data={"csrf_token": csrf_of(entry.text), "subject": "Sửa"})
    assert r.status_code == 422 and "Tệp rỗng" in r.text and 'id="entry-history"' in r.text
    # discard: a reason is required
    r = archivist.post(f"/quarantine/{empty}/discard", data={"csrf_token": token, "reason": "  "})
    assert r.status_code == 422 and "discard-error" in r.text
    r = archivist.post(f"/quarantine/{empty}/discard", data={"csrf_token": token, "reason": "Tệp rỗng, nộp nhầm"})
    assert r.status_code == 303 and "discarded=" in r.headers["location"]
    assert archivist.get(f"/quarantine/{empty}").status_code == 404
    listed = archivist.get("/quarantine")
    assert "quarantine-empty" in listed.text


def test_only_the_deposit_scope_sees_the_quarantine(web, login, tmp_path):
    services, _client = web
    entry = _put(services.settings.quarantine_dir, b"", "rỗng.pdf", "empty_file", tmp_path)
    official = login("canbo")
    for url in ("/quarantine", f"/quarantine/{entry}", f"/quarantine/{entry}/file"):
        r = official.get(url)
        assert r.status_code == 404 and "rỗng.pdf" not in r.text
    assert 'href="/quarantine"' not in official.get("/search").text
    archivist = login("luutruvien")
    assert 'href="/quarantine"' in archivist.get("/search").text
    for ref in ("..%2F..%2Fetc", "abc", "0" * 32, "%2e%2e"):
        assert archivist.get(f"/quarantine/{ref}").status_code == 404


# in a real browser --------------------------------------------------------------------------------

def _wait(driver, predicate, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(Exception,)).until(lambda d: predicate(d))


@needs_chromium
def test_the_archivist_releases_and_discards_in_the_browser(tmp_path):
    """GIVEN two files in quarantine (one refused for its dossier, one empty) WHEN the archivist
    opens the quarantine, empties the dossier field and releases the first, and discards the second
    with a reason THEN the first is in the archive, the second gone; both pages pass axe-core and
    fit 360 px."""
    from selenium.webdriver.common.by import By
    from served import PASSWORD as SERVED_PASSWORD
    from served import account, serve

    data = tmp_path / "data"
    env = {"LUUTRU_DATA_DIR": str(data), "LUUTRU_WEB__COOKIE_SECURE": "never",
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    account(env, "luutruvien", role="archivist")
    root = data / "quarantine"
    pdf = generated_pdfs(2041, 1)[0][1]
    fixable = _put(root, pdf, "tờ trình số 12.pdf", "invalid_metadata", tmp_path, dossier_code="KHONG-CO")
    empty = _put(root, b"", "rỗng.pdf", "empty_file", tmp_path)

    with serve(env, tmp_path / "serve.log") as srv, chromium() as driver:
        base = srv.base
        driver.get(base + "/quarantine")
        _wait(driver, lambda d: "/login" in d.current_url)
        driver.find_element(By.ID, "username").send_keys("luutruvien")
        driver.find_element(By.ID, "password").send_keys(SERVED_PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "quarantine-list"))
        items = driver.find_elements(By.CSS_SELECTOR, "#quarantine-list li")
        assert {li.get_attribute("data-id") for li in items} == {fixable, empty}
        assert "Tệp rỗng (0 byte)" in driver.find_element(By.ID, "quarantine-list").text
        check_page(driver, "quarantine")

        driver.find_element(By.CSS_SELECTOR, f"li[data-id='{fixable}'] a").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "release-form"))
        check_page(driver, "quarantine-entry")
        field = driver.find_element(By.ID, "r-dossier")
        field.clear()
        driver.find_element(By.CSS_SELECTOR, "#release-form button[type=submit]").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "released"), timeout=180)
        assert [li.get_attribute("data-id") for li in
                driver.find_elements(By.CSS_SELECTOR, "#quarantine-list li")] == [empty]

        driver.get(base + f"/quarantine/{empty}")
        _wait(driver, lambda d: d.find_elements(By.ID, "discard-form"))
        driver.find_element(By.ID, "d-reason").send_keys("Tệp rỗng, đơn vị đã gửi lại bản đúng")
        driver.find_element(By.CSS_SELECTOR, "#discard-form button[type=submit]").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "discarded"))
        assert driver.find_elements(By.ID, "quarantine-empty")


def test_the_submitter_is_shown_by_name(web, login, sample_pdfs, tmp_path):
    """The list and the entry show who submitted the file by name (Vietnamese first), not the account."""
    services, _client = web
    entry = _put(services.settings.quarantine_dir, sample_pdfs[1][1], "công văn.pdf", "invalid_metadata", tmp_path)
    archivist = login("luutruvien")
    page = archivist.get("/quarantine").text
    assert "Nguyễn Văn Canbo" in page
    shown = archivist.get(f"/quarantine/{entry}").text
    assert 'id="entry-submitter">Nguyễn Văn Canbo' in shown
    found = archivist.get("/quarantine", params={"submitter": "nguyen van canbo"}).text
    assert entry in found
