"""Fonds and dossiers from the browser (api/web/collections.py), and the deposit page's new dossier
and one-file JSON answers (api/web/deposit.py), over HTTP on the real app: each form goes through
the API's own route (what it stores equals what the API then returns), refusals show the API's
Vietnamese next to the field and store nothing, CSRF-less posts and non-archivists are refused."""

from __future__ import annotations

import lxml.html
import pytest
from apienv import PASSWORD


def _bearer(client, name: str = "quantri") -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _field_error(html: str, name: str) -> str:
    found = lxml.html.fromstring(html).xpath(f"//*[@id='err-{name}']")
    return found[0].text_content() if found else ""


def _text(html: str, element_id: str) -> str:
    found = lxml.html.fromstring(html).xpath(f"//*[@id='{element_id}']")
    return found[0].text_content() if found else ""


def _dossiers(client) -> list[dict]:
    return client.get("/api/v1/dossiers", headers=_bearer(client), params={"size": 100}).json()["items"]


def test_create_a_fonds_then_a_dossier_through_the_pages(web, login, csrf_of):
    """GIVEN an archivist WHEN they create a fonds and a dossier with the Decree 30 fields THEN the
    API returns them as typed: mã hồ sơ from agency code, year and number; dates; regime; creator."""
    _services, client = web
    lan = login("luutruvien")
    page = lan.get("/collections/fonds/new")
    assert page.status_code == 200
    r = lan.post("/collections/fonds/new", data={"organ_id": "000.00.00.H26", "name": "UBND tỉnh Hà Nam",
                                                 "place": "Phủ Lý", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303, r.text
    fonds = client.get("/api/v1/fonds", headers=_bearer(client)).json()["items"]
    assert [(f["organ_id"], f["name"]) for f in fonds] == [("000.00.00.H26", "UBND tỉnh Hà Nam")]
    assert r.headers["location"] == f"/holdings/{fonds[0]['id']}"
    form = lan.get(f"/collections/dossiers/new?fonds={fonds[0]['id']}")
    assert f'value="{fonds[0]["id"]}" selected' in form.text
    r = lan.post("/collections/dossiers/new", data={
        "fonds_id": fonds[0]["id"], "year": "2025", "notation": "01.tccb", "catalogue_number": "02",
        "title": "Hồ sơ tuyển dụng công chức năm 2025", "start_date": "2025-01-02", "end_date": "31/12/2025",
        "access_regime": "restricted", "creator": "Trần Thị Lan", "sheet_total": "42", "language": "vi",
        "description": "Ghi chú", "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303, r.text
    [d] = _dossiers(client)
    full = client.get(f"/api/v1/dossiers/{d['id']}", headers=_bearer(client)).json()
    assert full["code"] == "000.00.00.H26.2025.01.TCCB" and full["catalogue_number"] == "02"
    assert (full["declared_start_date"], full["declared_end_date"]) == ("2025-01-02", "2025-12-31")
    assert (full["access_regime"], full["creator"], full["sheet_total"], full["description"]) == \
        ("restricted", "Trần Thị Lan", 42, "Ghi chú")
    shown = lan.get(r.headers["location"])
    assert "000.00.00.H26.2025.01.TCCB" in shown.text and 'id="dossier-done"' in shown.text


@pytest.mark.parametrize("field,value,words", [
    ("notation", "01/TCCB", "phải gồm số thứ tự rồi ký hiệu đề mục"),
    ("year", "20x5", "phải là số"),
    ("title", "   ", "Thiếu tiêu đề"),
    ("end_date", "2024-01-01", "trước thời gian bắt đầu"),
    ("start_date", "31/02/2025", "không phải ngày"),
])
def test_a_bad_dossier_is_refused_next_to_its_field_and_nothing_is_stored(web, login, csrf_of, dossier, field,
                                                                          value, words):
    _services, client = web
    lan = login("luutruvien")
    form = lan.get("/collections/dossiers/new")
    data = {"fonds_id": dossier["fonds_id"], "year": "2025", "notation": "02.VP", "title": "Hồ sơ mới",
            "start_date": "2025-03-01", "access_regime": "internal", "language": "vi",
            "csrf_token": csrf_of(form.text), field: value}
    before = _dossiers(client)
    r = lan.post("/collections/dossiers/new", data=data)
    assert r.status_code == 422, r.text
    assert words in _field_error(r.text, field), (field, _field_error(r.text, field))
    assert 'aria-invalid="true"' in r.text
    assert _dossiers(client) == before
    # what was typed is kept for the correction
    assert lxml.html.fromstring(r.text).xpath(f"//*[@name='{field}']")[0].get("value", "").strip() == value.strip() \
        or field == "description"


def test_a_taken_code_and_an_unknown_fonds(web, login, csrf_of, dossier):
    _services, client = web
    lan = login("luutruvien")
    form = lan.get("/collections/dossiers/new")
    data = {"fonds_id": dossier["fonds_id"], "year": "2026", "notation": "01.VP", "title": "Trùng mã",
            "access_regime": "internal", "language": "vi", "csrf_token": csrf_of(form.text)}
    taken = lan.post("/collections/dossiers/new", data=data)
    assert taken.status_code == 409 and "01.VP" in taken.text
    unknown = lan.post("/collections/dossiers/new", data={**data, "fonds_id": "999.99.99.Z99", "notation": "03.VP"})
    assert unknown.status_code == 404
    assert len(_dossiers(client)) == 1


def test_edit_close_reopen_with_the_history(web, login, csrf_of, dossier, sample_pdfs):
    """GIVEN an open dossier WHEN an archivist corrects its title, closes it, tries to edit it,
    reopens it without then with a reason THEN each step is the API's: a closed dossier refuses
    a second close and a deposit into it, reopening needs a reason, and the audit has each change."""
    _services, client = web
    lan = login("luutruvien")
    form = lan.get(f"/dossiers/{dossier['id']}/edit")
    assert form.status_code == 200 and "Hồ sơ thử nghiệm" in form.text
    inputs = lxml.html.fromstring(form.text).xpath("//form[@id='dossier-form']//input")
    values = {i.get("name"): i.get("value") or "" for i in inputs}
    values.update({"access_regime": "internal", "description": ""})
    same = lan.post(f"/dossiers/{dossier['id']}/edit", data=values)
    assert same.status_code == 422 and "Chưa có trường nào được sửa" in same.text
    bad = lan.post(f"/dossiers/{dossier['id']}/edit", data={**values, "notation": "một"})
    assert bad.status_code == 422 and "01.TCCB" in _field_error(bad.text, "notation")
    r = lan.post(f"/dossiers/{dossier['id']}/edit", data={**values, "title": "Hồ sơ thử nghiệm (đã sửa)",
                                                          "reason": "Sửa tiêu đề cho đúng"})
    assert r.status_code == 303, r.text
    api = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=_bearer(client)).json()
    assert api["title"] == "Hồ sơ thử nghiệm (đã sửa)" and api["code"] == dossier["code"]
    page = lan.get(f"/dossiers/{dossier['id']}")
    closed = lan.post(f"/dossiers/{dossier['id']}/close", data={"csrf_token": csrf_of(page.text)})
    assert closed.status_code == 303
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=_bearer(client)).json()["status"] == "closed"
    again = lan.post(f"/dossiers/{dossier['id']}/close", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409 and "đã kết thúc" in _text(again.text, "state-error")
    into = lan.post("/deposit", data={"csrf_token": csrf_of(page.text), "dossier": dossier["code"]},
                    files={"files": ("x.pdf", sample_pdfs[0][1], "application/pdf")})
    assert into.status_code == 422 and "kết thúc" in _text(into.text, "deposit-error")
    assert client.get("/api/v1/search", headers=_bearer(client)).json()["total"] == 0  # nothing stored
    page = lan.get(f"/dossiers/{dossier['id']}")
    assert 'id="reopen-form"' in page.text and 'id="close-form"' not in page.text
    no_reason = lan.post(f"/dossiers/{dossier['id']}/reopen", data={"reason": " ", "csrf_token": csrf_of(page.text)})
    assert no_reason.status_code == 422 and "Cần ghi lý do mở lại" in no_reason.text
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=_bearer(client)).json()["status"] == "closed"
    reopened = lan.post(f"/dossiers/{dossier['id']}/reopen", data={"reason": "Bổ sung văn bản còn thiếu",
                                                                   "csrf_token": csrf_of(page.text)})
    assert reopened.status_code == 303
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=_bearer(client)).json()["status"] == "open"
    audit = client.get("/api/v1/audit", headers=_bearer(client), params={"target_id": dossier["id"]})
    actions = {e["action"] for e in audit.json()["items"]}
    assert {"api.dossier.edit", "api.dossier.close", "api.dossier.reopen"} <= actions, actions


def test_csrf_less_posts_and_officials_are_refused(web, login, csrf_of, dossier):
    _services, client = web
    lan = login("luutruvien")
    for path, data in (("/collections/fonds/new", {"organ_id": "000.00.00.H27", "name": "X"}),
                       ("/collections/dossiers/new", {"fonds_id": dossier["fonds_id"], "year": "2025",
                                                      "notation": "05.VP", "title": "X"}),
                       (f"/dossiers/{dossier['id']}/edit", {"title": "X"}),
                       (f"/dossiers/{dossier['id']}/close", {}),
                       (f"/dossiers/{dossier['id']}/reopen", {"reason": "X"}),
                       ("/deposit/dossier", {"nd_fonds_id": dossier["fonds_id"]})):
        assert lan.post(path, data=data).status_code == 403, path
        assert lan.post(path, data={**data, "csrf_token": "0" * 64}).status_code == 403, path
    canbo = login("canbo")  # an official: reads the dossier, may change nothing
    page = canbo.get(f"/dossiers/{dossier['id']}")
    assert page.status_code == 200 and 'id="dossier-actions"' not in page.text
    token = csrf_of(page.text)
    assert canbo.get("/collections/fonds/new").status_code == 404
    assert canbo.get("/collections/dossiers/new").status_code == 404
    assert canbo.get(f"/dossiers/{dossier['id']}/edit").status_code == 404
    assert canbo.post("/collections/fonds/new", data={"organ_id": "000.00.00.H27", "name": "X",
                                                      "csrf_token": token}).status_code == 404
    assert canbo.post(f"/dossiers/{dossier['id']}/edit", data={"title": "X", "csrf_token": token}).status_code == 404
    assert canbo.post(f"/dossiers/{dossier['id']}/close", data={"csrf_token": token}).status_code == 403
    assert canbo.post("/deposit/dossier", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=_bearer(client)).json()["status"] == "open"
    assert len(client.get("/api/v1/fonds", headers=_bearer(client)).json()["items"]) == 1


def test_an_unseen_dossier_is_the_one_404_on_every_form(web, login, csrf_of, dossier):
    lan = login("canbo_congkhai")  # public reader, no deposit scope: 404 as for a missing dossier
    arch = login("luutruvien")
    token = csrf_of(arch.get("/deposit").text)
    for ref in (dossier["id"], "00000000-0000-4000-8000-000000000000"):
        assert arch.get(f"/dossiers/{ref}/edit").status_code == (200 if ref == dossier["id"] else 404)
        assert lan.get(f"/dossiers/{ref}/edit").status_code == 404
    assert arch.post("/dossiers/00000000-0000-4000-8000-000000000000/close",
                     data={"csrf_token": token}).status_code == 404


def test_deposit_into_a_new_dossier_without_javascript(web, login, csrf_of, dossier, sample_pdfs):
    """The plain form: "new dossier" ticked, two files → the dossier is created first, then both
    files are filed into it. With a bad notation nothing is stored (no dossier, no record)."""
    _services, client = web
    lan = login("luutruvien")
    page = lan.get("/deposit")
    assert 'id="dropzone"' in page.text and 'name="nd_notation"' in page.text
    files = [("files", (f"tệp {i}.pdf", pdf, "application/pdf")) for i, (_s, pdf) in enumerate(sample_pdfs[:2])]
    base = {"csrf_token": csrf_of(page.text), "new_dossier": "1", "nd_fonds_id": dossier["fonds_id"],
            "nd_year": "2026", "nd_title": "Hồ sơ nộp lưu mới", "nd_access_regime": "internal", "nd_language": "vi"}
    bad = lan.post("/deposit", data={**base, "nd_notation": "abc/def"}, files=files)
    assert bad.status_code == 422 and "01.TCCB" in _field_error(bad.text, "notation")
    assert len(_dossiers(client)) == 1
    assert client.get("/api/v1/search", headers=_bearer(client)).json()["total"] == 0
    ok = lan.post("/deposit", data={**base, "nd_notation": "07.VP"}, files=files)
    assert ok.status_code == 200, ok.text
    outcomes = lxml.html.fromstring(ok.text).xpath("//li[@data-outcome]")
    assert [o.get("data-outcome") for o in outcomes] == ["ingested", "ingested"]
    code = "000.00.00.H26.2026.07.VP"
    [new] = [d for d in _dossiers(client) if d["code"] == code]
    inside = client.get(f"/api/v1/dossiers/{new['id']}/records", headers=_bearer(client)).json()
    assert inside["total"] == 2


def test_one_file_per_request_answers_json(web, login, csrf_of, dossier, sample_pdfs):
    """What the script does: the new dossier through /deposit/dossier, then each file on its own
    with Accept: application/json; the outcome words follow the person's language."""
    lan = login("luutruvien")
    token = csrf_of(lan.get("/deposit").text)
    refused = lan.post("/deposit/dossier", headers={"Accept": "application/json"},
                       data={"csrf_token": token, "nd_fonds_id": dossier["fonds_id"], "nd_year": "2026",
                             "nd_notation": "01.VP", "nd_title": "Trùng", "nd_access_regime": "internal"})
    assert refused.status_code == 409 and "01.VP" in refused.json()["error"]
    bad = lan.post("/deposit/dossier", data={"csrf_token": token, "nd_fonds_id": dossier["fonds_id"],
                                             "nd_year": "năm nay", "nd_notation": "08.VP", "nd_title": ""})
    assert bad.status_code == 422 and set(bad.json()["errors"]) >= {"year"}
    made = lan.post("/deposit/dossier", data={"csrf_token": token, "nd_fonds_id": dossier["fonds_id"],
                                              "nd_year": "2026", "nd_notation": "08.VP", "nd_title": "Mới",
                                              "nd_access_regime": "internal", "nd_language": "vi"})
    assert made.status_code == 201 and made.json()["code"] == "000.00.00.H26.2026.08.VP"
    _s, pdf = sample_pdfs[0]
    one = lan.post("/deposit", headers={"Accept": "application/json"},
                   data={"csrf_token": token, "dossier": made.json()["code"]},
                   files={"files": ("một.pdf", pdf, "application/pdf")})
    assert one.status_code == 200
    [o] = one.json()["outcomes"]
    assert o["outcome"] == "ingested" and o["words"] == "đã lưu" and o["filename"] == "một.pdf"
    again = lan.post("/deposit", headers={"Accept": "application/json"},
                     data={"csrf_token": token, "dossier": "000.00.00.H26.2026.99.VP"},
                     files={"files": ("hai.pdf", pdf, "application/pdf")})
    assert again.status_code == 422 and again.json()["error"]
    canbo = login("canbo")
    assert canbo.post("/deposit", headers={"Accept": "application/json"},
                      data={"csrf_token": csrf_of(canbo.get("/search").text)},
                      files={"files": ("x.pdf", pdf, "application/pdf")}).status_code == 403


def test_enum_values_are_english_words_in_the_english_catalogue(web, login, csrf_of, dossier):
    """Every enum value the pages show has English words in English (no Vietnamese, no code name)
    and Vietnamese words in Vietnamese; the dossier page shows them so."""
    import unicodedata

    from api.web.i18n import LABELS_EN, _labels_vi, label

    for kind, values in _labels_vi().items():
        for value in values:
            en = label(kind, value, "en")
            assert kind in LABELS_EN and value in LABELS_EN[kind], (kind, value)
            assert "_" not in en and all(not unicodedata.combining(c) for c in unicodedata.normalize("NFD", en)) \
                and "đ" not in en.lower(), (kind, value, en)
            assert label(kind, value, "vi") != en, (kind, value)
    lan = login("luutruvien")
    page = lan.get(f"/dossiers/{dossier['id']}")
    assert "Nội bộ" in page.text and "Đang lập" in page.text
    lan.post("/language", data={"locale": "en", "next": "/search", "csrf_token": csrf_of(page.text)})
    english = lan.get(f"/dossiers/{dossier['id']}")
    fields = lxml.html.fromstring(english.text).xpath("//dl[@class='fields']")[0].text_content()
    assert "Internal" in fields and "Open" in fields and "Nội bộ" not in fields and "Đang lập" not in fields
    assert "Archivist" in english.text and "Người làm lưu trữ" not in english.text
