"""The fonds edit page (api/web/collections.py) and the schedule import form of the retention
schedules page (api/web/retention.py), over HTTP on the real app: each goes through the API's own
route function (what it stores is what the API then returns), a refusal shows the API's Vietnamese
next to its field (or every problem of a bad file) and stores nothing, CSRF-less posts and people
without the scope are refused."""

from __future__ import annotations

import json

import lxml.html
import sqlalchemy as sa
from apienv import PASSWORD

from archive.catalogue.models import AuditEntry

ORGAN = "000.00.00.H26"


def _bearer(client, name: str = "quantri") -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _text(html: str, element_id: str) -> str:
    found = lxml.html.fromstring(html).xpath(f"//*[@id='{element_id}']")
    return found[0].text_content() if found else ""


def _fonds(client, ref: str) -> dict:
    return client.get(f"/api/v1/fonds/{ref}", headers=_bearer(client)).json()


def _audit(services, action: str) -> list[AuditEntry]:
    with services.catalogue.session() as s:
        rows = list(s.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars())
        for r in rows:
            s.expunge(r)
        return rows


# fonds -----------------------------------------------------------------------------------------

def test_edit_a_fonds_from_its_page(web, login, csrf_of, dossier):
    services, client = web
    lan = login("luutruvien")
    page = lan.get(f"/holdings/{dossier['fonds_id']}")
    link = lxml.html.fromstring(page.text).xpath("//a[@id='edit-fonds']/@href")
    assert link == [f"/collections/fonds/{dossier['fonds_id']}/edit"]
    form = lan.get(link[0])
    assert form.status_code == 200 and ORGAN in form.text and 'name="organ_id"' not in form.text
    r = lan.post(link[0], data={"name": "Ủy ban nhân dân tỉnh Hà Nam", "superior_name": "",
                                "place": "Phủ Lý", "description": "Phông từ năm 1997",
                                "organ_id": "000.00.00.H99",  # ignored: the code is never sent
                                "reason": "Bổ sung địa danh", "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/holdings/{dossier['fonds_id']}?done=edited"
    f = _fonds(client, dossier["fonds_id"])
    assert (f["organ_id"], f["place"], f["description"]) == (ORGAN, "Phủ Lý", "Phông từ năm 1997")
    shown = lan.get(r.headers["location"])
    assert _text(shown.text, "fonds-done") and "Phủ Lý" in shown.text and "Phông từ năm 1997" in shown.text
    [entry] = _audit(services, "fonds.edit")
    assert entry.actor == "user:luutruvien" and entry.detail["reason"] == "Bổ sung địa danh"
    assert entry.detail["changes"] == {"place": [None, "Phủ Lý"], "description": [None, "Phông từ năm 1997"]}


def test_a_bad_fonds_edit_is_refused_next_to_its_field(web, login, csrf_of, dossier):
    services, client = web
    lan = login("luutruvien")
    url = f"/collections/fonds/{dossier['fonds_id']}/edit"
    form = lan.get(url)
    for data, field, words in (({"name": ""}, "name", "Tên phông"),
                               ({"name": "Ủy ban nhân dân tỉnh Hà Nam", "place": "x" * 101}, "place", "Địa danh"),
                               ({"name": "Ủy ban nhân dân tỉnh Hà Nam", "superior_name": "A\x07B"}, "superior_name",
                                "chủ quản")):
        r = lan.post(url, data={**data, "csrf_token": csrf_of(form.text)})
        assert r.status_code == 422, r.text
        assert words in _text(r.text, f"err-{field}"), (field, r.text)
    same = lan.post(url, data={"name": "Ủy ban nhân dân tỉnh Hà Nam", "csrf_token": csrf_of(form.text)})
    assert same.status_code == 422 and "Chưa có trường nào được sửa" in _text(same.text, "form-error")
    assert _fonds(client, dossier["fonds_id"])["name"] == "Ủy ban nhân dân tỉnh Hà Nam"
    assert _audit(services, "fonds.edit") == []


def test_fonds_edit_without_csrf_or_by_an_official_is_refused(web, login, csrf_of, dossier):
    _services, client = web
    url = f"/collections/fonds/{dossier['fonds_id']}/edit"
    lan = login("luutruvien")
    assert lan.post(url, data={"name": "X"}).status_code == 403
    assert lan.post(url, data={"name": "X", "csrf_token": "0" * 64}).status_code == 403
    canbo = login("canbo")
    page = canbo.get(f"/holdings/{dossier['fonds_id']}")
    assert page.status_code == 200 and 'id="edit-fonds"' not in page.text
    assert canbo.get(url).status_code == 404
    assert canbo.post(url, data={"name": "X", "csrf_token": csrf_of(page.text)}).status_code == 404
    assert lan.get("/collections/fonds/000.00.00.H99/edit").status_code == 404
    assert _fonds(client, dossier["fonds_id"])["name"] == "Ủy ban nhân dân tỉnh Hà Nam"


# retention schedule import -----------------------------------------------------------------------

GOOD = {"code": "BTH-SNV", "title": "Bảng thời hạn của Sở Nội vụ", "items": [
    {"item_code": "1.1", "description": "Hồ sơ tổ chức cán bộ", "period": "permanent"},
    {"item_code": "1.2", "description": "Công văn trao đổi", "period": "10"}]}


def _schedules(client) -> dict[str, int]:
    rows = client.get("/api/v1/retention/schedules", headers=_bearer(client)).json()
    return {r["code"]: r["version"] for r in rows if r["status"] != "superseded"}


def _upload(who, page, name: str, content: bytes, csrf_of, **data):
    return who.post("/retention/schedules/import", data={"csrf_token": csrf_of(page.text), **data},
                    files={"file": (name, content, "application/octet-stream")})


def test_import_a_json_then_a_csv_schedule(web, login, csrf_of):
    services, client = web
    lan = login("luutruvien")
    page = lan.get("/retention/schedules")
    assert page.status_code == 200 and 'id="import-form"' in page.text
    r = _upload(lan, page, "bang.json", json.dumps(GOOD, ensure_ascii=False).encode(), csrf_of)
    assert r.status_code == 200, r.text
    assert "BTH-SNV" in _text(r.text, "import-done") and _schedules(client)["BTH-SNV"] == 1
    again = _upload(lan, page, "bang.json", json.dumps(GOOD, ensure_ascii=False).encode(), csrf_of)
    assert again.status_code == 200 and _schedules(client)["BTH-SNV"] == 1  # unchanged: no new version
    csv = "item_code,description,period\n2.1,Hồ sơ thi đua,20\n2.2,Sổ đăng ký văn bản,permanent\n"
    r = _upload(lan, page, "bang.csv", csv.encode(), csrf_of, code="BTH-CSV", title="Bảng CSV")
    assert r.status_code == 200, r.text
    detail = client.get("/api/v1/retention/schedules/BTH-CSV", headers=_bearer(client)).json()
    assert detail["title"] == "Bảng CSV" and [i["item_code"] for i in detail["items"]] == ["2.1", "2.2"]
    assert [e.actor for e in _audit(services, "api.retention.schedule.import")] == ["user:luutruvien"] * 3


def test_a_bad_schedule_file_shows_every_problem_and_saves_nothing(web, login, csrf_of):
    _services, client = web
    lan = login("luutruvien")
    page = lan.get("/retention/schedules")
    before = _schedules(client)
    csv = ("item_code,description,period,trigger\n"
           "3.1,Hồ sơ A,mười năm,\n"          # bad period
           ",Hồ sơ B,10,\n"                   # no item code
           "3.3,Hồ sơ C,10,khi nào\n")         # bad trigger
    r = _upload(lan, page, "sai.csv", csv.encode(), csrf_of, code="BTH-SAI")
    assert r.status_code == 422, r.text
    problems = lxml.html.fromstring(r.text).xpath("//*[@id='import-problems']//li/text()")
    assert len(problems) == 3, problems
    assert problems[0].startswith("Dòng 2") and problems[1].startswith("Dòng 3") and problems[2].startswith("Dòng 4")
    assert "số mục" in problems[1] and "khi nào" in problems[2]
    bad_json = {"code": "BTH-J", "title": "", "items": [{"item_code": "1", "description": "x", "period": 5,
                                                          "colour": "red"}]}
    r = _upload(lan, page, "sai.json", json.dumps(bad_json).encode(), csrf_of)
    assert r.status_code == 422
    problems = lxml.html.fromstring(r.text).xpath("//*[@id='import-problems']//li/text()")
    assert any(p.startswith("tên bảng") for p in problems) and any("mục thứ 1" in p for p in problems), problems
    for name, content, data, words in (("x.json", b"{not json", {}, "không phải JSON"),
                                       ("x.csv", b"item_code,description,period\n1,A,10\n", {}, "mã bảng"),
                                       ("x.csv", b"\xff\xfe", {"code": "C"}, "UTF-8"),
                                       ("x.json", b"", {}, "tệp rỗng"),
                                       ("x.csv", b"a,b\n1,2\n", {"code": "C"}, "thiếu cột")):
        r = _upload(lan, page, name, content, csrf_of, **data)
        assert r.status_code in (413, 422), (name, r.status_code)
        assert words in _text(r.text, "import-problems"), (name, _text(r.text, "import-problems"))
    builtin = dict(GOOD, code="vn-sample")
    r = _upload(lan, page, "x.json", json.dumps(builtin).encode(), csrf_of)
    assert r.status_code == 409 and "có sẵn" in _text(r.text, "import-problems")
    assert _schedules(client) == before


def test_schedule_import_without_csrf_or_the_retention_scope_is_refused(web, login, csrf_of):
    _services, client = web
    lan = login("luutruvien")
    body = json.dumps(GOOD).encode()
    files = {"file": ("bang.json", body, "application/json")}
    assert lan.post("/retention/schedules/import", files=files).status_code == 403
    assert lan.post("/retention/schedules/import", data={"csrf_token": "0" * 64}, files=files).status_code == 403
    canbo = login("canbo")
    page = canbo.get("/search")
    assert canbo.get("/retention/schedules").status_code == 404
    r = canbo.post("/retention/schedules/import", data={"csrf_token": csrf_of(page.text)}, files=files)
    assert r.status_code == 403
    assert "BTH-SNV" not in _schedules(client)
