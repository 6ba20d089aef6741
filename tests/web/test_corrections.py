"""Correcting a record's description from the browser's form (TestClient on the real app): only
the changed fields go to the API's own correction with the reason, the history shows old and new
values in Vietnamese on the record page, a stale form is refused (someone corrected meanwhile), and
an official has no such page."""

from __future__ import annotations

import lxml.html
from apienv import PASSWORD


def _form(html: str) -> dict[str, str]:
    doc = lxml.html.fromstring(html)
    form = doc.xpath("//form[@id='edit-form']")[0]
    return dict(form.form_values())


def test_an_archivist_corrects_a_field_and_sees_the_history(web, login, records):
    _services, client = web
    lan = login("luutruvien")
    rid = records["internal"]
    page = lan.get(f"/records/{rid}")
    assert 'id="edit-link"' in page.text and "Chưa sửa lần nào" in page.text
    form = _form(lan.get(f"/records/{rid}/edit").text)
    old_subject = form["subject"]
    stale = dict(form)
    form.update(subject="Về việc nghiệm thu dự án", issued_date="2025-03-07", reason="Sửa theo bản gốc giấy")
    r = lan.post(f"/records/{rid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    token = client.post("/api/v1/auth/login", json={"username": "luutruvien", "password": PASSWORD}).json()["access_token"]
    history = client.get(f"/api/v1/records/{rid}/history", headers={"Authorization": f"Bearer {token}"}).json()
    assert {h["field"] for h in history} >= {"subject"}
    assert all(h["reason"] == "Sửa theo bản gốc giấy" for h in history)
    shown = lxml.html.fromstring(lan.get(f"/records/{rid}").text).xpath("//*[@id='correction-history']")[0].text_content()
    assert "Về việc nghiệm thu dự án" in shown and old_subject in shown and "Sửa theo bản gốc giấy" in shown
    assert "07/03/2025" in shown and "Nguyễn Văn Luutruvien" in shown
    # the form opened before that correction is refused: nothing stored
    stale.update(subject="Một trích yếu khác", reason="sửa lại")
    refused = lan.post(f"/records/{rid}/edit", data=stale)
    assert refused.status_code == 412 and 'id="edit-error"' in refused.text
    assert client.get(f"/api/v1/records/{rid}", headers={"Authorization": f"Bearer {token}"}).json()["subject"] == \
        "Về việc nghiệm thu dự án"
    # no reason, or nothing changed: refused in Vietnamese
    fresh = _form(lan.get(f"/records/{rid}/edit").text)
    assert "Cần ghi lý do" in lan.post(f"/records/{rid}/edit", data={**fresh, "subject": "X", "reason": ""}).text
    assert "Chưa có trường nào được sửa" in lan.post(f"/records/{rid}/edit", data={**fresh, "reason": "x"}).text


def test_an_official_cannot_correct(web, login, records, csrf_of):
    _services, _client = web
    official = login("canbo")
    rid = records["public"]
    assert 'id="edit-link"' not in official.get(f"/records/{rid}").text
    assert official.get(f"/records/{rid}/edit").status_code == 404
    token = csrf_of(official.get("/search").text)
    assert official.post(f"/records/{rid}/edit", data={"csrf_token": token, "subject": "x", "reason": "y",
                                                       "version": "1"}).status_code == 404
