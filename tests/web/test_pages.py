"""The officials' pages over HTTP (TestClient on the real app: SQLite, Tantivy, PDFium): what a
reader sees equals what the API answers them, the record page in Vietnamese, the preview's
derivatives and its refusal of an original that fails its digest, and the message catalogues."""

from __future__ import annotations

import hashlib
import re
import struct

import lxml.html
import pytest
from apienv import PASSWORD

from api.web.search_form import FACETS


def _bearer(client, name: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _page(html: str) -> dict:
    doc = lxml.html.fromstring(html)
    facets: dict[str, dict[str, int]] = {}
    for a in doc.xpath("//*[@id='facets']//a[@data-facet]"):
        count = a.xpath(".//span[@class='count']")[0].text_content().strip("() ").replace(".", "")
        facets.setdefault(a.get("data-facet"), {})[a.get("data-value")] = int(count)
    summary = doc.xpath("//*[@id='summary']")
    return {"hits": [a.get("data-id") for a in doc.xpath("//*[@id='hits']//a[@data-id]")], "facets": facets,
            "total": int(summary[0].text_content().split()[0].replace(".", "")) if summary else None,
            "snippets": [p.text_content() for p in doc.xpath("//p[@class='snippet']")],
            "text": doc.xpath("//main")[0].text_content()}


@pytest.mark.parametrize("who", ["canbo_congkhai", "canbo", "luutruvien"])
def test_a_reader_sees_exactly_what_the_api_gives_them(web, login, records, who):
    """GIVEN one record per access level WHEN a person searches on the page and through the API
    THEN the hits, the total, every facet value and count and the snippets are the same — nothing
    of a record above their level appears, not even its id."""
    _services, client = web
    browser = login(who)
    bearer = _bearer(client, who)
    for query in ({}, {"q": "uy ban nhan dan"}, {"q": "", "access_level": "public"}):
        api = client.get("/api/v1/search", headers=bearer,
                         params={**query, "facets": ",".join(FACETS), "size": 20}).json()
        page = _page(browser.get("/search", params=query).text)
        assert page["hits"] == [h["record_id"] for h in api["hits"]]
        assert page["total"] == api["total"]
        assert page["facets"] == {k: v for k, v in api["facets"].items() if v}
        assert len(page["snippets"]) == len([h for h in api["hits"] if h["snippet"]])
    levels = {"canbo_congkhai": 1, "canbo": 2, "luutruvien": 3}[who]
    everything = browser.get("/search").text
    for level, rid in records.items():
        visible = list(records).index(level) < levels
        assert (rid in everything) == visible, (who, level)


def test_two_facets_combine_and_the_url_keeps_them(web, login, records):
    _services, client = web
    lan = login("luutruvien")
    first = _page(lan.get("/search").text)
    assert set(first["hits"]) == {records[level] for level in ("public", "internal", "restricted")}
    both = lan.get("/search", params=[("access_level", "public"), ("access_level", "internal")])
    assert set(_page(both.text)["hits"]) == {records["public"], records["internal"]}
    doc = lxml.html.fromstring(both.text)
    chosen = {(a.get("data-facet"), a.get("data-value")) for a in doc.xpath("//*[@id='chosen']//a")}
    assert chosen == {("access_level", "public"), ("access_level", "internal")}
    year = next(iter(first["facets"]["year"]))
    link = doc.xpath(f"//*[@id='facets']//a[@data-facet='year'][@data-value='{year}']")[0].get("href")
    assert "access_level=public" in link and "access_level=internal" in link and f"year={year}" in link
    combined = _page(lan.get(link).text)
    api = client.get("/api/v1/search", headers=_bearer(client, "luutruvien"),
                     params={"access_level": ["public", "internal"], "year_from": year, "year_to": year}).json()
    assert combined["hits"] == [h["record_id"] for h in api["hits"]] and combined["total"] == api["total"]


def test_the_record_page_speaks_vietnamese(web, login, records):
    _services, client = web
    lan = login("canbo")
    rid = records["internal"]
    api = client.get(f"/api/v1/records/{rid}", headers=_bearer(client, "canbo")).json()
    html = lan.get(f"/records/{rid}").text
    text = lxml.html.fromstring(html).xpath("//main")[0].text_content()
    for words in ("Số và ký hiệu", "Mức độ tiếp cận", "Nội bộ", "Đang lưu giữ", "Bản gốc", "Nộp lưu", "Thành công",
                  "Không có chữ ký số", "Lịch sử xử lý", "Chưa lập vào hồ sơ", api["so_ky_hieu"]):
        assert words in text, words
    if api.get("issued_date"):
        y, m, d = api["issued_date"].split("-")
        assert f"{d}/{m}/{y}" in text
    original = next(c for c in api["components"] if c["role"] == "original")
    assert original["sha256"] in text
    for code in ("internal", "active", "unsigned", "ingestion", "original", "success"):
        assert not re.search(rf"\b{code}\b", text), f"code name {code!r} shown to people"
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", text)  # local times as dd/mm/yyyy HH:MM


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_preview_is_rendered_by_pdfium_cached_apart_and_the_original_untouched(web, login, records):
    services, _client = web
    lan = login("canbo")
    rid = records["public"]
    data = services.archive.get_record(rid, actor="t", audit_access=False)
    original = next(c for c in data["components"] if c["role"] == "original")
    stored = services.settings.objects_root / original["storage_key"]
    before = hashlib.sha256(stored.read_bytes()).hexdigest()
    html = lan.get(f"/records/{rid}").text
    images = lxml.html.fromstring(html).xpath("//*[@id='preview']//img")
    assert images and all(img.get("alt").startswith("Trang ") for img in images)
    r = lan.get(images[0].get("src"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    width, height = _png_size(r.content)
    assert width == services.settings.web.preview_width and 0 < height <= 3 * width
    cache = services.settings.data_dir / "derivatives" / "previews" / original["sha256"]
    assert any(cache.rglob("p1.png"))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == before == original["sha256"]
    assert lan.get(f"/records/{rid}/pages/{len(images) + 1}.png").status_code == 404


def _flip(services, rid: str) -> None:
    import os

    data = services.archive.get_record(rid, actor="t", audit_access=False)
    path = services.settings.objects_root / next(c["storage_key"] for c in data["components"] if c["role"] == "original")
    os.chmod(path, 0o644)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def test_an_original_that_fails_its_digest_is_never_previewed(web, login, records):
    """GIVEN one original altered before any preview and one altered after its preview was cached
    WHEN the record pages and page images are asked for THEN the first is refused (damaged, the
    archive told), and the second's cached images stop being served once the damage is found."""
    services, _client = web
    lan = login("canbo")
    fresh, cached = records["public"], records["internal"]
    _flip(services, fresh)
    html = lan.get(f"/records/{fresh}").text
    assert "không khớp mã băm SHA-256" in html and 'id="preview"' not in html
    assert lan.get(f"/records/{fresh}/pages/1.png").status_code == 404
    assert services.archive.get_record(fresh, actor="t", audit_access=False)["status"] == "damaged"

    assert lan.get(f"/records/{cached}/pages/1.png").status_code == 200
    _flip(services, cached)
    assert lan.get(f"/records/{cached}/download").status_code == 500  # the verified download finds it
    assert lan.get(f"/records/{cached}/pages/1.png").status_code == 404
    html = lan.get(f"/records/{cached}").text
    assert "không khớp mã băm SHA-256" in html and 'id="preview"' not in html and 'id="download"' not in html


def test_the_download_is_the_verified_original(web, login, records):
    services, _client = web
    lan = login("canbo")
    rid = records["public"]
    r = lan.get(f"/records/{rid}/download")
    data = services.archive.get_record(rid, actor="t", audit_access=False)
    original = next(c for c in data["components"] if c["role"] == "original")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == original["sha256"]
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["etag"] == f'"sha256-{original["sha256"]}"'


def test_the_language_can_be_english_and_vietnamese_is_the_default(web, login, csrf_of):
    _services, _client = web
    lan = login("canbo")
    page = lan.get("/search")
    assert 'lang="vi"' in page.text and "Tra cứu" in page.text
    r = lan.post("/language", data={"locale": "en", "next": "/search", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    english = lan.get("/search").text
    assert 'lang="en"' in english and "Narrow the results" in english and "Thu hẹp" not in english


# --- the message catalogues -----------------------------------------------------------------------
def test_the_catalogues_are_complete_and_in_step_with_the_templates():
    """GIVEN the messages Babel extracts from api/web's templates and modules WHEN compared with each
    .po THEN every message is there, translated, with the same placeholders, and no stale one is kept
    (``python -m api.web.i18n`` brings them in line)."""
    from babel.messages.pofile import read_po

    from api.web.i18n import LOCALE_DIR, LOCALES, extract

    wanted = extract()
    assert len(wanted) > 80
    for locale in LOCALES:
        with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
            catalog = read_po(f, locale=locale)
        have = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}
        assert set(have) == set(wanted), (locale, set(wanted) ^ set(have))
        for msgid, message in have.items():
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), (locale, msgid)
            for s in strings:
                assert set(re.findall(r"%\((\w+)\)s", s)) == set(re.findall(r"%\((\w+)\)s", msgid)), (locale, msgid)
            assert not message.fuzzy, (locale, msgid)
    vi = read_po(open(LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po", "rb"), locale="vi")
    untranslated = [m.id for m in vi if m.id and m.string == m.id]
    assert untranslated == [], "Vietnamese strings equal to the English source"


def test_similar_records_are_the_apis_for_the_reader(web, login, records):
    _services, client = web
    reader = login("luutruvien")
    rid = records["public"]
    api = client.get(f"/api/v1/records/{rid}/similar", headers=_bearer(client, "luutruvien"),
                     params={"size": 5}).json()
    doc = lxml.html.fromstring(reader.get(f"/records/{rid}").text)
    shown = [a.get("data-id") for a in doc.xpath("//*[@id='similar']//a[@data-id]")]
    assert shown == [h["record_id"] for h in api["hits"]]
    assert records["secret"] not in shown


def test_similar_records_after_records_were_indexed_again(web, login, dossier, csrf_of):
    """GIVEN nine records of which the last two were filed into a dossier (re-indexed) — after
    which Tantivy's own more-like-this panicked ("9 >= 10": a 500 on /similar) WHEN each record's
    page and the API's similar records are asked THEN both answer, the page with its similar
    records."""
    from apienv import generated_pdfs

    services, client = web
    admin = _bearer(client, "quantri")
    ids = [client.post("/api/v1/records", headers=admin, files={"file": ("a.pdf", pdf, "application/pdf")},
                       data={"access_level": "internal"}).json()["record_id"] for _spec, pdf in generated_pdfs(2027, 9)]
    services.archive.run_pending_tasks()
    lan = login("luutruvien")
    page = lan.get(f"/dossiers/{dossier['id']}")
    r = lan.post(f"/dossiers/{dossier['id']}/file", data={"records": ids[-2:], "reason": "Sắp xếp",
                                                          "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303  # filed
    services.archive.run_pending_tasks()
    for rid in ids:
        assert lan.get(f"/records/{rid}").status_code == 200
        assert client.get(f"/api/v1/records/{rid}/similar", headers=admin).status_code == 200
    assert 'id="similar"' in lan.get(f"/records/{ids[0]}").text
