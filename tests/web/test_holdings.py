"""The holdings browser (fonds → year → dossier) and filing unfiled records, over HTTP on the real
app: what is listed equals the API's answer for the same person, an invisible dossier is the one
404, and filing goes through the API's own rule (deposit scope, a reason, all or nothing)."""

from __future__ import annotations

import lxml.html
from apienv import PASSWORD


def _bearer(client, name: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _ids(html: str, list_id: str) -> list[str]:
    return [a.get("data-id") for a in lxml.html.fromstring(html).xpath(f"//*[@id='{list_id}']//a[@data-id]")]


def test_fonds_year_dossier_and_filing(web, login, records, dossier, csrf_of):
    """GIVEN a fonds with one open dossier and unfiled records WHEN an archivist walks fonds → year
    → dossier and files two records with a reason THEN each level lists what the API lists, and the
    two records are in the dossier with the reason in their history; without a reason, nothing moves."""
    _services, client = web
    lan = login("luutruvien")
    bearer = _bearer(client, "luutruvien")
    fonds = lan.get("/holdings")
    assert _ids(fonds.text, "fonds") == [f["id"] for f in client.get("/api/v1/fonds", headers=bearer).json()["items"]]
    year_page = lan.get(f"/holdings/{dossier['fonds_id']}")
    assert 'data-year="2026"' in year_page.text
    assert _ids(year_page.text, "dossiers") == [dossier["id"]]
    page = lan.get(f"/dossiers/{dossier['code']}")  # by its mã hồ sơ
    assert page.status_code == 200 and "Đang lập" in page.text
    unfiled = [i.get("value") for i in lxml.html.fromstring(page.text).xpath("//input[@name='records']")]
    assert set(unfiled) == {records[level] for level in ("public", "internal", "restricted")}  # not the secret one
    chosen = [records["public"], records["internal"]]
    refused = lan.post(f"/dossiers/{dossier['id']}/file", data={"records": chosen, "reason": "",
                                                                "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422 and "Cần ghi lý do" in refused.text
    assert client.get(f"/api/v1/records/{chosen[0]}", headers=bearer).json()["dossier_code"] is None
    done = lan.post(f"/dossiers/{dossier['id']}/file", data={"records": chosen, "reason": "Sắp xếp hồ sơ năm 2026",
                                                             "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    after = lan.get(done.headers["location"])
    api = client.get(f"/api/v1/dossiers/{dossier['id']}/records", headers=bearer).json()
    assert _ids(after.text, "dossier-records") == [r["id"] for r in api["items"]]
    assert set(_ids(after.text, "dossier-records")) == set(chosen)
    for rid in chosen:
        assert client.get(f"/api/v1/records/{rid}", headers=bearer).json()["dossier_code"] == dossier["code"]


def test_an_official_browses_but_cannot_file_and_an_unseen_dossier_is_the_one_404(web, login, records, dossier,
                                                                                   csrf_of):
    _services, _client = web
    official = login("canbo_congkhai")  # public only: the internal dossier with no public record is not theirs
    missing = official.get("/dossiers/00000000-0000-4000-8000-000000000000")
    hidden = official.get(f"/dossiers/{dossier['id']}")
    assert (hidden.status_code, hidden.text.replace(dossier["id"], "X")) == \
        (missing.status_code, missing.text.replace("00000000-0000-4000-8000-000000000000", "X")) and missing.status_code == 404
    canbo = login("canbo")  # internal: sees the dossier, may not file
    page = canbo.get(f"/dossiers/{dossier['id']}")
    assert page.status_code == 200 and 'id="filing-form"' not in page.text
    r = canbo.post(f"/dossiers/{dossier['id']}/file", data={"records": [records["public"]], "reason": "thử",
                                                             "csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert canbo.post(f"/dossiers/{dossier['id']}/file", data={"records": [records["public"]], "reason": "x"}).status_code == 403
